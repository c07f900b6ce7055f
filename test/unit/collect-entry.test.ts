import { expect, test } from "bun:test";
import { parseCollectList } from "../../src/discovery/collect-entry";

test("the tutorial's etcd value parses verbatim", () => {
  const r = parseCollectList('[{"path":"/var/log/nginx/access.log","topic":"web_log"},{"path":"/var/log/redis.log","topic":"redis_log"}]');
  expect(r.problems).toEqual([]);
  expect(r.entries).toEqual([
    { path: "/var/log/nginx/access.log", topic: "web_log" },
    { path: "/var/log/redis.log", topic: "redis_log" },
  ]);
});

test("an empty list is valid and collects nothing", () => {
  expect(parseCollectList("[]")).toEqual({ entries: [], problems: [] });
});

test("invalid JSON and a non-array are rejected with the reason", () => {
  expect(parseCollectList("[{")).toMatchObject({ problems: [expect.stringContaining("not valid JSON")] });
  expect(parseCollectList('{"path":"/a"}').problems[0]).toContain("must be a JSON array");
});

test("each bad entry is named by index and path, with the field and the bad value", () => {
  const r = parseCollectList(JSON.stringify([{ path: "/a.log", topic: "" }, { path: "rel.log", topic: "t" }, { path: "/b.log", topic: "t", encoding: "gbk" }, "x"]));
  expect(r.problems).toEqual([
    'entry 0 ("/a.log"): field "topic" must be a non-empty string, got ""',
    'entry 1 ("rel.log"): field "path" must be an absolute path, got "rel.log"',
    'entry 2 ("/b.log"): unknown field "encoding" (known: path, topic, from, fields, acks, partitioner, key, key_pattern, partition, compression, format)',
    'entry 3: must be an object like {"path": ..., "topic": ...}, got "x"',
  ]);
});

test("one path listed twice is an error: a file goes to one topic", () => {
  const r = parseCollectList(JSON.stringify([{ path: "/a.log", topic: "x" }, { path: "/a.log", topic: "y" }]));
  expect(r.problems).toEqual(['entry 1 ("/a.log"): path "/a.log" is already collected by entry 0 ("/a.log"); one file goes to one topic']);
});

test("from must be end or beginning", () => {
  expect(parseCollectList('[{"path":"/a","topic":"t","from":"start"}]').problems[0]).toContain('field "from" must be "end" or "beginning", got "start"');
});
