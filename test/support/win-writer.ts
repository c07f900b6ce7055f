// A Windows application that writes a log and rotates it, for
// test/e2e/windows-sharing.test.ts (and holds it without sharing, for
// test/e2e/windows-locked.test.ts). Compiled by those tests for windows-x64 and
// run under Wine beside logagent.exe: Windows share modes are only checked
// between Windows processes, so the writer has to be one.
//
// It does what .NET loggers do through kernel32: the live file is held open
// with FILE_SHARE_READ only (FileStream's default share, log4net's
// ExclusiveLock), closed before a rollover, and the rollover is MoveFileExW and
// DeleteFileW calls. Every call is tried exactly once and reported on stdout as
// one JSON line; a failure does not stop the writer (log4net logs it and goes
// on writing), so the test sees every failure at once.
//
//   win-writer.exe SCENARIO DIR ROLLOVERS LINES
//
// SCENARIO:
//   log4net  RollingFileAppender, maxSizeRollBackups = 2: app.log.2 is deleted
//            the way log4net deletes (moved to app.log.2.<ticks>.DeletePending,
//            then DeleteFileW), app.log.1 -> app.log.2, app.log -> app.log.1,
//            a new app.log.
//   reuse    The same rotation, but app.log.2 is deleted with DeleteFileW and
//            its name is taken at once by app.log.1 -> app.log.2: the scheme
//            Filebeat's docs warn "might get blocked" on Windows, because a
//            deleted file keeps its name until every handle on it is closed.
//   exclusive  No rotation: app.log is held with share mode 0 (no
//            FILE_SHARE_READ, as FileShare.None or a C program's CreateFileW
//            with 0 does), so no other program can open it to read, until
//            generation 0 is written and DIR/go-0 appears; then it is closed
//            and reopened with FILE_SHARE_READ for the next generations.
//
// File generation k (0..ROLLOVERS) gets LINES lines `${SCENARIO}-g${k}-${i}`.
// After writing generation k the writer waits for DIR/go-k, which the test
// creates once generation k has reached Kafka (so logagent holds the file);
// then it rolls over, or after the last generation purges the folder: closes
// app.log and deletes it and its backups, as a clean-up job would
// (fluent/fluent-bit#4523). It exits 0 whatever the calls returned.
import { dlopen, ptr } from "bun:ffi";
import { existsSync } from "node:fs";
import path from "node:path";

const [scenario = "", dir = "", rolloversArg = "", linesArg = ""] = process.argv.slice(2);
if (!["log4net", "reuse", "exclusive"].includes(scenario) || !dir || !(Number(rolloversArg) >= 0) || !(Number(linesArg) > 0)) {
  console.error("usage: win-writer.exe log4net|reuse|exclusive DIR ROLLOVERS LINES");
  process.exit(64);
}
const ROLLOVERS = Number(rolloversArg);
const LINES = Number(linesArg);

const GENERIC_WRITE = 0x40000000;
const FILE_SHARE_READ = 1;
const OPEN_ALWAYS = 4;
const FILE_ATTRIBUTE_NORMAL = 0x80;
const FILE_END = 2;
const INVALID_FILE_ATTRIBUTES = 0xffffffff;

const k32 = dlopen("kernel32.dll", {
  CreateFileW: { args: ["ptr", "u32", "u32", "ptr", "u32", "u32", "ptr"], returns: "i64" },
  SetFilePointerEx: { args: ["i64", "i64", "ptr", "u32"], returns: "i32" },
  WriteFile: { args: ["i64", "ptr", "u32", "ptr", "ptr"], returns: "i32" },
  CloseHandle: { args: ["i64"], returns: "i32" },
  MoveFileExW: { args: ["ptr", "ptr", "u32"], returns: "i32" },
  DeleteFileW: { args: ["ptr"], returns: "i32" },
  GetFileAttributesW: { args: ["ptr"], returns: "u32" },
  GetTickCount: { args: [], returns: "u32" },
  GetLastError: { args: [], returns: "u32" },
}).symbols;

