// `[http] address`: where the metrics and health server listens, as `host:port`. Parsed when the
// INI is read, so that a typo is a configuration error with its line, not a failure at bind time.
//
// Forms: `127.0.0.1:9700`, `localhost:9700`, `[::1]:9700`, and `:9700` for every interface (as
// Prometheus exporters write it). Port 0 lets the system pick a free port; the agent logs which.

export interface ListenAddress {
  /** As Bun.serve takes it: an IPv6 address without its brackets. */
  hostname: string;
  port: number;
}

const HOST_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/;
const IPV6 = /^[0-9a-fA-F:.]+(%[a-zA-Z0-9]+)?$/;

/** The address, or the problem (the INI reports it after `= "value": `). */
export function parseListenAddress(text: string): ListenAddress | { problem: string } {
  const bad = (why: string) => ({ problem: `= ${JSON.stringify(text)}: ${why}` });
  const m = /^(\[([^\]]*)\]|[^:[\]]*):(\d+)$/.exec(text.trim());
  if (!m) return bad("must be host:port, e.g. 127.0.0.1:9700 (or [::1]:9700, or :9700 for every interface)");
  const port = Number(m[3]);
  if (port > 65535) return bad("the port must be from 0 to 65535");
  if (m[2] !== undefined) {
    if (!IPV6.test(m[2]) || !m[2].includes(":")) return bad(`${JSON.stringify(m[2])} is not an IPv6 address`);
    return { hostname: m[2], port };
  }
  const host = m[1]!;
  if (host === "") return { hostname: "0.0.0.0", port };
  if (!HOST_NAME.test(host)) return bad(`${JSON.stringify(host)} is not a host name or IPv4 address`);
  return { hostname: host, port };
}
