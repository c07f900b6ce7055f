// Globs in both flavours: the Windows agent's patterns are checked here on Linux by passing "win32".
import { describe, expect, test } from "bun:test";
import { compileExcludes, compileGlob, isGlob, type PathFlavour } from "../../src/tail/glob";

type Row = [pattern: string, path: string, matches: boolean];

const posixMatches: Row[] = [
  ["/var/log/*.log", "/var/log/app.log", true],
  ["/var/log/*.log", "/var/log/.hidden.log", true], // `*` takes a leading dot: see glob.ts
  ["/var/log/*.log", "/var/log/sub/app.log", false], // `*` stops at a separator
  ["/var/log/*.log", "/var/log/app.log.1", false],
  ["/var/log/*.log", "/var/log/APP.log", true],
  ["/var/log/*.log", "/var/log/app.LOG", false], // posix is case-sensitive
  ["/var/log/app-*.log", "/var/log/app-2026-11-25.log", true],
  ["/var/log/app-????-??-??.log", "/var/log/app-2026-11-25.log", true],
  ["/var/log/app-????-??-??.log", "/var/log/app-2026-11-5.log", false],
  ["/var/log/?.log", "/var/log/é.log", true], // one code point, not one UTF-16 unit
  ["/var/log/?.log", "/var/log/😀.log", true],
  ["/var/log/a?b", "/var/log/a/b", false], // `?` is not a separator
  ["/var/log/**/*.log", "/var/log/a.log", true], // `**` is zero directories too
  ["/var/log/**/*.log", "/var/log/x/a.log", true],
  ["/var/log/**/*.log", "/var/log/x/y/a.log", true],
  ["/var/log/**/*.log", "/var/log/.cache/a.log", true],
  ["/var/log/**/*.log", "/var/logs/a.log", false],
  ["/var/log/**/*.log", "/var/a.log", false],
  ["/var/log/**", "/var/log/a", true],
  ["/var/log/**", "/var/log/a/b/c", true],
  ["/var/log/**", "/var/log", false],
  ["/**/app.log", "/app.log", true],
  ["/**/app.log", "/srv/x/app.log", true],
  ["/var/**/app/**/*.log", "/var/app/a.log", true],
  ["/var/**/app/**/*.log", "/var/x/app/y/z/a.log", true],
  ["/var/**/app/**/*.log", "/var/x/y/z/a.log", false],
  ["/var/log/a**b.log", "/var/log/axxb.log", true], // `**` inside a segment is `*`
  ["/var/log/a**b.log", "/var/log/a/x/b.log", false],
  ["/var/log/{app,web}.log", "/var/log/web.log", true],
  ["/var/log/{app,web}.log", "/var/log/db.log", false],
  ["/var/log/{app,web{1,2}}.log", "/var/log/web2.log", true], // nested
  ["/var/log/{app,web{1,2}}.log", "/var/log/web.log", false],
  ["/var/log/{app,web{1,2}}.log", "/var/log/web3.log", false],
  ["/var/{log/*.log,old/**/*.gz}", "/var/log/a.log", true], // alternatives with separators and globs
  ["/var/{log/*.log,old/**/*.gz}", "/var/old/x/y.gz", true],
  ["/var/{log/*.log,old/**/*.gz}", "/var/log/x.gz", false],
  ["/var/log/x{,.1}", "/var/log/x", true], // an empty alternative
  ["/var/log/x{,.1}", "/var/log/x.1", true],
  ["/var/log/app[0-9].log", "/var/log/app7.log", true],
  ["/var/log/app[0-9].log", "/var/log/appx.log", false],
  ["/var/log/app[abc].log", "/var/log/appb.log", true],
  ["/var/log/app[!abc].log", "/var/log/appb.log", false],
  ["/var/log/app[!abc].log", "/var/log/appd.log", true],
  ["/var/log/app[^abc].log", "/var/log/appd.log", true],
  ["/var/log/a[!x]b", "/var/log/a/b", false], // a negated class still never matches a separator
  ["/var/log/[]]x", "/var/log/]x", true], // `]` first in a class is literal
  ["/var/log/[a-]x", "/var/log/-x", true], // `-` last in a class is literal
  ["/var/log/a\\*b.log", "/var/log/a*b.log", true], // escaped: literal
  ["/var/log/a\\*b.log", "/var/log/axb.log", false],
  ["/var/log/\\{a,b\\}*", "/var/log/{a,b}.log", true],
  ["/var/log/[\\]]*", "/var/log/]x", true],
  ["/var/log/app.log", "/var/log/app.log", true], // no glob characters: that one path
  ["/var/log/app.log", "/var/log/appXlog", false], // `.` is not a RegExp wildcard
  ["/var/log/(a|b)+.log", "/var/log/(a|b)+.log", true],
  ["/var/log/(a|b)+.log", "/var/log/a.log", false],
  ["/var//log/*.log", "/var/log/a.log", true], // repeated separators collapse
  ["/var/log/./x/../*.log", "/var/log/a.log", true], // as the scanner's joins resolve them
  ["logs/*.log", "logs/a.log", true], // relative patterns match relative paths
  ["logs/*.log", "/x/logs/a.log", false],
];

