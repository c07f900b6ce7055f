// The INI as text: values, comments, quotes, encodings, line numbers, and the
// characters and repetitions that are refused (src/config/ini-text.ts).
import { expect, test } from "bun:test";
import { formatProblem } from "../../src/config/config-error";
import { decodeIni, parseIniText, readValue } from "../../src/config/ini-text";

const FILE = "/etc/logagent/conf.ini";

function keys(text: string): Record<string, string[]> {
  const doc = parseIniText(text, FILE);
  expect(doc.problems).toEqual([]);
  const out: Record<string, string[]> = {};
  for (const s of doc.sections.values()) for (const k of s.keys.values()) out[`${s.name}.${k.name}@${k.line}`] = k.values.map((v) => v.text);
  return out;
}

const messages = (text: string) => parseIniText(text, FILE).problems.map((p) => formatProblem(p).slice(FILE.length + 1));

test("unquoted values: a comment starts at ; or # after a blank (or at the start); regexes and URLs keep theirs", () => {
  expect(readValue("k:9092 ; the broker")).toEqual({ text: "k:9092" });
  expect(readValue("k:9092\t# the broker")).toEqual({ text: "k:9092" });
  expect(readValue("; all comment")).toEqual({ text: "" });
  expect(readValue("^#\\d+;x")).toEqual({ text: "^#\\d+;x" });
  expect(readValue("http://h:2379/#frag")).toEqual({ text: "http://h:2379/#frag" });
  expect(readValue("a#b;c")).toEqual({ text: "a#b;c" });
});

test("unquoted values: \\; and \\# are literal ; and #; every other backslash is literal (Windows paths, UNC paths, regexes)", () => {
  expect(readValue("a \\; b \\# c")).toEqual({ text: "a ; b # c" });
  expect(readValue("C:\\logs\\app.log")).toEqual({ text: "C:\\logs\\app.log" });
  expect(readValue("\\\\server\\share\\x.log")).toEqual({ text: "\\\\server\\share\\x.log" });
  expect(readValue("^\\d{4}-\\d{2}")).toEqual({ text: "^\\d{4}-\\d{2}" });
  expect(readValue("ends with \\")).toEqual({ text: "ends with \\" });
});

test("quoted values lose their quotes; inside, everything is literal; a comment may follow", () => {
  expect(readValue('"C:\\Program Files\\logagent\\state"')).toEqual({ text: "C:\\Program Files\\logagent\\state" });
  expect(readValue('"C:\\Program Files\\x"   ; where state lives')).toEqual({ text: "C:\\Program Files\\x" });
  expect(readValue("'single ; quoted # too'")).toEqual({ text: "single ; quoted # too" });
  expect(readValue('"  padded  "')).toEqual({ text: "  padded  " });
  expect(readValue('""')).toEqual({ text: "" });
  expect(readValue('"a"b"')).toEqual({ text: 'a"b' });
  expect(readValue('"it\'s"')).toEqual({ text: "it's" });
  expect(readValue("a \"quote\" inside")).toEqual({ text: 'a "quote" inside' });
});

test("a quote that does not close, text after the closing quote, and two possible closings are errors, not guesses", () => {
  expect(readValue('"C:\\x')).toEqual({ problem: expect.stringContaining("no closing") });
  expect(readValue('"GET /" 200')).toEqual({ problem: expect.stringContaining("no closing") });
  expect(readValue('"a" ; say "hi"')).toEqual({ problem: expect.stringContaining("could end at either") });
});

test("sections and keys keep their lines with LF, CRLF and CR-only line ends alike", () => {
  const text = "; c\n[kafka]\naddress = k:1\n\n[collect.x]\npath = /a\ntopic = t\n";
  const expected = { "kafka.address@3": ["k:1"], "collect.x.path@6": ["/a"], "collect.x.topic@7": ["t"] };
  expect(keys(text)).toEqual(expected);
  expect(keys(text.replaceAll("\n", "\r\n"))).toEqual(expected);
  expect(keys(text.replaceAll("\n", "\r"))).toEqual(expected);
  expect(messages("[kafka]\rx\r\ry = 1\r[k").map((m) => m.slice(0, 2))).toEqual(["2:", "5:"]);
});

test("key[] lines make a list; a plain key repeated, or mixed with key[], is an error naming both lines", () => {
  expect(keys("[agent]\ninclude_lines[] = ERROR\ninclude_lines[] = WARN, or worse\n")).toEqual({ "agent.include_lines@2": ["ERROR", "WARN, or worse"] });
  expect(messages("[kafka]\nacks = 1\nacks = all\n")).toEqual(["3: [kafka] acks: set again: it is already set at line 2; a key appears once in a section"]);
  expect(messages("[kafka]\nx[] = 1\nx = 2\n")).toEqual(['3: [kafka] x: set again: it is already set at line 2; write "x[] = ..." on every line of a list']);
});

