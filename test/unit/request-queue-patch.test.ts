// kafkajs's RequestQueue, patched (src/kafka/request-queue-patch.ts) and not:
// how often its timers wake the process once a request has had its response.
// Every case runs the real kafkajs class; the unpatched one is a second copy of
// its module, loaded fresh, so that the test shows it catches the spin.
import { afterEach, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { patchRequestQueue, type RequestQueueClass } from "../../src/kafka/request-queue-patch";

const require = createRequire(import.meta.url);
const MODULE = require.resolve("kafkajs/src/network/requestQueue");

type Ctor = new (options: Record<string, unknown>) => any;
/** The class kafkajs's connections use (patched when the patch module was imported). */
const Installed = require(MODULE) as Ctor;

/** A copy of kafkajs's RequestQueue module that nothing has patched. */
function freshCopy(): Ctor {
  const cached = require.cache[MODULE];
  delete require.cache[MODULE];
  try {
    return require(MODULE) as Ctor;
  } finally {
    if (cached) require.cache[MODULE] = cached;
  }
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const queues: any[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.destroy();
});

function queueOf(Class: Ctor, options: Record<string, unknown> = {}): any {
  const q = new Class({ maxInFlightRequests: null, requestTimeout: 30_000, enforceRequestTimeout: true, clientId: "test", broker: "b:9092", logger: quiet, isConnected: () => true, ...options });
  q.scheduleRequestTimeoutCheck(); // what the connection does once it is open
  queues.push(q);
  return q;
}

let correlation = 0;
/** Pushes a request; returns its correlation id and a promise of its result. */
function push(q: any, requestTimeout?: number): { id: number; result: Promise<unknown> } {
  const id = ++correlation;
  let resolve!: (v: unknown) => void, reject!: (e: unknown) => void;
  const result = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  q.push({ entry: { correlationId: id, apiKey: 0, apiName: "Produce", apiVersion: 7, resolve, reject }, expectResponse: true, sendRequest: () => {}, requestTimeout });
  return { id, result };
}

/** Timer callbacks (setTimeout and setInterval) that run during `ms`: each is a wake-up of the process. */
async function wakeUpsDuring(ms: number, start: () => void = () => {}): Promise<number> {
  const { setTimeout: st, setInterval: si } = globalThis;
  let fired = 0;
  globalThis.setTimeout = ((fn: () => void, delay?: number) => st(() => (fired++, fn()), delay)) as typeof setTimeout;
  globalThis.setInterval = ((fn: () => void, delay?: number) => si(() => (fired++, fn()), delay)) as typeof setInterval;
  try {
    start();
    await Bun.sleep(ms);
  } finally {
    globalThis.setTimeout = st;
    globalThis.setInterval = si;
  }
  return fired;
}

test("the unpatched queue spins: after one response its timer fires about every millisecond (kafkajs#1556)", async () => {
  const Unpatched = freshCopy();
  expect(Unpatched).not.toBe(Installed);
  const q = queueOf(Unpatched);
  const fired = await wakeUpsDuring(500, () => {
    const { id } = push(q);
    q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });
  });
  // Bun clamps the negative delay to 1 ms: hundreds of wake-ups in half a second, plus the 100 ms
  // timeout interval's five, on a queue with nothing to do.
  expect(fired).toBeGreaterThan(100);
});

test("the patched queue is quiet after a request and its response: at most one timer fires in 1.5 s", async () => {
  const q = queueOf(Installed);
  const fired = await wakeUpsDuring(1500, () => {
    const { id, result } = push(q);
    q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });
    void result;
  });
  // The one: the timeout check armed when the request went out, which finds nothing in flight on
  // its first tick and stops. 1.5 s is fifteen of its periods.
  expect(fired).toBeLessThanOrEqual(1);
  expect(q.requestTimeoutIntervalId).toBeUndefined();
});

test("kafkajs's own class is the patched one, and patching twice changes nothing", () => {
  const scheduled = Installed.prototype.scheduleCheckPendingRequests;
  expect(patchRequestQueue(Installed as unknown as RequestQueueClass)).toBe(false);
  expect(Installed.prototype.scheduleCheckPendingRequests).toBe(scheduled);
  expect(freshCopy().prototype.scheduleCheckPendingRequests).not.toBe(scheduled);
});

test("a request that gets no answer still times out, and the check stops once nothing is in flight", async () => {
  const q = queueOf(Installed, { requestTimeout: 150 });
  const { result } = push(q);
  const error = await result.then(
    () => null,
    (e: Error) => e,
  );
  expect(error?.name).toBe("KafkaJSRequestTimeoutError");
  expect(q.inflight.size).toBe(0);
  // The interval saw nothing in flight on its next tick (within 100 ms) and stopped.
  await Bun.sleep(250);
  expect(await wakeUpsDuring(500)).toBe(0);
  expect(q.requestTimeoutIntervalId).toBeUndefined();
  // A later request arms it again.
  const again = push(q);
  expect(await again.result.then(() => "answered", (e: Error) => e.name)).toBe("KafkaJSRequestTimeoutError");
});

test("while throttled, a pending request is sent when the throttle ends (the re-check kept from kafkajs#1532)", async () => {
  const sent: number[] = [];
  const q = queueOf(Installed);
  q.maybeThrottle(120);
  const started = Date.now();
  const id = ++correlation;
  q.push({ entry: { correlationId: id, apiKey: 0, apiName: "Produce", apiVersion: 7, resolve() {}, reject() {} }, expectResponse: true, sendRequest: () => sent.push(Date.now()) });
  expect(sent).toEqual([]);
  expect(q.pending.length).toBe(1);
  await Bun.sleep(400);
  expect(sent.length).toBe(1);
  expect(sent[0]! - started).toBeGreaterThanOrEqual(110);
  q.fulfillRequest({ correlationId: id, payload: Buffer.alloc(0), size: 0 });
  expect(await wakeUpsDuring(300)).toBe(0);
});

test("with more requests than max in flight, the waiting ones go out as responses come, then all is quiet", async () => {
  const q = queueOf(Installed, { maxInFlightRequests: 1 });
  const a = push(q);
  const b = push(q);
  expect(q.pending.length).toBe(1);
  q.fulfillRequest({ correlationId: a.id, payload: Buffer.alloc(0), size: 0 });
  expect(q.pending.length).toBe(0);
  expect(q.inflight.has(b.id)).toBe(true);
  q.fulfillRequest({ correlationId: b.id, payload: Buffer.alloc(0), size: 0 });
  await Promise.all([a.result, b.result]);
  expect(await wakeUpsDuring(300)).toBe(0);
});
