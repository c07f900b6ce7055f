// TLS to etcd members addressed by IP, with the IP still verified.
//
// grpc-js passes the target's host to tls.connect as `servername` (the SNI
// name), an IP included. RFC 6066 forbids an IP there: Node only warns, Bun
// refuses ("Setting the TLS ServerName to an IP address is not permitted"), so
// `https://127.0.0.1:2379` never connected from the compiled agent. Setting
// `grpc.ssl_target_name_override` would replace the name that the certificate
// is checked against, for every member at once; a checkServerIdentity that
// ignores its argument would check nothing. So these credentials do what
// grpc-js does, with one difference: an IP is sent as no SNI name at all, and
// the certificate is checked against the host the channel dials, which for an
// IP means its subject alternative names must list that IP (Node's
// tls.checkServerIdentity rules). Names keep SNI and the usual name check.
//
// The connector interface is grpc-js's own (`ChannelCredentials`,
// `SecureConnector`, typed in its .d.ts); etcd-client.ts hands these
// credentials to etcd3, which otherwise builds them with createSsl.
import { isIP } from "node:net";
import { type SecureContext, type TLSSocket, checkServerIdentity, connect, createSecureContext } from "node:tls";
import type { Socket } from "node:net";
import { CallCredentials, ChannelCredentials } from "@grpc/grpc-js";

type ConnectorArgs = Parameters<ChannelCredentials["_createSecureConnector"]>;
type SecureConnector = ReturnType<ChannelCredentials["_createSecureConnector"]>;

/** The host part of a gRPC target path: `127.0.0.1:2379` -> `127.0.0.1`, `[::1]:2379` -> `::1`, `etcd1` -> `etcd1`. */
export function targetHost(target: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(target);
  if (bracketed) return bracketed[1]!;
  const colon = target.lastIndexOf(":");
  // One colon: host:port. None: a host alone. More: a bare IPv6 address.
  return colon >= 0 && target.indexOf(":") === colon ? target.slice(0, colon) : target;
}

/** The tls.connect options for `host`: SNI only for a name, and the certificate checked against `host` itself. */
export function tlsOptionsFor(host: string, secureContext: SecureContext) {
  return {
    secureContext,
    host,
    ...(isIP(host) ? {} : { servername: host }),
    checkServerIdentity: (_name: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(host, cert),
    ALPNProtocols: ["h2"],
  };
}

export class EtcdTlsCredentials extends ChannelCredentials {
  private readonly secureContext: SecureContext;
  /** The last handshake that failed, until one succeeds: gRPC reports later attempts on that connection as "Last error: null". */
  lastFailure: Error | null = null;

  /** PEM texts; without `ca`, the runtime's default CAs. */
  constructor(pem: { ca?: string; cert?: string; key?: string }) {
    super();
    this.secureContext = createSecureContext({ ca: pem.ca, cert: pem.cert, key: pem.key });
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(...[target, , callCredentials]: ConnectorArgs): SecureConnector {
    const options = tlsOptionsFor(targetHost(target.path), this.secureContext);
    return {
      connect: (socket: Socket) =>
        new Promise((resolve, reject) => {
          const fail = (err: Error) => {
            this.lastFailure = err;
            reject(err);
          };
          const tls: TLSSocket = connect({ ...options, socket }, () => {
            // rejectUnauthorized (the default) already refuses an unverified peer; grpc-js checks again, so do we.
            if (!tls.authorized) return fail(tls.authorizationError);
            this.lastFailure = null;
            resolve({ socket: tls, secure: true });
          });
          tls.on("error", fail);
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? CallCredentials.createEmpty(),
      destroy: () => {},
    };
  }
}