const wide = (s: string) => Buffer.from(s + "\0", "utf16le");
const report = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
const base = path.win32.join(dir, "app.log");

/** One kernel32 call, tried once; reported with its Win32 error code when it fails. */
function call(op: string, args: Record<string, string>, ok: () => boolean): boolean {
  const done = ok();
  const error = done ? 0 : k32.GetLastError();
  report(done ? { op, ...args, ok: true } : { op, ...args, ok: false, error });
  return done;
}

const exists = (file: string) => k32.GetFileAttributesW(ptr(wide(file))) !== INVALID_FILE_ATTRIBUTES;
const move = (from: string, to: string) => call("move", { from, to }, () => k32.MoveFileExW(ptr(wide(from)), ptr(wide(to)), 0) !== 0);
const remove = (file: string) => call("delete", { file }, () => k32.DeleteFileW(ptr(wide(file))) !== 0);

let handle = -1n;
function open(share = FILE_SHARE_READ): void {
  let h = -1n;
  call("open", { file: base, share: String(share) }, () => {
    h = k32.CreateFileW(ptr(wide(base)), GENERIC_WRITE, share, null, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, null);
    return h !== -1n && k32.SetFilePointerEx(h, 0, null, FILE_END) !== 0;
  });
  handle = h;
}

function write(text: string): void {
  const bytes = Buffer.from(text);
  const written = new Uint32Array(1);
  if (handle === -1n || !k32.WriteFile(handle, ptr(bytes), bytes.length, ptr(written), null) || written[0] !== bytes.length) {
    report({ op: "write", file: base, ok: false, error: k32.GetLastError() });
  }
}

/** Writes generation `gen` in chunks, with pauses, as an application's log grows. */
async function writeGeneration(gen: number): Promise<void> {
  const CHUNK = 25;
  for (let i = 0; i < LINES; i += CHUNK) {
    let text = "";
    for (let j = i; j < Math.min(LINES, i + CHUNK); j++) text += `${scenario}-g${gen}-${j}\n`;
    write(text);
    await Bun.sleep(10);
  }
  report({ op: "wrote", gen, lines: LINES });
}

function rollover(): void {
  call("close", { file: base }, () => k32.CloseHandle(handle) !== 0);
  handle = -1n;
  const oldest = `${base}.2`;
  if (exists(oldest)) {
    if (scenario === "log4net") {
      // log4net's RollingFileAppender.DeleteFile: move it out of the way first, then delete it.
      const pending = `${oldest}.${k32.GetTickCount()}.DeletePending`;
      remove(move(oldest, pending) ? pending : oldest);
    } else {
      remove(oldest);
    }
  }
  if (exists(`${base}.1`)) move(`${base}.1`, oldest);
  move(base, `${base}.1`);
  open();
}

function purge(): void {
  call("close", { file: base }, () => k32.CloseHandle(handle) !== 0);
  handle = -1n;
  for (const file of [base, `${base}.1`, `${base}.2`]) if (exists(file)) remove(file);
}

/** exclusive: after generation 0, the file is shared for reading from then on. */
function share(): void {
  call("close", { file: base }, () => k32.CloseHandle(handle) !== 0);
  open(FILE_SHARE_READ);
}

open(scenario === "exclusive" ? 0 : FILE_SHARE_READ);
for (let gen = 0; gen <= ROLLOVERS; gen++) {
  await writeGeneration(gen);
  while (!existsSync(path.win32.join(dir, `go-${gen}`))) await Bun.sleep(20);
  if (scenario === "exclusive") {
    if (gen === 0) share();
    if (gen === ROLLOVERS) call("close", { file: base }, () => k32.CloseHandle(handle) !== 0);
  } else if (gen < ROLLOVERS) rollover();
  else purge();
}
report({ op: "done" });
