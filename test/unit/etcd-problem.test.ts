// What the agent and `check` say when etcd cannot be used. The messages are the
// ones etcd3 and gRPC gave against the real etcd 3.4 (tests/e2e/etcd-secure
// drives each case end to end); here each is pinned to its kind and sentence.
import { expect, test } from "bun:test";
import { errorDetail, etcdProblem, isSetAside } from "../../src/discovery/etcd-problem";

const wrapped = (last: string) => new Error(`14 UNAVAILABLE: No connection established. Last error: ${last}. Resolution note: `);

test("gRPC's wrapping is removed: the last error, without 'Error:', its code tag or a timestamp", () => {
  expect(errorDetail(wrapped("Error: connect ECONNREFUSED 127.0.0.1:1").message)).toBe("connect ECONNREFUSED 127.0.0.1:1");
  expect(errorDetail(wrapped("error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE (2026-11-30T03:14:20.002Z)").message)).toBe(
    "error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE",
  );
  expect(errorDetail("3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password")).toBe("etcdserver: authentication failed, invalid user ID or password");
  expect(errorDetail("14 UNAVAILABLE: Connection dropped")).toBe("Connection dropped");
});

test("refused credentials, a missing user, and a user given to an etcd without auth are 'credentials', each with its own advice", () => {
  const wrong = etcdProblem(new Error("3 INVALID_ARGUMENT: etcdserver: authentication failed, invalid user ID or password"));
  expect(wrong).toEqual({ kind: "credentials", summary: "etcd refused the user name or password ([etcd] username, password)", detail: "etcdserver: authentication failed, invalid user ID or password" });
  expect(etcdProblem(new Error("3 INVALID_ARGUMENT: etcdserver: user name is empty"))).toMatchObject({ kind: "credentials", summary: expect.stringContaining("set [etcd] username and password") });
  expect(etcdProblem(new Error("9 FAILED_PRECONDITION: etcdserver: authentication is not enabled"))).toMatchObject({ kind: "credentials", summary: expect.stringContaining("authentication turned off") });
});

test("a key the user's role does not cover is 'permission'", () => {
  expect(etcdProblem(new Error("7 PERMISSION_DENIED: etcdserver: permission denied"))).toMatchObject({ kind: "permission", summary: expect.stringContaining("grant its role read access") });
  // A watch canceled at creation carries etcd's reason alone.
  expect(etcdProblem(new Error("etcdserver: permission denied"))).toMatchObject({ kind: "permission" });
});

test("TLS failures say which side and which setting: unknown CA, a certificate that does not name the IP, a missing client certificate, plain http", () => {
  expect(etcdProblem(wrapped("Error: unable to verify the first certificate"))).toMatchObject({ kind: "tls", summary: expect.stringContaining("[etcd] tls_ca_file") });
  expect(etcdProblem(wrapped("Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1"))).toEqual({
    kind: "tls",
    summary: "etcd's certificate does not name the address in [etcd] address: its subject alternative names must list that IP or host name",
    detail: "Hostname/IP does not match certificate's altnames: IP: 127.0.0.2 is not in the cert's list: 127.0.0.1",
  });
  expect(etcdProblem(wrapped("error:10000412:SSL routines:OPENSSL_internal:SSLV3_ALERT_BAD_CERTIFICATE (2026-11-30T03:14:20.002Z)"))).toMatchObject({
    kind: "tls",
    summary: expect.stringContaining("client certificate"),
  });
  expect(etcdProblem(wrapped("Error: Client network socket disconnected before secure TLS connection was established"))).toMatchObject({ kind: "tls", summary: expect.stringContaining("plain http") });
});

test("gRPC's 'Last error: null' on a connection already failing takes the last failed handshake, when there is one, else says no endpoint answered", () => {
  const later = wrapped("null");
  expect(etcdProblem(later)).toMatchObject({ kind: "unreachable", detail: "no endpoint answered" });
  expect(etcdProblem(later, new Error("unable to verify the first certificate"))).toMatchObject({ kind: "tls", detail: "unable to verify the first certificate" });
});

test("anything else is 'unreachable': a refused connection, a dropped one, a deadline", () => {
  for (const err of [wrapped("Error: connect ECONNREFUSED 127.0.0.1:1"), new Error("14 UNAVAILABLE: Connection dropped"), new Error("4 DEADLINE_EXCEEDED: Deadline exceeded"), "no answer within 5000 ms"]) {
    expect(etcdProblem(err)).toMatchObject({ kind: "unreachable", summary: "etcd did not answer" });
  }
});

test("a member set aside after a failure (etcd3's circuit breaker) is 'unreachable', said in words, not as the breaker's message", () => {
  const err = new Error("Execution prevented because the circuit breaker is open");
  expect(isSetAside(err)).toBe(true);
  expect(isSetAside(new Error("14 UNAVAILABLE: Connection dropped"))).toBe(false);
  expect(etcdProblem(err)).toEqual({ kind: "unreachable", summary: "etcd did not answer", detail: "every endpoint failed moments ago; each is tried again after a few seconds" });
});
