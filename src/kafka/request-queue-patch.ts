// kafkajs keeps one RequestQueue per broker connection, and that queue wakes
// the process when nothing is going on, in two ways. Importing this module
// patches kafkajs's own class (the one its connections use, in `bun run` and
// in the compiled binary alike) so that an idle connection costs nothing.
// kafkajs is pinned (2.2.4); the methods replaced are small and named below.
//
// 1. `scheduleCheckPendingRequests` re-arms its timer after every check, also
//    with nothing pending, with a delay of `throttledUntil - Date.now()`:
//    about -1.8e12 ms when no throttle was ever asked for. Bun clamps that to
//    1 ms (saying TimeoutNegativeWarning once), so from the first response on,
//    every connection woke the process ~850 times a second for good
//    (tulios/kafkajs#1556, #1604, #1704, #1751, still open upstream). Here the
//    timer is armed only while requests are pending: for when the throttle
//    ends, or 10 ms as upstream (kafkajs#1532's re-check). A response checks
//    the queue anyway (fulfillRequest -> checkPendingRequests).
// 2. With `enforceRequestTimeout` (the default) an interval looks for timed-out
//    requests every 100 ms from the moment the connection opens, in flight or
//    not. Here it runs only while a request is in flight: nothing else can
//    time out.
import RequestQueue from "kafkajs/src/network/requestQueue";

/** kafkajs's RequestQueue, as far as the patch uses it. */
interface Queue {
  pending: unknown[];
  inflight: Map<number, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  requestTimeoutIntervalId?: ReturnType<typeof setInterval>;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  isConnected(): boolean;
  checkPendingRequests(): void;
  destroy(): void;
  sendSocketRequest(request: unknown): void;
  scheduleCheckPendingRequests(): void;
  scheduleRequestTimeoutCheck(): void;
  /** Set by the patch: the connection is open and enforces request timeouts. */
  timeoutChecks?: boolean;
}

export type RequestQueueClass = { prototype: Queue };

/** kafkajs's CHECK_PENDING_REQUESTS_INTERVAL. */
const RECHECK_MS = 10;
const PATCHED = Symbol.for("logagent.requestQueuePatched");

/** Arms the timeout check if requests are in flight on an open connection; it stops itself when none are. */
function armTimeoutCheck(q: Queue): void {
  if (!q.timeoutChecks || q.requestTimeoutIntervalId || q.inflight.size === 0) return;
  q.requestTimeoutIntervalId = setInterval(
    () => {
      const now = Date.now();
      q.inflight.forEach((request) => {
        if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      });
      if (!q.isConnected()) q.destroy();
      else if (q.inflight.size === 0) {
        clearInterval(q.requestTimeoutIntervalId);
        q.requestTimeoutIntervalId = undefined;
      }
    },
    Math.min(q.requestTimeout, 100),
  );
}

/** Patches `RequestQueue` (kafkajs's class, or a copy of it in a test); a second call does nothing. Returns whether it patched. */
export function patchRequestQueue(RequestQueue: RequestQueueClass): boolean {
  const proto = RequestQueue.prototype as Queue & { [PATCHED]?: true };
  if (proto[PATCHED]) return false;
  proto[PATCHED] = true;

  proto.scheduleCheckPendingRequests = function (this: Queue) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : RECHECK_MS,
    );
  };

  // Called by the connection once it is open.
  proto.scheduleRequestTimeoutCheck = function (this: Queue) {
    this.destroy();
    this.timeoutChecks = this.enforceRequestTimeout;
    armTimeoutCheck(this);
  };

  const send = proto.sendSocketRequest;
  proto.sendSocketRequest = function (this: Queue, request: unknown) {
    send.call(this, request);
    armTimeoutCheck(this);
  };

  // Called when the connection closes (and by the check above when it finds it closed).
  const destroy = proto.destroy;
  proto.destroy = function (this: Queue) {
    destroy.call(this);
    this.requestTimeoutIntervalId = undefined;
    this.timeoutChecks = false;
  };
  return true;
}

// A static import, like partitioner.ts's murmur2: the bundler then puts kafkajs's own module in the
// binary once, and this is the very class its connections create.
patchRequestQueue(RequestQueue as unknown as RequestQueueClass);
