import { expect, test } from "bun:test";
import { ENTRY_FIELD_NAMES, parseCollectList } from "../../src/discovery/collect-entry";

test("the tutorial's etcd value parses verbatim", () => {
  const r = parseCollectList('[{"path":"/var/log/nginx/access.log","topic":"web_log"},{"path":"/var/log/redis.log","topic":"redis_log"}]');
  expect(r.problems).toEqual([]);
  expect(r.entries).toEqual([
    { path: "/var/log/nginx/access.log", topic: "web_log" },
    { path: "/var/log/redis.log", topic: "redis_log" },
  ]);
});

test("an empty list is valid and collects nothing", () => {
  expect(parseCollectList("[]")).toEqual({ entries: [], problems: [], located: [], sources: [] });
});

test("invalid JSON and a non-array are rejected with the reason", () => {
  expect(parseCollectList("[{")).toMatchObject({ problems: [expect.stringContaining("not valid JSON")] });
  expect(parseCollectList('{"path":"/a"}').problems[0]).toContain("must be a JSON array");
});

test("each bad entry is named by index and path, with the field and the bad value", () => {
  const r = parseCollectList(JSON.stringify([{ path: "/a.log", topic: "" }, { path: "rel.log", topic: "t" }, { path: "/b.log", topic: "t", encodng: "gbk" }, "x"]));
  expect(r.problems).toEqual([
    'entry 0 ("/a.log"): field "topic" must be a non-empty string, got ""',
    'entry 1 ("rel.log"): field "path" must be an absolute path, got "rel.log"',
    `entry 2 ("/b.log"): unknown field "encodng" (known: ${ENTRY_FIELD_NAMES.join(", ")})`,
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

test("the issue's example entry is valid: a Windows glob, exclude, encoding, nested multiline, from", () => {
  const r = parseCollectList(
    JSON.stringify([{ path: "/logs/**/*.log", topic: "web", exclude: ["*.gz"], encoding: "gbk", multiline: { start: "^\\d{4}-" }, from: "beginning" }]),
  );
  expect(r.problems).toEqual([]);
  expect(r.entries[0]!.options).toEqual({ exclude: ["*.gz"], encoding: "gbk", "multiline.start": "^\\d{4}-" });
});

test("tail options are validated like the INI: each bad one names the entry, the field and the value", () => {
  const r = parseCollectList(
    JSON.stringify([
      {
        path: "/a.log",
        topic: "t",
        encoding: "ebcdic",
        multiline: { start: "([", lines: 3 },
        include_lines: ["ok", 5],
        exclude: ["{a,b"],
        max_line_bytes: 12,
      },
      { path: "/b.log", topic: "t", multiline: "^x" },
    ]),
  );
  expect(r.problems).toEqual([
    'entry 0 ("/a.log"): unknown field "multiline.lines" (known: start, continuation, max_lines, timeout_ms)',
    'entry 0 ("/a.log"): field "exclude" = "{a,b": is not a valid glob (unclosed "{" at character 1)',
    'entry 0 ("/a.log"): field "encoding" = "ebcdic": must be one of utf-8, utf-16le, utf-16be, gbk, gb18030, latin1',
    'entry 0 ("/a.log"): field "max_line_bytes" = "12": must be an integer from 1024 to 104857600',
    'entry 0 ("/a.log"): field "include_lines" = ["ok",5]: must be a string or a list of strings',
    'entry 0 ("/a.log"): field "multiline.start" = "([": is not a valid regular expression (missing terminating ] for character class)',
    'entry 1 ("/b.log"): field "multiline" must be an object like {"start": "^\\d{4}-"}, got "^x"',
  ]);
});

test("a collect path on Windows needs its drive or a UNC root: a service starts on C:, a console may not", async () => {
  const { absolutePathProblem } = await import("../../src/discovery/collect-entry");
  for (const ok of ["C:\\logs\\app.log", "d:/logs/*.log", "\\\\server\\share\\app.log", "//server/share/app.log"]) expect(absolutePathProblem(ok, "win32")).toBeUndefined();
  for (const bad of ["\\logs\\app.log", "/var/log/app.log", "logs\\app.log", "C:logs\\app.log"]) expect(absolutePathProblem(bad, "win32")).toContain("drive letter");
  expect(absolutePathProblem("/var/log/app.log", "linux")).toBeUndefined();
  expect(absolutePathProblem("var/log/app.log", "linux")).toBe("must be an absolute path");
});

test("a pattern that needs a backtracking engine is refused, naming the entry, the field and the pattern", () => {
  const r = parseCollectList(
    JSON.stringify([
      { path: "/a.log", topic: "t", include_lines: ["ERROR", "(?<!health)check"] },
      { path: "/b.log", topic: "t", key: "pattern", key_pattern: "(\\w+)=\\1" },
      { path: "/c.log", topic: "t", include_lines: ["(a+)+$"], multiline: { continuation: "^(\\s+)+at " } },
    ]),
  );
  expect(r.problems).toEqual([
    'entry 0 ("/a.log"): field "include_lines" = "(?<!health)check": is refused: the negative lookbehind "(?<!health)" at position 0 needs a backtracking engine, and patterns must run in linear time (see README, "Line patterns")',
    'entry 1 ("/b.log"): field "key_pattern" = "(\\\\w+)=\\\\1": is refused: the backreference "\\\\1" at position 6 needs a backtracking engine, and patterns must run in linear time (see README, "Line patterns")',
  ]);
  // Catastrophic for a backtracking engine, but re2js runs them in linear time: accepted.
  expect(r.entries.map((e) => e.path)).toEqual(["/c.log"]);
});
