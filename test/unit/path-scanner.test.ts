// The scanner against real directory trees in a temp dir.
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileExcludes, compileGlob } from "../../src/tail/glob";
import { scanGlob } from "../../src/tail/path-scanner";

const root = mkdtempSync(path.join(os.tmpdir(), "path-scanner-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let trees = 0;
/** A fresh directory holding `files` (relative paths; parents are made). */
function tree(files: string[]): string {
  const dir = path.join(root, `t${trees++}`);
  mkdirSync(dir);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), "line\n");
  }
  return dir;
}

function scan(pattern: string, exclude: string[] = []) {
  return scanGlob(compileGlob(pattern, "posix"), compileExcludes(exclude, "posix"), "posix");
}

const under = (dir: string, files: string[]) => files.map((f) => path.join(dir, f));

test("`*` lists one directory's matching files, sorted, and does not descend", () => {
  const dir = tree(["b.log", "a.log", "c.txt", "sub/d.log", ".hidden.log"]);
  expect(scan(`${dir}/*.log`)).toEqual({ files: under(dir, [".hidden.log", "a.log", "b.log"]), errors: [] });
});

test("`**` descends any depth, and matches at the base too", () => {
  const dir = tree(["a.log", "x/b.log", "x/y/z/c.log", "x/y/z/c.txt", "w/d.gz"]);
  expect(scan(`${dir}/**/*.log`).files).toEqual(under(dir, ["a.log", "x/b.log", "x/y/z/c.log"]));
});

test("a pattern with glob directories descends only where they match", () => {
  const dir = tree(["app/1/x.log", "app/2/x.log", "web/1/x.log", "app/1/deeper/x.log"]);
  expect(scan(`${dir}/app/*/x.log`).files).toEqual(under(dir, ["app/1/x.log", "app/2/x.log"]));
  expect(scan(`${dir}/{app,web}/1/x.log`).files).toEqual(under(dir, ["app/1/x.log", "web/1/x.log"]));
});

test("directories and fifos whose names match are not listed", () => {
  const dir = tree(["a.log", "dir.log/inner.txt"]);
  const fifo = spawnSync("mkfifo", [path.join(dir, "pipe.log")]);
  expect(scan(`${dir}/*.log`).files).toEqual(under(dir, ["a.log"]));
  if (fifo.status !== 0) console.warn("mkfifo is missing: the fifo case was not checked");
});

test("date-named files: a new day's file is found by the next scan", () => {
  const dir = tree(["app-2026-11-24.log", "app-2026-11-25.log", "app-2026-11-25.log.gz", "other-2026-11-25.log"]);
  const pattern = `${dir}/app-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].log`;
  expect(scan(pattern).files).toEqual(under(dir, ["app-2026-11-24.log", "app-2026-11-25.log"]));
  writeFileSync(path.join(dir, "app-2026-11-26.log"), "");
  expect(scan(pattern).files).toEqual(under(dir, ["app-2026-11-24.log", "app-2026-11-25.log", "app-2026-11-26.log"]));
});

test("excluded files are left out, by name and by path", () => {
  const dir = tree(["a.log", "a.log.gz", "old/b.log", "new/c.log"]);
  expect(scan(`${dir}/**/*`, ["*.gz", `${dir}/old/**`]).files).toEqual(under(dir, ["a.log", "new/c.log"]));
});

describe("symlinks", () => {
  test("a symlink whose name matches is listed (the tailer follows it to its target)", () => {
    const dir = tree(["real/app-1.log", "real/app-2.log"]);
    symlinkSync(path.join(dir, "real/app-2.log"), path.join(dir, "current.log"));
    symlinkSync(path.join(dir, "real/missing.log"), path.join(dir, "dangling.log")); // the tailer finds no file
    expect(scan(`${dir}/*.log`).files).toEqual(under(dir, ["current.log", "dangling.log"]));
  });

  test("under `**` a symlinked directory is not followed: a link back up would loop", () => {
    const dir = tree(["a/x.log", "a/b/y.log"]);
    symlinkSync("..", path.join(dir, "a/b/up")); // a/b/up/b/up/... forever
    symlinkSync(path.join(dir, "a"), path.join(dir, "alias"));
    const result = scan(`${dir}/**/*.log`);
    expect(result).toEqual({ files: under(dir, ["a/b/y.log", "a/x.log"]), errors: [] });
  });

  test("without `**` a symlinked directory is followed: the pattern's depth bounds the walk", () => {
    const dir = tree(["releases/v2/app.log"]);
    symlinkSync(path.join(dir, "releases/v2"), path.join(dir, "current"));
    symlinkSync(".", path.join(dir, "self"));
    expect(scan(`${dir}/*/app.log`).files).toEqual(under(dir, ["current/app.log"]));
    expect(scan(`${dir}/*/*/app.log`).files).toEqual(under(dir, ["releases/v2/app.log", "self/current/app.log"]));
  });
});

