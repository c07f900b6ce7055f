// The etcd3 client, loaded only when the INI has an [etcd] section (it and
// gRPC add most of the agent's idle memory). In the compiled binary its .proto
// files come from the build (scripts/build.ts inlines them), because etcd3
// reads them from node_modules at import time.
//
// Three choices here are about a cluster losing members:
// - etcd3 picks a random endpoint per call and puts one aside (a circuit
//   breaker) after failures; its default waits for three, so a stopped member
//   kept getting picked. Here one failure puts it aside for 5 s, so a retry
//   right after a member dies goes to a live one.
// - gRPC keepalive pings find a member that died without closing its
//   connections (power loss, a dropped network), which would otherwise leave the
//   watch open and silent.
// - TLS goes through EtcdTlsCredentials (etcd-tls.ts), so that an endpoint
//   given by IP connects and its certificate is checked against that IP.
import * as grpc from "@grpc/grpc-js";
import { ConsecutiveBreaker, circuitBreaker, handleWhen } from "cockatiel";
import { Etcd3, type IOptions, isRecoverableError } from "etcd3";
import type { EtcdSettings } from "../config/load-ini";
import { type EtcdProblem, etcdProblem } from "./etcd-problem";
import { EtcdTlsCredentials } from "./etcd-tls";

export { Etcd3 };

/** How long a member that failed is left out before one call may try it again. */
const MEMBER_SET_ASIDE_MS = 5_000;
/** etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time); a dead peer is found within 30 s + 10 s. */
const KEEPALIVE_MS = 30_000;
const KEEPALIVE_TIMEOUT_MS = 10_000;

/** A bare `host:port` is http; load-ini has refused mixed schemes. */
export function endpointUrls(endpoints: string[]): string[] {
  return endpoints.map((e) => (e.includes("://") ? e : `http://${e}`));
}

export interface EtcdConnection {
  client: Etcd3;
  /** What went wrong, for an error from `client` (see etcd-problem.ts). */
  describe(err: unknown): EtcdProblem;
}

export function openEtcd(settings: Pick<EtcdSettings, "endpoints" | "timeoutMs" | "tls" | "auth">): EtcdConnection {
  const options: IOptions = {
    hosts: endpointUrls(settings.endpoints),
    dialTimeout: settings.timeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + settings.timeoutMs }),
    grpcOptions: { "grpc.keepalive_time_ms": KEEPALIVE_MS, "grpc.keepalive_timeout_ms": KEEPALIVE_TIMEOUT_MS },
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: MEMBER_SET_ASIDE_MS, breaker: new ConsecutiveBreaker(1) }),
    },
    // The token exchange gets the deadline of defaultCallOptions too.
    ...(settings.auth ? { auth: { ...settings.auth } } : {}),
  };
  if (!settings.tls) return { client: new Etcd3(options), describe: (err) => etcdProblem(err) };
  // etcd3 makes its channel credentials with grpc.credentials.createSsl() while it is constructed
  // (for https:// hosts) and has no option to pass others; this swaps them in for that call only.
  const credentials = new EtcdTlsCredentials(settings.tls);
  const createSsl = grpc.credentials.createSsl;
  grpc.credentials.createSsl = () => credentials;
  try {
    return { client: new Etcd3(options), describe: (err) => etcdProblem(err, credentials.lastFailure) };
  } finally {
    grpc.credentials.createSsl = createSsl;
  }
}
