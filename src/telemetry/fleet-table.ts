// What `logagent fleet` prints: one row per agent status found in etcd. Pure: the command reads
// etcd, this turns values into rows and rows into text, so both are tested without a terminal.
//
// A status the agent wrote is trusted only as far as it parses: a value that is not one (another
// program's key under the prefix, an older agent) is a row saying so, never a crash.
import type { Colours } from "./colour";

export interface FleetRow {
  key: string;
  host: string;
  version: string;
  /** Seconds the agent had run when it last wrote its status (both times by its own clock); null when unknown. */
  uptimeS: number | null;
  entries: number;
  files: number;
  lagBytes: number;
  /** Entries and files with an error, and entries whose topic Kafka refuses. */
  errors: number;
  /** Seconds since the status was written (by this machine's clock against the agent's). */
  lastSeenS: number | null;
  /** Not rewritten for longer than twice its interval: the agent is stuck, or its clock is off. */
  stale: boolean;
  /** Why the value is not a status; the other fields are then empty. */
  invalid?: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const time = (v: unknown): number | null => (typeof v === "string" && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null);

export function fleetRow(key: string, value: string, now: Date): FleetRow {
  const empty = { key, host: "", version: "", uptimeS: null, entries: 0, files: 0, lagBytes: 0, errors: 0, lastSeenS: null, stale: false };
  let status: unknown;
  try {
    status = JSON.parse(value);
  } catch {
    return { ...empty, invalid: "not JSON" };
  }
  if (!isObject(status) || typeof status.host !== "string" || !Array.isArray(status.files)) return { ...empty, invalid: "not an agent status" };
  const entries = list(status.entries);
  const files = list(status.files);
  const started = time(status.startedAt);
  const written = time(status.writtenAt);
  const lastSeenS = written === null ? null : Math.max(0, Math.round((now.getTime() - written) / 1000));
  const interval = typeof status.intervalS === "number" ? status.intervalS : null;
  return {
    key,
    host: status.host,
    version: typeof status.version === "string" ? status.version : "",
    uptimeS: started !== null && written !== null ? Math.max(0, Math.round((written - started) / 1000)) : null,
    entries: typeof status.entriesTotal === "number" ? status.entriesTotal : entries.length,
    // The totals cover files a status leaves out (it lists at most 100).
    files: typeof status.filesTotal === "number" ? status.filesTotal : files.length,
    lagBytes: typeof status.lagBytesTotal === "number" ? status.lagBytesTotal : files.reduce((sum, f) => sum + (typeof f.lagBytes === "number" ? f.lagBytes : 0), 0),
    errors: entries.filter((e) => e.error || e.blocked).length + files.filter((f) => f.lastError).length,
    lastSeenS,
    stale: interval !== null && lastSeenS !== null && lastSeenS > 2 * interval,
  };
}

/** 45s, 12m 3s, 5h 2m, 3d 4h. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** 0 B, 512 B, 1.5 KiB, 20.0 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

const HEADERS = ["HOST", "VERSION", "UPTIME", "ENTRIES", "FILES", "LAG", "ERRORS", "LAST SEEN"] as const;
/** Numbers read best aligned right. */
const RIGHT = new Set([2, 3, 4, 5, 6, 7]);

/**
 * The rows sorted by host, as a table with aligned columns; colour marks errors (red) and stale
 * statuses (yellow). Keys whose value is not a status follow the table, one line each.
 */
export function formatFleet(rows: FleetRow[], pc: Colours): string {
  if (rows.length === 0) return "No agent status in etcd.\n";
  const valid = rows.filter((r) => !r.invalid).sort((a, b) => a.host.localeCompare(b.host) || a.key.localeCompare(b.key));
  const cells: { text: string; paint?: (s: string) => string }[][] = valid.map((r) => [
    { text: r.host },
    { text: r.version },
    { text: r.uptimeS === null ? "?" : duration(r.uptimeS) },
    { text: String(r.entries) },
    { text: String(r.files) },
    { text: bytes(r.lagBytes) },
    { text: String(r.errors), ...(r.errors > 0 ? { paint: pc.red } : {}) },
    { text: r.lastSeenS === null ? "?" : `${duration(r.lastSeenS)} ago`, ...(r.stale ? { paint: pc.yellow } : {}) },
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.text.length)));
  const pad = (text: string, i: number) => (RIGHT.has(i) ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [HEADERS.map((h, i) => pc.bold(pad(h, i))).join("  ").trimEnd()];
  for (const row of cells) lines.push(row.map((c, i) => (c.paint ? c.paint(pad(c.text, i)) : pad(c.text, i))).join("  ").trimEnd());
  for (const r of rows.filter((r) => r.invalid).sort((a, b) => a.key.localeCompare(b.key))) lines.push(pc.red(`${r.key}: ${r.invalid}`));
  return lines.join("\n") + "\n";
}
