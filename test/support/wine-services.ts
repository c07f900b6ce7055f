// A Wine prefix of its own for the Windows service tests: services installed there start again
// whenever that prefix's service manager boots, so they must not live in the prefix the other
// Windows tests share. Made fresh for each run (scripts/wine/setup.sh, ~10 s) and removed after.
//
// Wine's sc.exe has create/start/stop/query/delete but no qc or qfailure; the service's own
// registry key (where Windows keeps the same settings) is read with reg.exe instead. Wine's
// `net stop` returns before the service has stopped, so states are polled with `sc query`.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./env";

const SETUP = path.join(ROOT, "scripts/wine/setup.sh");
const LIB = path.join(ROOT, "scripts/wine/lib.sh");

export interface ScState {
  state: number;
  stateName: string;
  win32Exit: number;
  serviceExit: number;
  checkpoint: number;
  waitHint: number;
}

export class WineServices {
  private constructor(
    readonly prefix: string,
    private readonly env: Record<string, string>,
  ) {}

  /** A new prefix with the ProcessPrng shim and a persistent server; `autoStartDelayMs` for delayed-start services. */
  static create(autoStartDelayMs = 1000): WineServices {
    const prefix = mkdtempSync(path.join(os.tmpdir(), "logagent-wine-svc-"));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), WINEPREFIX: prefix };
    const r = Bun.spawnSync(["bash", SETUP], { env, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`wine setup for ${prefix} failed:\n${r.stderr.toString()}`);
    for (const line of r.stdout.toString().split("\n")) {
      const m = /^export (\w+)='(.*)'$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    const wine = new WineServices(prefix, env);
    // Windows waits about two minutes before starting delayed-start services; so does Wine, which reads the delay here.
    wine.run(["reg", "add", "HKLM\\System\\CurrentControlSet\\Control", "/v", "AutoStartDelay", "/t", "REG_DWORD", "/d", String(autoStartDelayMs), "/f"]);
    return wine;
  }

  /** Runs a program in the prefix; output is captured (safe: the prefix's daemons were booted with /dev/null). */
  run(args: string[], extraEnv: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
    const r = Bun.spawnSync([this.env.WINE!, ...args], { env: { ...this.env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  query(name: string): ScState | null {
    const r = this.run(["sc", "query", name]);
    const state = /STATE\s*:\s*(\d+)\s+(\w+)/.exec(r.stdout);
    if (!state) return null;
    return {
      state: Number(state[1]),
      stateName: state[2]!,
      win32Exit: Number(/WIN32_EXIT_CODE\s*:\s*(\d+)/.exec(r.stdout)?.[1] ?? -1),
      serviceExit: Number(/SERVICE_EXIT_CODE\s*:\s*(\d+)/.exec(r.stdout)?.[1] ?? -1),
      checkpoint: Number.parseInt(/CHECKPOINT\s*:\s*(0x[0-9a-f]+)/i.exec(r.stdout)?.[1] ?? "-1", 16),
      waitHint: Number.parseInt(/WAIT_HINT\s*:\s*(0x[0-9a-f]+)/i.exec(r.stdout)?.[1] ?? "-1", 16),
    };
  }

  /** Polls `sc query` until the service is in `stateName` (e.g. RUNNING, STOPPED); returns the state and how long it took. */
  async waitForState(name: string, stateName: string, timeoutMs: number): Promise<{ state: ScState | null; ms: number }> {
    const began = Date.now();
    let state = this.query(name);
    while (state?.stateName !== stateName && Date.now() - began < timeoutMs) {
      await Bun.sleep(100);
      state = this.query(name);
    }
    return { state, ms: Date.now() - began };
  }

  /** The values of a registry key, by name (`reg query`). */
  registry(key: string): Map<string, string> | null {
    const r = this.run(["reg", "query", key]);
    if (r.code !== 0) return null;
    const values = new Map<string, string>();
    for (const m of r.stdout.matchAll(/^\s{4}(\S+)\s+REG_\w+\s+(.*)$/gm)) values.set(m[1]!, m[2]!.trim());
    return values;
  }

  /** Stops every Windows process of the prefix and boots its service manager again, as a reboot would. */
  reboot(): void {
    const r = Bun.spawnSync(["bash", "-c", `. '${LIB}'; logagent_wine_resolve; logagent_wineserver_stop; logagent_wineserver_start`], { env: this.env, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`wine reboot failed: ${r.stderr.toString()}`);
  }

  destroy(): void {
    Bun.spawnSync(["bash", "-c", `. '${LIB}'; logagent_wine_resolve; logagent_wineserver_stop`], { env: this.env });
    rmSync(this.prefix, { recursive: true, force: true });
  }
}
