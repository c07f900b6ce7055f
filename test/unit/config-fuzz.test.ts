// Issue 12's contract, checked over thousands of generated cases (fast-check,
// seeded so a failure replays): a valid file yields a config; anything else is
// a ConfigError whose every problem names the file and a line that exists (or
// a section and key when the key is missing); never another exception, never a
// hang (each case is timed), never a changed value (a generated valid value
// reads back as itself, whatever quoting, comments, line ends or encoding it
// was written with). The same for etcd's collect list. A case this ever finds
// is kept in test/fixtures/config with its outcome (config-fixtures.test.ts).
import { expect, test } from "bun:test";
import fc from "fast-check";
import path from "node:path";
import { ConfigError } from "../../src/config/config-error";
import { readIniBytes } from "../../src/config/load-ini";
import { parseCollectList } from "../../src/discovery/collect-entry";
import { resolveEntries } from "../../src/discovery/resolve-entries";

const FILE = "/etc/logagent/conf.ini";
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
/**
 * A case takes well under a millisecond; this bound is far above that (the machine is shared, and a
 * garbage collection may land in any case) and far below what a catastrophic regex or a loop takes.
 */
const CASE_MS = 2000;

type Encoding = "utf-8" | "utf-8-bom" | "utf-16le-bom" | "utf-16be-bom";
function encode(text: string, e: Encoding): Buffer {
  const le = () => Buffer.from(text, "utf16le");
  switch (e) {
    case "utf-8":
      return Buffer.from(text);
    case "utf-8-bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case "utf-16le-bom":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), le()]);
    case "utf-16be-bom":
      return Buffer.concat([Buffer.from([0xfe, 0xff]), le().swap16()]);
  }
}

/** Runs one case: it must end quickly, and a failure must be a ConfigError. */
function timed<T>(run: () => T): { value?: T; error?: ConfigError } {
  const t0 = performance.now();
  try {
    return { value: run() };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { error: err };
  } finally {
    expect(performance.now() - t0).toBeLessThan(CASE_MS);
  }
}

const SEEDS = [
  "[kafka]\naddress = 127.0.0.1:9092\nchan_max_size = 100000\n\n[etcd]\naddress = 127.0.0.1:2379\ntimeout = 5\ncollect_log_key = /logagent/%s/collect_config\n",
  '; Windows\n[kafka]\naddress = k1:9092, k2:9092\nacks = 1\nsasl_mechanism = plain\nsasl_username = u\nsasl_password = ${PW}\n[agent]\nstate_dir = "C:\\Program Files\\logagent\\state"\nexclude[] = *.gz\ninclude_lines[] = ERROR ; errors only\n[fields]\nenv = prod\n[collect.app]\npath = /var/log/app/**/*.log\ntopic = app-{env}\nmultiline.start = ^\\d{4}-\n',
];

const NASTY = [
  "\u2028", "\u2029", "\u0085", "\ufeff", "\u0000", "\u200b", "\u202e", "\r", "\n", "\r\n", "\t", " ", '"', "'", ";", "#", "\\", "=", "[", "]",
  "${", "$${", "${PW}", "${NOPE}", "${PW:-x}", "}", "[]", "__proto__", "toString", "constructor", "[collect.a]", "[kafka]", "[__proto__]",
  "key[] = ", "acks = 1\n", "idempotent = true\n", "true", "null", "/dev/zero", "{env}", "**", "{a,b", "\u00e9", "\u4e2d", "\ud83d\ude00",
];

const mutation = fc.oneof(
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: "binary", maxLength: 6 })) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant("duplicate-line" as const), at: fc.nat() }),
);

function mutate(text: string, ms: Array<{ op: string; at: number; text?: string; length?: number }>): string {
  for (const m of ms) {
    const at = m.at % (text.length + 1);
    if (m.op === "insert") text = text.slice(0, at) + m.text + text.slice(at);
    else if (m.op === "delete") text = text.slice(0, at) + text.slice(at + m.length!);
    else {
      const lines = text.split("\n");
      const i = m.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      text = lines.join("\n");
    }
  }
  return text;
}

