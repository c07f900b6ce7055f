// This host's identity, as used in the etcd key. The address comes from the
// machine's own interfaces: the tutorial opened a UDP socket towards an
// outside address to learn it, which fails on isolated networks.
import os from "node:os";

export interface HostIdentity {
  ip: string;
  hostname: string;
}

/** `hostnameOverride`: [agent] hostname, when set. */
export function detectHost(ipOverride: string, hostnameOverride = ""): HostIdentity {
  const hostname = hostnameOverride || os.hostname();
  if (ipOverride) return { ip: ipOverride, hostname };
  for (const addresses of Object.values(os.networkInterfaces())) {
    const v4 = addresses?.find((a) => a.family === "IPv4" && !a.internal);
    if (v4) return { ip: v4.address, hostname };
  }
  return { ip: "127.0.0.1", hostname };
}

/** `%s` and `{ip}` become the IPv4 address, `{hostname}` the host name. */
export function expandKey(template: string, host: HostIdentity): string {
  return template.replaceAll("%s", host.ip).replaceAll("{ip}", host.ip).replaceAll("{hostname}", host.hostname);
}

/** The part of a key template before its first placeholder: the prefix every host's key shares. */
export function keyPrefix(template: string): string {
  const at = template.search(/%s|\{ip\}|\{hostname\}/);
  return at < 0 ? template : template.slice(0, at);
}