const win32Matches: Row[] = [
  ["C:\\logs\\**\\*.log", "C:\\logs\\a\\b\\x.log", true],
  ["C:\\logs\\**\\*.log", "c:\\LOGS\\x.LOG", true], // NTFS compares names case-insensitively
  ["C:\\logs\\**\\*.log", "C:\\logs\\x.txt", false],
  ["C:\\logs\\**\\*.log", "D:\\logs\\x.log", false],
  ["C:\\logs\\**\\*.log", "C:/logs/a/x.log", true], // either separator, in the path...
  ["C:/logs/*/*.log", "C:\\logs\\a\\x.log", true], // ...and in the pattern
  ["C:\\logs\\*.log", "C:\\logs\\a\\x.log", false],
  ["C:\\logs\\*.log", "C:\\logs/a\\x.log", false],
  ["C:\\logs\\?.log", "C:\\logs\\\\.log", false], // `?` is no separator of either kind
  ["C:\\logs\\[!a].log", "C:\\logs\\/.log", false],
  ["C:\\logs\\[a-c].log", "C:\\logs\\B.log", true],
  ["C:\\logs\\{IIS,app}\\*.log", "C:\\logs\\iis\\u_ex261125.log", true],
  ["C:\\Program Files (x86)\\App\\logs\\*.log", "C:\\Program Files (x86)\\App\\logs\\a.log", true],
  ["\\\\srv\\share\\*.log", "\\\\srv\\share\\a.log", true],
  ["\\\\srv\\share\\*.log", "\\\\SRV\\Share\\a.log", true],
  ["\\\\srv\\share\\*.log", "\\\\other\\share\\a.log", false],
  ["\\\\?\\C:\\logs\\*.log", "\\\\?\\C:\\logs\\a.log", true], // `?` of a device path is not a glob
  ["\\\\?\\C:\\logs\\*.log", "\\\\X\\C:\\logs\\a.log", false],
  ["\\logs\\*.log", "\\logs\\a.log", true], // the current drive's root
];

function table(flavour: PathFlavour, rows: Row[]) {
  test.each(rows)(`${flavour}: %p on %p is %p`, (pattern, path, expected) => {
    expect(compileGlob(pattern, flavour).matches(path)).toBe(expected);
  });
}

describe("matches", () => {
  table("posix", posixMatches);
  table("win32", win32Matches);
});

describe("base and recursive", () => {
  const rows: [PathFlavour, string, string, boolean][] = [
    ["posix", "/var/log/app-*.log", "/var/log", false],
    ["posix", "/var/log/**/*.log", "/var/log", true],
    ["posix", "/var/log/app.log", "/var/log", false],
    ["posix", "/*.log", "/", false],
    ["posix", "/var/*/app/*.log", "/var", false],
    ["posix", "/var/log/{a,b}/*.log", "/var/log", false], // the directory both alternatives share
    ["posix", "/var/{log/a,log/b}/*.log", "/var/log", false],
    ["posix", "/srv/{a/**/x,b}.log", "/srv", true], // recursive if any alternative is
    ["posix", "/var/lo\\*g/*.log", "/var/lo*g", false], // escapes are removed
    ["posix", "/var/log/../lib/*.log", "/var/lib", false],
    ["posix", "*.gz", ".", false],
    ["posix", "logs/*.gz", "logs", false],
    ["win32", "C:\\logs\\**\\*.log", "C:\\logs", true],
    ["win32", "C:/logs/**/*.log", "C:\\logs", true], // the walker's separator
    ["win32", "C:\\*.log", "C:\\", false], // `C:` alone would be the drive's working directory
    ["win32", "\\\\srv\\share\\*.log", "\\\\srv\\share", false],
    ["win32", "\\\\srv\\share\\app\\*\\*.log", "\\\\srv\\share\\app", false],
    ["win32", "\\\\?\\C:\\logs\\*.log", "\\\\?\\C:\\logs", false],
    ["win32", "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\logs\\*.log", "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\logs", false],
  ];
  test.each(rows)("%s: %p starts at %p, recursive %p", (flavour, pattern, base, recursive) => {
    const g = compileGlob(pattern, flavour);
    expect(g.base).toBe(base);
    expect(g.recursive).toBe(recursive);
    expect(g.source).toBe(pattern);
  });
});