test("mutated INI files: a config or a ConfigError whose every problem is located; nothing else, never slow", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...SEEDS),
      fc.array(mutation, { minLength: 1, maxLength: 6 }),
      fc.constantFrom<Encoding>("utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom"),
      fc.constantFrom("\n", "\r\n", "\r"),
      (seed, ms, encoding, eol) => {
        const text = mutate(seed, ms).replace(/\r\n|\r|\n/g, (m) => (m === "\n" ? eol : m));
        const bytes = encode(text, encoding);
        const { error } = timed(() => readIniBytes(bytes, FILE, { PW: "secret-pw" }));
        if (!error) return;
        const lines = text.split(/\r\n|\r|\n/).length;
        for (const p of error.problems) {
          expect(p.file).toBe(FILE);
          if (p.line !== undefined) {
            expect(p.line).toBeGreaterThanOrEqual(1);
            expect(p.line).toBeLessThanOrEqual(lines);
          } else if (!/^nothing to collect/.test(p.message)) {
            // Only a key missing from a missing section has no line; it names both.
            expect([typeof p.section, typeof p.key, p.message.startsWith("missing")]).toEqual(["string", "string", true]);
          }
          expect(p.message.includes("secret-pw")).toBe(false);
        }
      },
    ),
    { seed: SEED, numRuns: 3000 },
  );
});

// A value written with any quoting, comment and spacing reads back as itself.
/** What the reader refuses (control and invisible characters but tab and the zero-width joiners). */
const REFUSED = /(?![\t\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const valueChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(" ", "\t", ";", "#", '"', "'", "\\", "$", "{", "}", "=", "[", "]", "a", "Z", "0", "/", "\u00e9", "\u4e2d", "\ud83d\ude00", "\u00a0") },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);
const anyValue = fc
  .array(valueChar, { maxLength: 24 })
  .map((cs) => cs.join(""))
  .filter((v) => !REFUSED.test(v));

type Style = { quote: "none" | '"' | "'"; before: string; after: string; comment: string };
const style = fc.record({
  quote: fc.constantFrom<Style["quote"]>("none", '"', "'"),
  before: fc.constantFrom("", " ", "\t", "  "),
  after: fc.constantFrom("", " ", "\t"),
  comment: fc.constantFrom("", " ; a comment", "\t# another", " ;"),
});

