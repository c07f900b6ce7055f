// The metrics and health server against real HTTP requests (Bun.serve on a free loopback port).
import { afterAll, expect, test } from "bun:test";
import { HttpServer, ListenError, listenProblem } from "../../src/telemetry/http-server";
import type { Verdict } from "../../src/telemetry/health";
import { Logger } from "../../src/telemetry/logger";

let verdict: Verdict = { healthy: true, reasons: [] };
const server = HttpServer.start(
  { hostname: "127.0.0.1", port: 0 },
  {
    metrics: () => "# HELP x_total x\n# TYPE x_total counter\nx_total 1\n",
    health: () => verdict,
    status: () => ({ revision: 12345678901234567890n, files: [] }),
  },
  new Logger("test"),
);
afterAll(() => server.stop());

test("/metrics is the Prometheus text format, version 0.0.4", async () => {
  const r = await fetch(`${server.url}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(await r.text()).toBe("# HELP x_total x\n# TYPE x_total counter\nx_total 1\n");
});

test("/healthz: 200 ok when healthy, 503 with every reason when not", async () => {
  verdict = { healthy: true, reasons: [] };
  let r = await fetch(`${server.url}/healthz`);
  expect([r.status, await r.text()]).toEqual([200, "ok\n"]);
  verdict = { healthy: false, reasons: ["Kafka unreachable for 75 s", "Kafka refuses topic t for 61 s"] };
  r = await fetch(`${server.url}/healthz`);
  expect([r.status, await r.text()]).toEqual([503, "unhealthy: Kafka unreachable for 75 s\nKafka refuses topic t for 61 s\n"]);
});

test("/status is JSON, bigints written as strings", async () => {
  const r = await fetch(`${server.url}/status`);
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(await r.json()).toEqual({ revision: "12345678901234567890", files: [] });
});

test("any other path is 404; another method than GET or HEAD is 405", async () => {
  expect((await fetch(`${server.url}/`)).status).toBe(404);
  expect((await fetch(`${server.url}/metrics/x`)).status).toBe(404);
  expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
  verdict = { healthy: true, reasons: [] };
  expect((await fetch(`${server.url}/healthz`, { method: "HEAD" })).status).toBe(200);
});

test("a port in use is a ListenError that says so", () => {
  const port = Number(new URL(server.url).port);
  const hooks = { metrics: () => "", health: () => verdict, status: () => null };
  expect(() => HttpServer.start({ hostname: "127.0.0.1", port }, hooks, new Logger("test"))).toThrow(ListenError);
  expect(() => HttpServer.start({ hostname: "127.0.0.1", port }, hooks, new Logger("test"))).toThrow("the port is in use");
});

test("other bind failures are said in words an operator acts on", () => {
  expect(listenProblem(Object.assign(new Error("EADDRNOTAVAIL: address not available, listen"), { code: "EADDRNOTAVAIL" }))).toContain("no network interface of this host has that address");
  expect(listenProblem(Object.assign(new Error("denied"), { code: "EACCES" }))).toContain("ports below 1024 need privileges");
});
