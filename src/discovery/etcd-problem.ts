// What went wrong talking to etcd, in the operator's terms. The agent logs it
// once per outage (and again only when the kind changes), and `check` prints
// it, so both say the same thing.
//
// gRPC wraps everything in "14 UNAVAILABLE: No connection established. Last
// error: ... Resolution note: "; the part worth showing is the last error. When
// a connection to a member is already failing, gRPC reports "Last error: null"
// to later calls, so the TLS credentials remember the last failed handshake
// (etcd-tls.ts) and it is given here as `tlsFailure`.

export type EtcdProblemKind =
  /** etcd refused the user name or password, wants one, or has authentication turned off. */
  | "credentials"
  /** The user may not read the key. */
  | "permission"
  /** The TLS handshake failed: an unknown CA, a certificate that does not name the address, a missing client certificate. */
  | "tls"
  /** No answer: every member down or unreachable, or too slow. */
  | "unreachable";

export interface EtcdProblem {
  kind: EtcdProblemKind;
  /** For the operator, starting with "etcd": what is wrong and which settings are involved. */
  summary: string;
  /** The underlying error, without gRPC's wrapping. */
  detail: string;
}

const TLS_PATTERN = /certificate|altnames|SSL routines|SSL_|TLS|self[- ]signed|CERT_|handshake|wrong version number/i;

/** The meaningful part of a gRPC error message. */
export function errorDetail(message: string): string {
  const last = /Last error: (.*?)(?:\. Resolution note: .*)?$/s.exec(message)?.[1];
  const text = last ?? message.replace(/^\d+ [A-Z_]+: /, "");
  return text.replace(/^(?:Error(?: \[[A-Z_]+\])?: )/, "").replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)$/, "").trim();
}

/** etcd3 sets a member aside for a few seconds after it failed (etcd-client.ts), and meanwhile reports only that. */
export function isSetAside(err: unknown): boolean {
  return err instanceof Error && /circuit breaker is open/i.test(err.message);
}

export function etcdProblem(err: unknown, tlsFailure: Error | null = null): EtcdProblem {
  if (isSetAside(err)) return { kind: "unreachable", summary: "etcd did not answer", detail: "every endpoint failed moments ago; each is tried again after a few seconds" };
  const message = err instanceof Error ? err.message : String(err);
  let detail = errorDetail(message);
  if ((detail === "null" || detail === "") && tlsFailure) detail = errorDetail(tlsFailure.message);
  // etcd3's token request (with [etcd] username) fails with a bare "null" when no member answers.
  if (detail === "null" || detail === "") detail = "no endpoint answered";
  const problem = (kind: EtcdProblemKind, summary: string): EtcdProblem => ({ kind, summary, detail });

  if (/authentication failed|invalid user ID or password/i.test(message)) {
    return problem("credentials", "etcd refused the user name or password ([etcd] username, password)");
  }
  if (/user name is empty/i.test(message)) {
    return problem("credentials", "etcd has authentication turned on and wants a user: set [etcd] username and password");
  }
  if (/authentication is not enabled/i.test(message)) {
    return problem("credentials", "etcd has authentication turned off, but [etcd] username is set: remove username and password, or turn authentication on (etcdctl auth enable)");
  }
  if (/permission denied/i.test(message)) {
    return problem("permission", "etcd refused to let this user read the collect list key: grant its role read access to the key (etcdctl role grant-permission)");
  }
  if (TLS_PATTERN.test(detail)) {
    if (/BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA/i.test(detail)) {
      return problem("tls", "etcd refused the TLS connection: it wants a client certificate signed by a CA it trusts ([etcd] tls_cert_file, tls_key_file)");
    }
    if (/altnames/i.test(detail)) {
      return problem("tls", "etcd's certificate does not name the address in [etcd] address: its subject alternative names must list that IP or host name");
    }
    if (/verify|self[- ]signed|issuer/i.test(detail)) {
      return problem("tls", "etcd's certificate is not signed by a CA the agent trusts ([etcd] tls_ca_file)");
    }
    if (/disconnected before secure TLS|wrong version number|packet length/i.test(detail)) {
      return problem("tls", "etcd did not complete a TLS handshake: is it serving plain http? (then use http:// endpoints)");
    }
    return problem("tls", "etcd and the agent could not set up TLS ([etcd] tls_ca_file, tls_cert_file, tls_key_file)");
  }
  return problem("unreachable", "etcd did not answer");
}

/** Exit codes of the commands that talk to etcd and stop there (check, fleet): 3 no answer, 4 refused. */
export const EXIT_ETCD_UNREACHABLE = 3;
export const EXIT_ETCD_REFUSED = 4;

export function exitCodeFor(problem: EtcdProblem): number {
  return problem.kind === "unreachable" ? EXIT_ETCD_UNREACHABLE : EXIT_ETCD_REFUSED;
}
