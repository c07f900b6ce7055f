// This host's identity, as used in the etcd key. The address comes from the
// machine's own interfaces: the tutorial opened a UDP socket towards an
// outside address to learn it, which fails on isolated networks.
import os from "node:os";

export interface HostIdentity {
  ip: string;
  hostname: string;
}

export function detectHost(ipOverride: string): HostIdentity {
  const hostname = os.hostname();
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