describe("mayContain prunes the walk", () => {
  const rows: [PathFlavour, string, string, boolean][] = [
    ["posix", "/var/log/*.log", "/var/log", true],
    ["posix", "/var/log/*.log", "/var/log/sub", false], // not recursive: no deeper than the pattern
    ["posix", "/var/log/*.log", "/", true],
    ["posix", "/var/log/*.log", "/etc", false],
    ["posix", "/var/log/*/app/*.log", "/var/log/x", true],
    ["posix", "/var/log/*/app/*.log", "/var/log/x/app", true],
    ["posix", "/var/log/*/app/*.log", "/var/log/x/web", false],
    ["posix", "/var/log/*/app/*.log", "/var/log/x/app/y", false],
    ["posix", "/var/log/**/*.log", "/var/log/a/b/c/d", true],
    ["posix", "/var/log/**/*.log", "/var/lib", false],
    ["posix", "/var/log/app-{a,b}/*.log", "/var/log/app-a", true],
    ["posix", "/var/log/app-{a,b}/*.log", "/var/log/app-c", false],
    ["win32", "C:\\logs\\*\\*.log", "c:\\LOGS\\iis", true],
    ["win32", "C:\\logs\\*\\*.log", "C:\\logs\\iis\\x", false],
    ["win32", "C:\\logs\\**\\*.log", "C:\\logs\\a\\b", true],
    ["win32", "C:\\logs\\**\\*.log", "C:\\", true],
    ["win32", "\\\\srv\\share\\*\\*.log", "\\\\srv\\share", true],
    ["win32", "\\\\srv\\share\\*\\*.log", "\\\\srv\\share\\a", true],
    ["win32", "\\\\srv\\share\\*\\*.log", "\\\\srv\\other\\a", false],
  ];
  test.each(rows)("%s: %p may hold files under %p: %p", (flavour, pattern, dir, expected) => {
    expect(compileGlob(pattern, flavour).mayContain(dir)).toBe(expected);
  });

  test("the base itself is always worth listing", () => {
    for (const [flavour, pattern] of [
      ["posix", "/var/log/*.log"],
      ["posix", "/*.log"],
      ["win32", "C:\\*.log"],
      ["win32", "\\\\srv\\share\\*.log"],
      ["win32", "C:\\logs\\**\\*.log"],
    ] as const) {
      const g = compileGlob(pattern, flavour);
      expect(g.mayContain(g.base)).toBe(true);
    }
  });
});

describe("isGlob", () => {
  const rows: [PathFlavour, string, boolean][] = [
    ["posix", "/var/log/app.log", false],
    ["posix", "/var/log/*.log", true],
    ["posix", "/var/log/app?.log", true],
    ["posix", "/var/log/app[12].log", true],
    ["posix", "/var/log/{a,b}.log", true],
    ["posix", "/var/log/app\\*.log", false], // escaped
    ["posix", "/var/log/a\\\\*.log", true], // an escaped backslash, then a star
    ["win32", "C:\\logs\\app.log", false],
    ["win32", "C:\\logs\\*.log", true], // `\` is a separator, not an escape
    ["win32", "\\\\?\\C:\\logs\\app.log", false], // the device prefix's `?`
    ["win32", "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\app.log", false],
    ["win32", "\\\\?\\C:\\logs\\*.log", true],
  ];
  test.each(rows)("%s: %p is a glob: %p", (flavour, pattern, expected) => {
    expect(isGlob(pattern, flavour)).toBe(expected);
  });
});

