import { expect, test } from "bun:test";
import { parseIni } from "../../src/config/load-ini";
import { parseCollectList } from "../../src/discovery/collect-entry";
import { resolveOutput, type OutputOptions } from "../../src/discovery/entry-output";
import { envelope, keyFor } from "../../src/kafka/record-fields";

const defaults: OutputOptions = { acks: "all", partitioner: "key", key: "path", key_pattern: "", partition: -1, compression: "none", format: "raw" };
const host = { hostname: "web-7", ip: "10.1.2.3" };
const ctx = { defaults, fields: { env: "prod" }, host, idempotent: false };
const entry = (json: string) => {
  const r = parseCollectList(json);
  expect(r.problems).toEqual([]);
  return r.entries[0]!;
};
const line = (s: string) => new TextEncoder().encode(s);

test("an entry overrides [kafka] defaults; the rest come from the INI", () => {
  const r = resolveOutput(entry('[{"path":"/a.log","topic":"t","acks":1,"compression":"zstd","partitioner":"round_robin"}]'), ctx);
  expect(r.problems).toEqual([]);
  expect(r.output).toMatchObject({ topic: "t", acks: 1, compression: "zstd", partitioner: "round_robin", format: "raw" });
});

test("topic templates take {hostname}, {ip} and fields; an unknown placeholder is named", () => {
  const r = resolveOutput(entry('[{"path":"/a.log","topic":"logs-{hostname}-{env}-{dc}","fields":{"dc":"fra1"}}]'), ctx);
  expect(r.output?.topic).toBe("logs-web-7-prod-fra1");
  const bad = resolveOutput(entry('[{"path":"/a.log","topic":"logs-{nope}"}]'), ctx);
  expect(bad.problems[0]).toContain('unknown placeholder {nope}');
});

test("bad combinations are named by field", () => {
  expect(resolveOutput(entry('[{"path":"/a","topic":"t","partitioner":"partition"}]'), ctx).problems[0]).toContain('field "partition"');
  expect(resolveOutput(entry('[{"path":"/a","topic":"t","key":"pattern"}]'), ctx).problems[0]).toContain('field "key_pattern" is needed');
  // A bad key_pattern is refused with the entry, like every other pattern, before an output is resolved.
  expect(parseCollectList('[{"path":"/a","topic":"t","key":"pattern","key_pattern":"(["}]').problems).toEqual([
    'entry 0 ("/a"): field "key_pattern" = "([": is not a valid regular expression (missing terminating ] for character class)',
  ]);
  expect(resolveOutput(entry('[{"path":"/a","topic":"t","acks":"1"}]'), { ...ctx, idempotent: true }).problems[0]).toContain("idempotent");
});

test("entry option values are checked by the INI's own option table", () => {
  const r = parseCollectList('[{"path":"/a","topic":"t","acks":2,"compression":"brotli"}]');
  expect(r.problems).toEqual([
    'entry 0 ("/a"): field "acks" = "2": must be one of 0, 1, all',
    'entry 0 ("/a"): field "compression" = "brotli": must be one of none, gzip, snappy, lz4, zstd',
  ]);
});

test("the key is the path, the host, or the pattern's first group (else the whole match)", () => {
  const o = (extra: string) => resolveOutput(entry(`[{"path":"/a.log","topic":"t"${extra}}]`), ctx).output!;
  expect(keyFor(o(""), line("x"), "/a.log", "web-7")).toBe("/a.log");
  expect(keyFor(o(',"key":"host"'), line("x"), "/a.log", "web-7")).toBe("web-7");
  expect(keyFor(o(',"key":"pattern","key_pattern":"user=(\\\\w+)"'), line("GET / user=ann"), "/a", "h")).toBe("ann");
  expect(keyFor(o(',"key":"pattern","key_pattern":"\\\\d+"'), line("id 42"), "/a", "h")).toBe("42");
  expect(keyFor(o(',"key":"pattern","key_pattern":"\\\\d+"'), line("none"), "/a", "h")).toBeNull();
  expect(keyFor(o(',"partitioner":"round_robin"'), line("x"), "/a", "h")).toBeNull();
});

test("the JSON envelope has message, host, path, offset, timestamp and fields; invalid UTF-8 is replaced", () => {
  const o = resolveOutput(entry('[{"path":"/a.log","topic":"t","format":"json","fields":{"team":"web"}}]'), ctx).output!;
  const bytes = new Uint8Array([0x68, 0x69, 0xff]);
  expect(JSON.parse(envelope(o, bytes, { host: "web-7", path: "/a.log", offset: 12, time: Date.UTC(2026, 10, 25) }))).toEqual({
    message: "hi\ufffd",
    host: "web-7",
    path: "/a.log",
    offset: 12,
    timestamp: "2026-11-25T00:00:00.000Z",
    fields: { env: "prod", team: "web" },
  });
});

test("[fields], SASL and the password rules of the INI", () => {
  const c = parseIni("[kafka]\naddress=k:1\nsasl_mechanism=scram-sha-512\nsasl_username=u\nsasl_password=p\n[fields]\nenv = prod\n[collect.a]\npath=/a\ntopic=t\n", "/c.ini");
  expect(c.fields).toEqual({ env: "prod" });
  expect(c.kafka.security.sasl).toEqual({ mechanism: "scram-sha-512", username: "u", password: "p" });
  expect(() => parseIni("[kafka]\naddress=k:1\nsasl_mechanism=plain\n[collect.a]\npath=/a\ntopic=t\n", "/c.ini")).toThrow("[kafka] sasl_username: missing");
  expect(() => parseIni("[kafka]\naddress=k:1\ntls=true\ntls_ca_file=/nonexistent/ca.pem\n[collect.a]\npath=/a\ntopic=t\n", "/c.ini")).toThrow(
    '/c.ini:4: [kafka] tls_ca_file = "/nonexistent/ca.pem": file not found',
  );
});
