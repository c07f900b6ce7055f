// Builds the release binaries: `bun scripts/build.ts [target ...]` (default: all seven),
// into dist/ with SHA256SUMS. The version comes from package.json, inlined by the bundler; the
// commit (see gitCommit) is defined as LOGAGENT_COMMIT, which src/version.ts reads.
//
// etcd3 reads its .proto files from `${__dirname}/../proto` when it is imported.
// Inside a compiled binary `__dirname` is the build machine's node_modules path,
// so a naive build works beside the source tree and fails everywhere else. The
// plugin below replaces that file read with the parsed definitions, inlined.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BunPlugin } from "bun";
import protobuf from "protobufjs";

const ROOT = path.resolve(import.meta.dir, "..");
const DIST = path.join(ROOT, "dist");

export const TARGETS = {
  "linux-x64": "bun-linux-x64",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
  "windows-x64": "bun-windows-x64",
  // Bun's default x64 runtime needs AVX2, which older hypervisors do not pass to their guests.
  "linux-x64-baseline": "bun-linux-x64-baseline",
  "windows-x64-baseline": "bun-windows-x64-baseline",
} as const;
export type Target = keyof typeof TARGETS;

export function isTarget(name: string): name is Target {
  return Object.hasOwn(TARGETS, name);
}

/** `git rev-parse --short=12 HEAD`, with `-dirty` when tracked or new files differ from it; "unknown" outside a git checkout. */
export function gitCommit(): string {
  const git = (...args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  const head = git("rev-parse", "--short=12", "HEAD");
  if (head.error || head.status !== 0) {
    console.warn(`build: not a git checkout (${head.error?.message ?? head.stderr.trim()}); the binaries say "commit unknown"`);
    return "unknown";
  }
  const status = git("status", "--porcelain");
  return head.stdout.trim() + (status.stdout.trim() === "" ? "" : "-dirty");
}

export const etcdProtoInline: BunPlugin = {
  name: "etcd3-proto-inline",
  setup(build) {
    build.onLoad({ filter: /etcd3[\\/]lib[\\/]connection-pool\.js$/ }, ({ path: file }) => {
      const source = readFileSync(file, "utf8");
      const call = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, \{/;
      if (!call.test(source)) throw new Error(`${file}: the etcd3 proto loading code changed; update scripts/build.ts`);
      // keepCase must match the options etcd3 passes to loadSync: it is applied when the .proto is parsed.
      const root = new protobuf.Root().loadSync(path.join(path.dirname(file), "../proto/rpc.proto"), { keepCase: true });
      const json = JSON.stringify(root.toJSON());
      return { contents: source.replace(call, `(0, proto_loader_1.fromJSON)(${json}, {`), loader: "js" };
    });
  },
};

// The Windows service and console-control callbacks are native code (src/service/windows/helper.c,
// see its header), built here with mingw-w64 and embedded in the .exe. Other targets embed nothing.
const HELPER_C = path.join(ROOT, "src/service/windows/helper.c");
const HELPER_DLL = path.join(ROOT, "src/service/windows/helper.dll");
const MINGW_CC = process.env.MINGW_CC ?? "x86_64-w64-mingw32-gcc";

export function buildWindowsHelper(): string {
  const fresh = (() => {
    try {
      return statSync(HELPER_DLL).mtimeMs >= statSync(HELPER_C).mtimeMs;
    } catch {
      return false;
    }
  })();
  if (fresh) return HELPER_DLL;
  const args = ["-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-s", "-Wl,--no-insert-timestamp", "-o", HELPER_DLL, HELPER_C, "-ladvapi32"];
  const r = spawnSync(MINGW_CC, args, { stdio: "inherit" });
  if (r.error || r.status !== 0) {
    throw new Error(
      `cannot build ${path.relative(ROOT, HELPER_DLL)} with ${MINGW_CC}: ${r.error?.message ?? `exit ${r.status}`}. ` +
        "The Windows targets need mingw-w64: apt-get install gcc-mingw-w64-x86-64",
    );
  }
  return HELPER_DLL;
}

const windowsHelper = (windows: boolean): BunPlugin => ({
  name: "windows-helper",
  setup(build) {
    if (windows) return;
    // Resolved to nothing before the bundler looks for the file, which a fresh clone has not built.
    build.onResolve({ filter: /^\.\/helper\.dll$/ }, () => ({ path: "helper.dll", namespace: "no-windows-helper" }));
    build.onLoad({ filter: /.*/, namespace: "no-windows-helper" }, () => ({ contents: `export default "";`, loader: "js" }));
  },
});

async function buildTarget(target: Target, commit: string): Promise<string> {
  const windows = target.startsWith("windows");
  if (windows) buildWindowsHelper();
  const outfile = binaryPath(target);
  const result = await Bun.build({
    entrypoints: [path.join(ROOT, "src/main.ts")],
    plugins: [etcdProtoInline, windowsHelper(windows)],
    minify: true,
    sourcemap: "none",
    define: { LOGAGENT_COMMIT: JSON.stringify(commit) },
    compile: {
      target: TARGETS[target],
      outfile,
      // A user's .env or bunfig.toml in the working directory must not change the agent.
      autoloadDotenv: false,
      autoloadBunfig: false,
    },
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    throw new Error(`build for ${target} failed`);
  }
  return outfile;
}

/** The targets named (all when none), checked: an unknown name is an error that lists the known ones. */
export function wantedTargets(names: string[]): Target[] {
  for (const t of names) if (!isTarget(t)) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(", ")}`);
  return (names.length ? names : Object.keys(TARGETS)) as Target[];
}

/** The binary of `target` in dist/ (where build puts it). */
export function binaryPath(target: Target): string {
  return path.join(DIST, `logagent-${target}${target.startsWith("windows") ? ".exe" : ""}`);
}

/** Builds `targets` into dist/ and writes dist/SHA256SUMS over them. */
export async function build(targets: Target[]): Promise<string[]> {
  mkdirSync(DIST, { recursive: true });
  const commit = gitCommit();
  const sums: string[] = [];
  const files: string[] = [];
  for (const t of targets) {
    const started = performance.now();
    const file = await buildTarget(t, commit);
    const bytes = readFileSync(file);
    sums.push(`${createHash("sha256").update(bytes).digest("hex")}  ${path.basename(file)}`);
    files.push(file);
    console.log(`built ${path.relative(ROOT, file)} (commit ${commit}, ${(bytes.length / 1e6).toFixed(1)} MB, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  writeFileSync(path.join(DIST, "SHA256SUMS"), sums.join("\n") + "\n");
  return files;
}

if (import.meta.main) await build(wantedTargets(process.argv.slice(2)));
