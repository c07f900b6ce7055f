// The agent's etcd client (src/discovery/etcd-client.ts, etcd's JSON gateway)
// against the real etcd the tests run, checked against what the etcd3 package
// (gRPC) writes and reads on the same server.
import { afterAll, expect, test } from "bun:test";
import { EtcdClient, type KeyValue } from "../../src/discovery/etcd-client";
import { services, unique } from "../support/env";
import { etcdClient } from "../support/etcd";

const etcd = etcdClient();
const endpoints = services.etcd.split(",");
afterAll(() => etcd.close());

test("get: an absent key is null with the store's revision; a present one has its value and revision", async () => {
  const client = new EtcdClient(endpoints, 5000);
  const key = `/logagent-test/${unique("get")}`;
  const absent = await client.get(key);
  expect(absent.kv).toBeNull();
  expect(absent.revision).toBeGreaterThan(0n);
  const value = 'ünïcode [{"path": "/x"}]';
  const put = await etcd.put(key).value(value).exec();
  const got = await client.get(key);
  expect(got.kv?.key).toBe(key);
  expect(got.kv?.value.toString("utf8")).toBe(value);
  expect(got.kv?.modRevision).toBe(put.header.revision);
  expect(got.revision).toBeGreaterThanOrEqual(BigInt(put.header.revision));
  client.close();
});

test("watch: every put and delete after the start revision, in order; cancel ends it quietly", async () => {
  const client = new EtcdClient(endpoints, 5000);
  const key = `/logagent-test/${unique("watch")}`;
  await etcd.put(key).value("before");
  const { revision } = await client.get(key);
  await etcd.put(key).value("missed-by-get"); // after the get: the watch from revision + 1 must see it
  const seen: string[] = [];
  const on = (what: string) => (kv: KeyValue) => seen.push(`${what} ${kv.value.toString()} @${kv.modRevision}`);
  const watch = await client.watch(key, revision + 1n, { put: on("put"), delete: on("delete") });
  const r1 = await etcd.put(key).value("one").exec();
  const r2 = await etcd.delete().key(key).exec();
  await etcd.put(`${key}-other`).value("not this key");
  for (let i = 0; i < 100 && seen.length < 3; i++) await Bun.sleep(20);
  expect(seen).toEqual([`put missed-by-get @${revision + 1n}`, `put one @${r1.header.revision}`, `delete  @${r2.header.revision}`]);
  watch.cancel();
  expect(await watch.ended.then(() => "resolved")).toBe("resolved");
  client.close();
});

test("watch from a compacted revision ends with an error that says so", async () => {
  const client = new EtcdClient(endpoints, 5000);
  const key = `/logagent-test/${unique("compacted")}`;
  const first = await etcd.put(key).value("a").exec();
  const last = await etcd.put(key).value("b").exec();
  await etcd.kv.compact({ revision: last.header.revision, physical: true });
  const watch = client.watch(key, BigInt(first.header.revision), { put() {}, delete() {} });
  // etcd confirms the watch, then cancels it at once with the compaction revision.
  const outcome = await watch.then(
    (w) => w.ended.then(() => "ended quietly", (e: Error) => e.message),
    (e: Error) => e.message,
  );
  expect(outcome).toContain("compacted");
  client.close();
});

test("an endpoint that refuses connections is skipped for the next one", async () => {
  const client = new EtcdClient(["127.0.0.1:1", ...endpoints], 2000);
  const key = `/logagent-test/${unique("failover")}`;
  await etcd.put(key).value("x");
  expect((await client.get(key)).kv?.value.toString()).toBe("x");
  const watch = await client.watch(key, 1n, { put() {}, delete() {} });
  watch.cancel();
  await watch.ended;
  client.close();
});

test("no endpoint answering: get throws, naming the cause, within the timeout", async () => {
  const client = new EtcdClient(["127.0.0.1:1"], 1000);
  const started = performance.now();
  const error = await client.get("/x").then(
    () => null,
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  expect(performance.now() - started).toBeLessThan(3000);
  client.close();
});
