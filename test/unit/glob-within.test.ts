// Whether one glob's paths all lie within another's (src/tail/glob-within.ts): a table of cases
// in both flavours, then a seeded property check that a "yes" is never wrong.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { compileGlob, globShape, isGlob, pathShape, type PathFlavour } from "../../src/tail/glob";
import { shapeWithin } from "../../src/tail/glob-within";

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** Inner is a glob (or a plain path when it has no glob characters), outer a glob. */
function within(inner: string, outer: string | string[], flavour: PathFlavour = "posix"): boolean {
  const shape = isGlob(inner, flavour) ? globShape(inner, flavour) : pathShape(inner, flavour);
  return shapeWithin(shape, (Array.isArray(outer) ? outer : [outer]).map((o) => globShape(o, flavour)));
}

type Row = [inner: string, outer: string, within: boolean];

const posix: Row[] = [
  ["/var/log/a.log", "/var/log/**", true],
  ["/var/log/x/y/a.log", "/var/log/**", true],
  ["/var/log", "/var/log/**", false], // the folder itself is not below it
  ["/var/logs/a.log", "/var/log/**", false],
  ["/etc/shadow", "/var/log/**", false],
  ["/var/log/../../etc/shadow", "/var/log/**", false], // `..` resolved first: /etc/shadow
  ["/var/log/x/../a.log", "/var/log/**", true], // /var/log/a.log
  ["/var/log/../log/a.log", "/var/log/*.log", true],
  ["//var///log//a.log", "/var/log/*.log", true], // repeated separators
  ["/var/log/./a.log", "/var/log/*.log", true],
  ["/../../var/log/a.log", "/var/log/*.log", true], // above the root is the root
  ["/var/log/A.log", "/var/log/a.log", false], // posix names are case-sensitive
  ["/var/log/*.log", "/var/log/**", true],
  ["/var/log/**/*.log", "/var/log/**", true],
  ["/var/log/**", "/var/log/**", true],
  ["/var/log/**", "/var/log/**/*.log", false], // any file, not only .log
  ["/var/log/**", "/var/log/*/**", false], // the outer needs a folder below /var/log
  ["/var/log/*/**", "/var/log/**", true],
  ["/var/**/*.log", "/var/log/**", false], // partly outside: /var/lib/x.log
  ["/var/*/app.log", "/var/log/*", false],
  ["/var/log/*", "/var/log/*.log", false], // `*` is more than `*.log`
  ["/var/log/app-*.log", "/var/log/*.log", true],
  ["/var/log/app-?.log", "/var/log/app-*.log", true],
  ["/var/log/app-[0-9].log", "/var/log/app-?.log", true], // a class is one character
  ["/var/log/app-[0-9].log", "/var/log/app-[0-9].log", true],
  ["/var/log/app-[0-9].log", "/var/log/app-[0-8].log", false], // different classes: not decided, refused
  ["/var/log/app-1.log", "/var/log/app-[0-9].log", true],
  ["/var/log/app-x.log", "/var/log/app-[0-9].log", false],
  ["/var/log/app-?.log", "/var/log/app-[0-9].log", false],
  ["/var/log/??*", "/var/log/?*?", false], // true, but not proven: refused (sound, not complete)
  ["/var/log/{a,b}.log", "/var/log/*.log", true], // each alternative
  ["/var/{log,lib}/*.log", "/var/log/*.log", false], // one alternative outside
  ["/var/{log,lib}/*.log", "/var/{lib,log}/**", true],
  ["/var/log/a.log", "/var/{lib,log}/*.log", true],
  ["/srv/app1/logs/x.log", "/srv/*/logs/*.log", true],
  ["/srv/*/logs/*.log", "/srv/*/logs/*.log", true],
  ["/srv/**/logs/*.log", "/srv/*/logs/*.log", false], // any depth is not one folder
  ["/srv/a/b/logs/x.log", "/srv/**/logs/*.log", true],
  ["/srv/**/logs/**/*.log", "/srv/**", true],
  ["/srv/x/**/y/**/z.log", "/srv/**/z.log", true],
  ["/var/log/a\\*b.log", "/var/log/*.log", true], // an escaped `*` is a literal character
  ["/var/log/a*b.log", "/var/log/a\\*b.log", false], // ...and covers nothing but itself
  ["/", "/**", false],
  ["/anything/at/all", "/**", true],
];