test("a repeated section is an error naming both lines; section and key names are plain text (no prototype, no escapes)", () => {
  expect(messages("[collect.web]\npath=/a\n[collect.web]\npath=/b\n")).toEqual(["3: [collect.web]: section repeated: it is already at line 1; write each section once"]);
  const doc = parseIniText("[__proto__]\n__proto__ = 1\nconstructor = 2\n[toString]\n[collect\\.x]\n", FILE);
  expect([...doc.sections.keys()]).toEqual(["__proto__", "toString", "collect\\.x"]);
  expect([...doc.sections.get("__proto__")!.keys.keys()]).toEqual(["__proto__", "constructor"]);
});

test("malformed lines are errors with their line: no =, no key, key outside a section, bad headers", () => {
  expect(messages("debug = 1\n[kafka]\ntls\n= 1\n[]\n[agent\n[a] b\n")).toEqual([
    '1: key "debug" is outside any section; put it under [kafka], [etcd], [agent], [fields] or [collect.NAME]',
    '3: [kafka]: expected "key = value" or a [section], got "tls"',
    "4: [kafka]: no key before =",
    "5: section header has no name",
    '6: section header "[agent" has no closing ]',
    '7: [a]: text after the section header\'s ]: " b"',
  ]);
  expect(messages("[kafka] ; the brokers\naddress = k:1 # one\n")).toEqual([]);
});

test("U+2028, U+2029, U+0085, C0 controls, a mid-file BOM and bidi overrides are errors naming line and code point; tab and ZWJ are fine", () => {
  for (const [ch, name] of [
    ["\u2028", "U+2028 (line separator)"],
    ["\u2029", "U+2029 (paragraph separator)"],
    ["\u0085", "U+0085 (next line)"],
    ["\u0000", "U+0000 (NUL)"],
    ["\u001b", "U+001B (escape)"],
    ["\ufeff", "U+FEFF (byte-order mark)"],
    ["\u202e", "U+202E (right-to-left override)"],
    ["\u200b", "U+200B (zero-width space)"],
  ]) {
    expect(messages(`[kafka]\naddress = h:1${ch}\n`)).toEqual([`2: [kafka] address: character ${name} at column 14: control and invisible characters are not allowed; delete it`]);
  }
  expect(keys("[fields]\nnote = a\tb\nname = \u0646\u200c\u0627\n")).toEqual({ "fields.note@2": ["a\tb"], "fields.name@3": ["\u0646\u200c\u0627"] });
});

test("a key whose line has a problem is still there (so it is not also reported missing), marked broken", () => {
  const doc = parseIniText("[kafka]\naddress = \"h:1\n", FILE);
  expect(doc.sections.get("kafka")!.keys.get("address")).toMatchObject({ broken: true, values: [] });
});

const enc = (s: string, e: "utf-16le" | "utf-16be") => {
  const le = Buffer.from(s, "utf16le");
  return e === "utf-16le" ? le : Buffer.from(le).swap16();
};

test("decoding: UTF-8 with or without BOM, UTF-16LE and UTF-16BE with BOM", () => {
  const text = "[kafka]\r\naddress = k:1 ; caf\u00e9 \u4e2d\r\n";
  expect(decodeIni(Buffer.from(text), FILE)).toEqual({ text });
  expect(decodeIni(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), FILE)).toEqual({ text });
  expect(decodeIni(Buffer.concat([Buffer.from([0xff, 0xfe]), enc(text, "utf-16le")]), FILE)).toEqual({ text });
  expect(decodeIni(Buffer.concat([Buffer.from([0xfe, 0xff]), enc(text, "utf-16be")]), FILE)).toEqual({ text });
});

test("decoding: invalid UTF-8 names the line (CR-only too); UTF-16 without BOM and broken UTF-16 are errors", () => {
  expect(decodeIni(Buffer.from([...Buffer.from("[a]\rb = 1\r\nc = "), 0xe9, 0x0a]), FILE)).toEqual({
    problem: { file: FILE, line: 3, message: "not valid UTF-8 (saved as ANSI or GBK?); save the file as UTF-8" },
  });
  expect(decodeIni(enc("[kafka]\naddress = k:1\n", "utf-16le"), FILE)).toMatchObject({ problem: { line: 1, message: expect.stringContaining("UTF-16 without a byte-order mark") } });
  expect(decodeIni(Buffer.from([0xff, 0xfe, 0x41, 0x00, 0x42]), FILE)).toMatchObject({ problem: { message: expect.stringContaining("odd number of bytes") } });
  const lone = Buffer.concat([Buffer.from([0xff, 0xfe]), enc("[a]\nb = ", "utf-16le"), Buffer.from([0x00, 0xd8]), enc("\n", "utf-16le")]);
  expect(decodeIni(lone, FILE)).toEqual({ problem: { file: FILE, line: 2, message: "not valid UTF-16LE" } });
});