describe("missing and unreadable directories", () => {
  test("a missing base is an empty result, not an error: the directory may appear later", () => {
    const dir = path.join(root, "not-yet");
    expect(scan(`${dir}/**/*.log`)).toEqual({ files: [], errors: [] });
    mkdirSync(dir);
    writeFileSync(path.join(dir, "a.log"), "");
    expect(scan(`${dir}/**/*.log`).files).toEqual([path.join(dir, "a.log")]);
  });

  test("a file where the base directory should be is reported", () => {
    const dir = tree(["app.log"]);
    const result = scan(`${dir}/app.log/*.log`);
    expect(result.files).toEqual([]);
    expect(result.errors.map((e) => [e.dir, (e.error as NodeJS.ErrnoException).code])).toEqual([[path.join(dir, "app.log"), "ENOTDIR"]]);
  });

  // Root reads a mode-000 directory anyway (CAP_DAC_OVERRIDE), and the tests run as root; there the scan
  // runs in a child process that setpriv has stripped of the capabilities that let root ignore modes.
  const asRoot = process.getuid?.() === 0;
  const setpriv = asRoot && spawnSync("setpriv", ["--version"]).status === 0;

  test.skipIf(asRoot && !setpriv)("an unreadable directory is reported and skipped; the others go on", () => {
    const dir = tree(["ok/a.log", "locked/b.log", "z/c.log", "elsewhere/locked/d.log"]);
    chmodSync(path.join(dir, "locked"), 0o000);
    chmodSync(path.join(dir, "elsewhere/locked"), 0o000);
    try {
      const result = asRoot ? scanWithoutPrivileges(`${dir}/*/*.log`) : summary(scan(`${dir}/*/*.log`));
      expect(result.files).toEqual(under(dir, ["ok/a.log", "z/c.log"]));
      // elsewhere/locked is not reported: the pattern cannot reach it, so it is never listed.
      expect(result.errors).toEqual([{ dir: path.join(dir, "locked"), code: "EACCES" }]);
    } finally {
      chmodSync(path.join(dir, "locked"), 0o755);
      chmodSync(path.join(dir, "elsewhere/locked"), 0o755);
    }
  });

  function summary(r: ReturnType<typeof scan>) {
    return { files: r.files, errors: r.errors.map((e) => ({ dir: e.dir, code: (e.error as NodeJS.ErrnoException).code })) };
  }

  function scanWithoutPrivileges(pattern: string): ReturnType<typeof summary> {
    const script = path.join(root, "scan-child.ts");
    const src = path.resolve(import.meta.dir, "../../src/tail");
    writeFileSync(
      script,
      `import { compileGlob } from ${JSON.stringify(`${src}/glob`)};
import { scanGlob } from ${JSON.stringify(`${src}/path-scanner`)};
const r = scanGlob(compileGlob(process.argv[2]!, "posix"), () => false, "posix");
console.log(JSON.stringify({ files: r.files, errors: r.errors.map((e) => ({ dir: e.dir, code: (e.error as NodeJS.ErrnoException).code })) }));
`,
    );
    const caps = "-dac_override,-dac_read_search";
    const child = spawnSync("setpriv", [`--bounding-set=${caps}`, `--inh-caps=${caps}`, process.execPath, script, pattern], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`the scan child failed: ${child.stderr}`);
    return JSON.parse(child.stdout);
  }
});

describe("cost", () => {
  // Runs every rescan_interval_ms (2 s by default) for every glob entry, so it has to stay in the low milliseconds.
  function medianMs(run: () => void): number {
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = Bun.nanoseconds();
      run();
      times.push((Bun.nanoseconds() - t0) / 1e6);
    }
    return times.sort((a, b) => a - b)[10]!;
  }

  test("one directory of 1,000 files with `*.log`", () => {
    const dir = tree(Array.from({ length: 1000 }, (_, i) => `app-${i}.log`));
    const glob = compileGlob(`${dir}/*.log`, "posix");
    const excluded = compileExcludes(["*.gz"], "posix");
    expect(scanGlob(glob, excluded, "posix").files.length).toBe(1000);
    const ms = medianMs(() => scanGlob(glob, excluded, "posix"));
    console.log(`scan of 1,000 files in one directory: ${ms.toFixed(2)} ms`);
    expect(ms).toBeLessThan(250); // a generous bound: this only catches a stat per entry or worse
  });

  test("a tree of 1,000 files with `**`", () => {
    // 10 directories of 10 directories of 10 files.
    const files = Array.from({ length: 1000 }, (_, i) => `d${Math.floor(i / 100)}/e${Math.floor(i / 10) % 10}/app-${i}.log`);
    const dir = tree(files);
    const glob = compileGlob(`${dir}/**/*.log`, "posix");
    const excluded = compileExcludes(["*.gz"], "posix");
    expect(scanGlob(glob, excluded, "posix").files.length).toBe(1000);
    const ms = medianMs(() => scanGlob(glob, excluded, "posix"));
    console.log(`scan of a 1,000-file tree (111 directories): ${ms.toFixed(2)} ms`);
    expect(ms).toBeLessThan(250);
  });
});
