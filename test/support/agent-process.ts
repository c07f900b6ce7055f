// Drives the release binary the way a user does: copied alone into an empty
// folder (no node_modules there or in any parent), configured by a conf.ini.
import { copyFileSync, existsSync, linkSync, mkdtempSync, rmSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Subprocess } from "bun";
import { releaseBinary } from "./env";

const sandboxes: string[] = [];

/**
 * Removes every sandbox made so far (KEEP_SANDBOXES=1 keeps them to look at). The preload runs it
 * after the whole run: `process.on("exit")` does not fire under `bun test`, and a run makes ~170.
 */
export function removeSandboxes(): void {
  if (!process.env.KEEP_SANDBOXES) for (const dir of sandboxes.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * An empty temporary folder holding only the binary, named `logagent`. The binary is a hard link
 * to the release build where the file system allows (the same bytes, alone in its folder, without a
 * 110 MB copy per sandbox), else a copy.
 */
export function sandbox(target = "linux-x64"): { dir: string; bin: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "logagent-e2e-"));
  sandboxes.push(dir);
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    if (existsSync(path.join(d, "node_modules"))) throw new Error(`${d} has node_modules: the sandbox would not prove the binary stands alone`);
  }
  const bin = path.join(dir, target.startsWith("windows") ? "logagent.exe" : "logagent");
  try {
    linkSync(releaseBinary(target), bin);
  } catch {
    copyFileSync(releaseBinary(target), bin);
  }
  return { dir, bin };
}

/** Only what a service manager would give: no Bun or Node variables, no NODE_PATH. */
export function bareEnv(): Record<string, string> {
  return { PATH: "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", LANG: "C.UTF-8" };
}

export function runOnce(bin: string, args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  const r = Bun.spawnSync([bin, ...args], { cwd, env: bareEnv(), stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export class AgentProcess {
  private output = "";
  private readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly exited: Promise<number>;

  constructor(
    readonly dir: string,
    readonly bin: string,
    ini: string,
    /** A command the agent is run through, e.g. `setpriv` to run it as another account. */
    wrap: string[] = [],
    /** Added to bareEnv(), e.g. a variable the INI names as `${NAME}`. */
    env: Record<string, string> = {},
  ) {
    writeFileSync(path.join(dir, "conf.ini"), ini);
    this.proc = Bun.spawn([...wrap, bin, "-c", "conf.ini"], { cwd: dir, env: { ...bareEnv(), ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    void this.drain(this.proc.stderr);
    void this.drain(this.proc.stdout);
    this.exited = this.proc.exited;
  }

  get pid(): number {
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resident memory in bytes (Linux /proc). */
  rss(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  }

  /** Everything the agent has logged so far. */
  get log(): string {
    return this.output;
  }

  async waitForLog(pattern: RegExp, timeoutMs = 20_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = pattern.exec(this.output.slice(from));
      if (m) return m[0];
      if (!this.running) break;
      await Bun.sleep(50);
    }
    throw new Error(`agent did not log ${pattern} within ${timeoutMs} ms; its log:\n${this.output}`);
  }

  /** Until each of `files` tailers has polled once (it follows its file or waits for it): lines written from then on are read. */
  async waitForTailers(files: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.output.match(/Following file|File does not exist yet/g)?.length ?? 0) < files) {
      if (Date.now() > deadline || !this.running) throw new Error(`agent did not follow ${files} files; its log:\n${this.output}`);
      await Bun.sleep(50);
    }
  }

  /** Paths of the files the agent holds open (Linux /proc). */
  openPaths(): string[] {
    const fdDir = `/proc/${this.pid}/fd`;
    return readdirSync(fdDir).flatMap((fd) => {
      try {
        return [readlinkSync(path.join(fdDir, fd))];
      } catch {
        return [];
      }
    });
  }

  /** Sends `signal` and returns the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20_000): Promise<number> {
    if (this.running) this.proc.kill(signal);
    const code = await Promise.race([this.exited, Bun.sleep(timeoutMs).then(() => null)]);
    if (code === null) {
      this.proc.kill("SIGKILL");
      throw new Error(`agent did not exit within ${timeoutMs} ms of ${signal}; its log:\n${this.output}`);
    }
    return code;
  }

  private async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.output += decoder.decode(chunk, { stream: true });
  }
}

/** `kafkaExtra` goes into the [kafka] section (a section may appear once), `etcdExtra` into [etcd], `extra` after [agent]'s lines. */
export function iniFor(opts: { kafka: string; etcd?: string; key?: string; extra?: string; kafkaExtra?: string; etcdExtra?: string }): string {
  const lines = ["[kafka]", `address = ${opts.kafka}`, "chan_max_size = 100000", ...(opts.kafkaExtra ? [opts.kafkaExtra] : []), ""];
  if (opts.etcd) lines.push("[etcd]", `address = ${opts.etcd}`, "timeout = 5", `collect_log_key = ${opts.key}`, ...(opts.etcdExtra ? [opts.etcdExtra] : []), "");
  lines.push("[agent]", "log_level = debug", "poll_interval_ms = 100", "rotate_wait_ms = 1000");
  if (opts.extra) lines.push(opts.extra);
  return lines.join("\n") + "\n";
}