describe("bad syntax is an error naming the pattern and the place", () => {
  const rows: [PathFlavour, string, RegExp][] = [
    ["posix", "/var/log/{a,b.log", /^glob "\/var\/log\/\{a,b\.log": unclosed "\{" at character 10$/],
    ["posix", "/var/log/{a,{b,c}.log", /unclosed "\{" at character 10/],
    ["posix", "/var/log/app[0-9.log", /^glob "\/var\/log\/app\[0-9\.log": unclosed "\[" at character 13$/],
    ["posix", "/var/log/app[0-9\\].log", /unclosed "\["/], // the `]` is escaped
    ["posix", "/var/log/app[9-0].log", /range "9-0" is out of order/],
    ["posix", "/var/log/a[x/y]b", /a path separator inside "\[\.\.\.\]"/],
    ["posix", "/var/*/../x.log", /"\.\." after a glob segment/],
    ["posix", "/v/{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}", /more than 1024 brace alternatives/],
    ["win32", "C:\\logs\\{a,b", /^glob "C:\\\\logs\\\\\{a,b": unclosed "\{" at character 9$/],
    ["win32", "\\\\srv*\\share\\x.log", /server and share of a UNC path/],
  ];
  test.each(rows)("%s: %p", (flavour, pattern, message) => {
    expect(() => compileGlob(pattern, flavour)).toThrow(message);
  });

  test("a stray `}` or `,` is literal", () => {
    expect(compileGlob("/var/log/a}b,c*", "posix").matches("/var/log/a}b,c.log")).toBe(true);
  });
});

describe("compileExcludes", () => {
  test("a pattern without a separator matches the base name, in any directory", () => {
    const excluded = compileExcludes(["*.gz", "*.[0-9]"], "posix");
    expect(excluded("/var/log/app.log.gz")).toBe(true);
    expect(excluded("/var/log/old/x.gz")).toBe(true);
    expect(excluded("/var/log/app.log.3")).toBe(true);
    expect(excluded("/var/log/app.log")).toBe(false);
    expect(excluded("/var/log.gz/app.log")).toBe(false); // only the name, not a directory
  });

  test("a pattern with a separator matches the whole path", () => {
    const excluded = compileExcludes(["/var/log/old/**", "/var/log/debug-*.log"], "posix");
    expect(excluded("/var/log/old/a.log")).toBe(true);
    expect(excluded("/var/log/old/x/a.log")).toBe(true);
    expect(excluded("/var/log/debug-1.log")).toBe(true);
    expect(excluded("/var/log/x/debug-1.log")).toBe(false);
    expect(excluded("/var/log/app.log")).toBe(false);
  });

  test("a relative pattern with a separator matches the end of the path, from a separator", () => {
    const excluded = compileExcludes(["archive/*.log"], "posix");
    expect(excluded("/var/log/archive/a.log")).toBe(true);
    expect(excluded("/var/log/myarchive/a.log")).toBe(false);
    expect(excluded("/var/log/archive/x/a.log")).toBe(false);
  });

  test("win32: by name or by path, either separator, any case", () => {
    const excluded = compileExcludes(["*.gz", "C:\\logs\\old\\**"], "win32");
    expect(excluded("C:\\logs\\web\\x.GZ")).toBe(true);
    expect(excluded("C:\\logs\\web/x.gz")).toBe(true);
    expect(excluded("c:\\Logs\\OLD\\a.log")).toBe(true);
    expect(excluded("C:\\logs\\web\\a.log")).toBe(false);
  });

  test("the example entry from etcd", () => {
    const entry = { path: "C:\\logs\\**\\*.log", exclude: ["*.gz"] };
    const glob = compileGlob(entry.path, "win32");
    const excluded = compileExcludes(entry.exclude, "win32");
    expect(glob.base).toBe("C:\\logs");
    expect(glob.matches("C:\\logs\\web\\access.log") && !excluded("C:\\logs\\web\\access.log")).toBe(true);
    expect(glob.matches("C:\\logs\\web\\access.log.gz")).toBe(false);
  });

  test("no patterns exclude nothing", () => {
    expect(compileExcludes([], "posix")("/var/log/a.gz")).toBe(false);
  });

  test("a bad pattern is an error", () => {
    expect(() => compileExcludes(["*.{gz"], "posix")).toThrow('glob "*.{gz": unclosed "{"');
  });
});
