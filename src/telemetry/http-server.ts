// The metrics and health server ([http] address): /metrics in the Prometheus text format (0.0.4),
// /healthz for probes and load balancers, /status for people and scripts. Bun.serve runs on the
// agent's one event loop, so a scrape reads the same objects the pipeline uses, between two of its
// steps: no locks, no copies. It does nothing until a request comes.
//
// The server does not know the agent: it answers from three hooks that the composition root
// (agent.ts) gives it, so what /status shows can change without touching this file.
import type { Server } from "bun";
import type { ListenAddress } from "../config/listen-address";
import type { Verdict } from "./health";
import type { Logger } from "./logger";

export interface HttpHooks {
  /** The Prometheus text exposition. */
  metrics(): string;
  health(): Verdict;
  /** Any JSON value (bigints are written as strings). */
  status(): unknown;
}

/** Binding failed: the address is taken, not this host's, or not allowed to this account. */
export class ListenError extends Error {
  override name = "ListenError" as const;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

export class HttpServer {
  private constructor(
    private readonly server: Server<undefined>,
    /** Where it listens, with the port the system picked for port 0. */
    readonly url: string,
  ) {}

  static start(address: ListenAddress, hooks: HttpHooks, log: Logger): HttpServer {
    let server: Server<undefined>;
    try {
      server = Bun.serve({
        hostname: address.hostname,
        port: address.port,
        // One agent per port: a second process must not share it silently (SO_REUSEPORT).
        reusePort: false,
        fetch: (req) => answer(req, hooks, log),
        error: (err) => {
          log.warn("The metrics server failed to answer a request.", { error: err });
          return new Response("internal error\n", { status: 500, headers: TEXT });
        },
      });
    } catch (err) {
      throw new ListenError(listenProblem(err));
    }
    const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
    return new HttpServer(server, `http://${host}:${server.port}`);
  }

  stop(): void {
    void this.server.stop(true);
  }
}

function answer(req: Request, hooks: HttpHooks, log: Logger): Response {
  const { pathname } = new URL(req.url);
  if (pathname !== "/metrics" && pathname !== "/healthz" && pathname !== "/status") {
    return new Response("not found: this server answers /metrics, /healthz and /status\n", { status: 404, headers: TEXT });
  }
  if (req.method !== "GET" && req.method !== "HEAD") return new Response("only GET\n", { status: 405, headers: { ...TEXT, allow: "GET, HEAD" } });
  try {
    switch (pathname) {
      case "/metrics":
        return new Response(hooks.metrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
      case "/healthz": {
        const verdict = hooks.health();
        return verdict.healthy
          ? new Response("ok\n", { headers: TEXT })
          : new Response(`unhealthy: ${verdict.reasons.join("\n")}\n`, { status: 503, headers: TEXT });
      }
      default:
        return new Response(JSON.stringify(hooks.status(), (_k, v) => (typeof v === "bigint" ? String(v) : v), 2) + "\n", {
          headers: { "content-type": "application/json" },
        });
    }
  } catch (err) {
    log.warn("The metrics server failed to answer a request.", { path: pathname, error: err });
    return new Response(`internal error: ${(err as Error)?.message ?? err}\n`, { status: 500, headers: TEXT });
  }
}

/** Why the address cannot be listened on, in words an operator acts on. */
export function listenProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code ?? "";
  const message = String((err as Error)?.message ?? err);
  if (code === "EADDRINUSE" || /in use/i.test(message)) return "cannot listen there: the port is in use by another program (or another agent)";
  if (code === "EADDRNOTAVAIL") return "cannot listen there: no network interface of this host has that address";
  if (code === "EACCES" || code === "EPERM") return "cannot listen there: this account may not use that port (ports below 1024 need privileges)";
  return `cannot listen there: ${message}${code ? ` (${code})` : ""}`;
}
