// etcd by IP over TLS (issue 13 item 1): no SNI name for an IP (Bun refuses
// one, RFC 6066 forbids it), and the certificate still checked against the
// address dialled. The certificates here are what tls.checkServerIdentity
// reads (subject and subjectaltname); test/e2e/etcd-secure.test.ts connects
// to a real etcd by IP, by name and by an IP its certificate does not list.
import { expect, test } from "bun:test";
import { createSecureContext, type PeerCertificate } from "node:tls";
import { targetHost, tlsOptionsFor } from "../../src/discovery/etcd-tls";

const cert = (subjectaltname: string) => ({ subject: { CN: "localhost" }, subjectaltname }) as unknown as PeerCertificate;
const ctx = createSecureContext({});

test("the host of a gRPC target: IPv4, a name, a bracketed or bare IPv6 address, with or without a port", () => {
  expect(targetHost("127.0.0.1:2379")).toBe("127.0.0.1");
  expect(targetHost("etcd-1.example.com:2379")).toBe("etcd-1.example.com");
  expect(targetHost("etcd-1")).toBe("etcd-1");
  expect(targetHost("[::1]:2379")).toBe("::1");
  expect(targetHost("[fd00::7]")).toBe("fd00::7");
  expect(targetHost("fd00::7")).toBe("fd00::7");
});

test("an IP gets no servername; a name keeps it for SNI", () => {
  expect(tlsOptionsFor("127.0.0.1", ctx)).not.toHaveProperty("servername");
  expect(tlsOptionsFor("::1", ctx)).not.toHaveProperty("servername");
  expect(tlsOptionsFor("etcd-1.example.com", ctx)).toMatchObject({ servername: "etcd-1.example.com", host: "etcd-1.example.com", ALPNProtocols: ["h2"] });
});

test("the certificate is checked against the address dialled, whatever name the runtime passes: an IP must be in the IP SANs", () => {
  const byIp = tlsOptionsFor("127.0.0.1", ctx).checkServerIdentity;
  expect(byIp("localhost", cert("DNS:localhost, IP Address:127.0.0.1"))).toBeUndefined();
  expect(byIp("127.0.0.1", cert("DNS:localhost, IP Address:127.0.0.2"))?.message).toContain("IP: 127.0.0.1 is not in the cert's list");
  // A DNS name that happens to read like the IP is no IP SAN.
  expect(byIp("127.0.0.1", cert("DNS:127.0.0.1"))).toBeInstanceOf(Error);
  const byName = tlsOptionsFor("etcd-1.example.com", ctx).checkServerIdentity;
  expect(byName("etcd-1.example.com", cert("DNS:etcd-1.example.com"))).toBeUndefined();
  expect(byName("etcd-1.example.com", cert("DNS:etcd-2.example.com"))).toBeInstanceOf(Error);
});