const win32: Row[] = [
  ["C:\\logs\\app.log", "C:\\logs\\**", true],
  ["c:\\LOGS\\APP.LOG", "C:\\logs\\*.log", true], // case-insensitive, drive letter too
  ["C:/logs/app.log", "C:\\logs\\**", true], // either separator
  ["C:\\logs\\..\\Windows\\System32\\config\\SAM", "C:\\logs\\**", false],
  ["C:\\logs\\x\\..\\..\\logs\\a.log", "C:\\logs\\**", true],
  ["C:\\\\logs\\\\\\a.log", "C:\\logs\\*.log", true],
  ["D:\\logs\\a.log", "C:\\logs\\**", false],
  ["C:\\Windows\\System32\\config\\SAM", "C:\\logs\\**", false],
  ["C:\\logs\\**\\*.LOG", "c:\\Logs\\**", true],
  ["C:\\logs\\*", "C:\\logs\\*.log", false],
  ["\\\\srv\\share\\logs\\a.log", "\\\\SRV\\Share\\logs\\**", true], // UNC server and share compare case-insensitively
  ["\\\\srv\\share\\..\\other\\a.log", "\\\\srv\\share\\**", true], // above the share is the share
  ["\\\\srv\\other\\a.log", "\\\\srv\\share\\**", false],
  ["\\\\srv\\share\\a.log", "C:\\**", false],
];

describe("within", () => {
  for (const [flavour, rows] of [["posix", posix], ["win32", win32]] as const) {
    for (const [inner, outer, expected] of rows) {
      test(`${flavour}: ${inner} ${expected ? "is" : "is not"} within ${outer}`, () => {
        expect(within(inner, outer, flavour)).toBe(expected);
      });
    }
  }

  test("several outer globs: each alternative of the inner glob may be covered by a different one", () => {
    expect(within("/var/{log,lib}/*.log", ["/var/log/**", "/var/lib/*.log"])).toBe(true);
    expect(within("/var/{log,lib,run}/*.log", ["/var/log/**", "/var/lib/*.log"])).toBe(false);
  });
});

describe("a yes is never wrong", () => {
  // Globs and paths over a small alphabet, so that they meet often. When shapeWithin says an inner
  // glob lies within an outer one, every path the inner matches must match the outer.
  const name = fc.constantFrom("a", "b", "ab", "a.log", "b.log", "x");
  const piece = fc.constantFrom("a", "b", ".log", "*", "?", "[ab]", "[!a]", "{a,b}", "x");
  const seg = fc.oneof({ weight: 3, arbitrary: fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join("")) }, fc.constant("**"), name);
  const glob = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => `/r/${s.join("/")}`);
  const file = fc.array(name, { minLength: 1, maxLength: 5 }).map((s) => `/r/${s.join("/")}`);

  for (const flavour of ["posix", "win32"] as const) {
    test(`${flavour}: seeded, ${SEED}`, () => {
      let yes = 0;
      fc.assert(
        fc.property(glob, glob, fc.array(file, { minLength: 20, maxLength: 20 }), (inner, outer, files) => {
          if (!within(inner, outer, flavour)) return;
          yes++;
          const i = compileGlob(inner, flavour);
          const o = compileGlob(outer, flavour);
          for (const f of files) if (i.matches(f)) expect({ inner, outer, f, matches: o.matches(f) }).toEqual({ inner, outer, f, matches: true });
        }),
        { seed: SEED, numRuns: 4000 },
      );
      expect(yes).toBeGreaterThan(100); // the property was exercised, not vacuously true
    });
  }
});