/** The INI text for value `v`, or undefined when this style cannot write it (the generator then tries plain or skips). */
function write(v: string, s: Style): string | undefined {
  const text = v.replaceAll("${", () => "$${"); // a function: in a replacement string "$$" is one "$"
  if (s.quote === "none") {
    const blank = /^[ \t]|[ \t]$/.test(v);
    if (blank || v.startsWith('"') || v.startsWith("'")) return undefined;
    return text.replace(/[;#]/g, (c) => "\\" + c) + s.comment;
  }
  const q = s.quote;
  // A quote inside that a comment could follow would make two possible ends: the reader refuses that.
  if (new RegExp(`${q}[ \\t]*([;#]|$)`).test(text)) return undefined;
  return q + text + q + s.comment;
}

const line = (key: string, v: string, s: Style) => {
  const w = write(v, s) ?? write(v, { ...s, quote: '"' }) ?? write(v, { ...s, quote: "'" });
  return w === undefined ? undefined : `${key}${s.before}=${s.after}${w}`;
};

test("valid values round-trip: whatever the quoting, comments, line ends and encoding, the config holds the value written", () => {
  let checked = 0;
  fc.assert(
    fc.property(
      anyValue,
      anyValue,
      fc.array(fc.tuple(fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/), anyValue), { maxLength: 4 }),
      fc.array(anyValue.map((v) => v.replace(/[*?[\]{}\\]/g, "")), { minLength: 1, maxLength: 3 }),
      fc.array(style, { minLength: 8, maxLength: 8 }),
      fc.constantFrom("\n", "\r\n", "\r"),
      fc.constantFrom<Encoding>("utf-8", "utf-8-bom", "utf-16le-bom", "utf-16be-bom"),
      (clientId, stateDir, fieldList, paths, styles, eol, encoding) => {
        const fields = new Map(fieldList.filter(([k]) => k !== "__proto__"));
        const lines = [
          "[kafka]",
          line("address", "k:1", styles[0]!),
          line("client_id", clientId, styles[1]!),
          "[agent]",
          line("state_dir", stateDir, styles[2]!),
          "[fields]",
          ...[...fields].map(([k, v], i) => line(k, v, styles[(3 + i) % 8]!)),
          ...paths.flatMap((p, i) => [`[collect.c${i}]`, line("path", `/${i}/${p}`, styles[(i + 5) % 8]!), `topic = t${i} ; topic`]),
        ];
        if (lines.includes(undefined) || stateDir === "" || !/\S/.test(stateDir)) return;
        const bytes = encode(lines.join(eol) + eol, encoding);
        const { value, error } = timed(() => readIniBytes(bytes, FILE, {}));
        expect(error?.message).toBeUndefined();
        const c = value!.config;
        expect(c.kafka.brokers).toEqual(["k:1"]);
        expect(c.kafka.clientId).toBe(clientId);
        expect(c.agent.stateDir).toBe(path.resolve(path.dirname(FILE), stateDir));
        expect(c.fields).toEqual(Object.fromEntries(fields));
        expect(c.collect.map((e) => e.path)).toEqual(paths.map((p, i) => `/${i}/${p}`));
        checked++;
      },
    ),
    { seed: SEED, numRuns: 1500 },
  );
  expect(checked).toBeGreaterThan(1000); // the generator is not skipping most cases
});

const HOST = { hostname: "web-7", ip: "10.0.0.7" };

test("etcd collect lists: generated JSON never throws, every problem names an entry, and valid entries resolve without throwing", () => {
  const { config } = readIniBytes(Buffer.from("[kafka]\naddress = k:1\n[collect.x]\npath = /x\ntopic = x\n"), FILE, {});
  const field = fc.constantFrom("path", "topic", "from", "fields", "acks", "partition", "encoding", "exclude", "include_lines", "multiline", "__proto__", "toString", "constructor", "key_pattern", "max_line_bytes");
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom("/a.log", "/b/**/*.log", "/c/{a,b", "t", "t-{env}", "end", "1", "all", "gbk", "^\\d", "([", null, true));
  const entry = fc.dictionary(field, value, { maxKeys: 6 });
  fc.assert(
    fc.property(fc.oneof(fc.array(entry, { maxLength: 4 }).map((x) => JSON.stringify(x)), fc.string({ maxLength: 40 }), fc.jsonValue().map((x) => JSON.stringify(x))), (text) => {
      const { value: r } = timed(() => parseCollectList(text));
      expect(r!.problems.length).toBe(r!.located.length);
      for (const p of r!.problems) expect(p).toMatch(/^(entry \d+|value )/);
      if (r!.problems.length === 0) timed(() => resolveEntries(r!.entries, config, HOST));
    }),
    { seed: SEED, numRuns: 2000 },
  );
});

test("etcd collect lists: valid entries read back as written", () => {
  const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !REFUSED.test(s) && s.trim() !== "");
  const entry = fc.record({
    path: text.map((s) => "/" + s),
    topic: fc.stringMatching(/^[a-z][a-z0-9._-]{0,10}$/),
    fields: fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), text, { maxKeys: 3 }),
  });
  fc.assert(
    fc.property(fc.uniqueArray(entry, { selector: (e) => e.path, maxLength: 5 }), (entries) => {
      const { value: r } = timed(() => parseCollectList(JSON.stringify(entries)));
      expect(r!.problems).toEqual([]);
      expect(r!.entries).toEqual(entries);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});
