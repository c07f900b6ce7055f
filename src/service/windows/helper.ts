// The native helper (helper.c) as JavaScript functions. The DLL is embedded in logagent.exe by
// scripts/build.ts; Windows cannot load a library from inside the executable, so it is copied
// once to a file named after its content (two versions never share a name, and a copy that
// another logagent has loaded is reused, not rewritten) and loaded from there.
import { dlopen, ptr } from "bun:ffi";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import helperDll from "./helper.dll" with { type: "file" };

const SYMBOLS = {
  la_started_by_scm: { args: [], returns: "i32" },
  la_dispatch: { args: [], returns: "u32" },
  la_events: { args: [], returns: "u32" },
  la_service_name: { args: ["ptr", "i32"], returns: "i32" },
  la_set_status: { args: ["u32", "u32", "u32", "u32"], returns: "u32" },
  la_console_install: { args: ["i32"], returns: "i32" },
  la_console_done: { args: [], returns: "void" },
  la_install: { args: ["ptr", "ptr", "ptr"], returns: "u32" },
  la_configure: { args: ["ptr", "ptr", "u32", "u32", "u32", "u32", "ptr"], returns: "u32" },
  la_service_dword: { args: ["ptr", "ptr", "u32"], returns: "u32" },
  la_delete: { args: ["ptr"], returns: "u32" },
  la_start: { args: ["ptr"], returns: "u32" },
  la_stop: { args: ["ptr"], returns: "u32" },
  la_query: { args: ["ptr", "ptr"], returns: "u32" },
  la_event_source_install: { args: ["ptr", "ptr"], returns: "u32" },
  la_event_source_uninstall: { args: ["ptr"], returns: "u32" },
  la_event_report: { args: ["ptr", "u16", "u32", "ptr"], returns: "u32" },
  la_process_started: { args: ["u32", "ptr"], returns: "u32" },
} as const;

type Helper = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

let loaded: { symbols: Helper; file: string } | null = null;

/** Where the helper DLL is on disk, copied out of the executable on first use. */
export function helperPath(): string {
  const bytes = readFileSync(helperDll);
  const name = `logagent-helper-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.dll`;
  const dir = path.join(os.tmpdir(), "logagent");
  const file = path.join(dir, name);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  try {
    renameSync(tmp, file);
  } catch (err) {
    // Another logagent copied it at the same moment and holds it loaded: theirs is the same bytes.
    if (!existsSync(file)) throw err;
  }
  return file;
}

export function helper(): Helper {
  if (!loaded) {
    const file = helperPath();
    loaded = { symbols: dlopen(file, SYMBOLS).symbols, file };
  }
  return loaded.symbols;
}

/** A NUL-terminated UTF-16 string for a `LPCWSTR` argument. Keep the buffer referenced during the call. */
export function wide(s: string): Buffer {
  return Buffer.from(s + "\0", "utf16le");
}

/** Reads back a UTF-16 string the helper wrote into `buffer`. */
export function fromWide(buffer: Buffer, chars: number): string {
  return buffer.subarray(0, chars * 2).toString("utf16le");
}



/**
 * When process `pid` started, in ms since the epoch; null when no such process runs; undefined
 * when Windows will not say (another account's process).
 */
export function processStartedAt(pid: number): number | null | undefined {
  const out = new Float64Array(1);
  const result = helper().la_process_started(pid, ptr(out));
  return result === 0 ? out[0] : result === 1 ? null : undefined;
}
