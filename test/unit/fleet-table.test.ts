// `logagent fleet`'s table: rows from the statuses in etcd, and their text.
import { expect, test } from "bun:test";
import pc from "picocolors";
import { keyPrefix } from "../../src/config/host";
import { keyAfter, prefixEnd } from "../../src/discovery/prefix-pages";
import { bytes, duration, fleetRow, formatFleet } from "../../src/telemetry/fleet-table";

const now = new Date("2026-11-30T09:00:00Z");
const status = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: "1.2.3",
    host: "web-1",
    startedAt: "2026-11-29T06:30:00Z",
    writtenAt: "2026-11-30T08:59:48Z",
    intervalS: 30,
    entries: [
      { path: "/var/log/a.log", topic: "a", files: 1, error: null, blocked: false },
      { path: "/var/log/b/*.log", topic: "b", files: 2, error: "cannot list folder /var/log/b (EACCES)", blocked: false },
    ],
    files: [
      { path: "/var/log/a.log", lagBytes: 1000, lastError: null },
      { path: "/var/log/b/1.log", lagBytes: 2048, lastError: "permission denied" },
      { path: "/var/log/b/2.log", lagBytes: 0, lastError: null },
    ],
    ...over,
  });

test("a row sums lag, counts entries and files with errors, and says how long ago the status was written", () => {
  expect(fleetRow("/logagent/status/web-1", status(), now)).toEqual({
    key: "/logagent/status/web-1",
    host: "web-1",
    version: "1.2.3",
    uptimeS: 26.5 * 3600 - 12,
    entries: 2,
    files: 3,
    lagBytes: 3048,
    errors: 2,
    lastSeenS: 12,
    stale: false,
  });
});

test("a status that lists only some of its entries and files: the row takes its totals", () => {
  expect(fleetRow("k", status({ entriesTotal: 150, filesTotal: 250, lagBytesTotal: 123_456 }), now)).toMatchObject({ entries: 150, files: 250, lagBytes: 123_456 });
});

test("a status not rewritten for more than twice its interval is stale; a blocked topic counts as an error", () => {
  const row = fleetRow("k", status({ writtenAt: "2026-11-30T08:58:59Z", entries: [{ path: "/a", topic: "a", files: 0, error: null, blocked: true }], files: [] }), now);
  expect(row).toMatchObject({ stale: true, lastSeenS: 61, errors: 1, files: 0, lagBytes: 0 });
});

test("a value that is not a status is a row saying so", () => {
  expect(fleetRow("/logagent/status/x", "{oops", now)).toMatchObject({ key: "/logagent/status/x", invalid: "not JSON" });
  expect(fleetRow("/logagent/status/y", '{"hello": 1}', now)).toMatchObject({ invalid: "not an agent status" });
});

test("durations and sizes as an operator reads them", () => {
  expect([45, 723, 5 * 3600 + 120, 3 * 86400 + 4 * 3600 + 59].map(duration)).toEqual(["45s", "12m 3s", "5h 2m", "3d 4h"]);
  expect([0, 512, 1536, 20 * 1024 * 1024, 3 * 1024 ** 4].map(bytes)).toEqual(["0 B", "512 B", "1.5 KiB", "20.0 MiB", "3.0 TiB"]);
});

test("the table: sorted by host, columns aligned, keys that hold no status after it, no escape codes without colour", () => {
  const rows = [
    fleetRow("/s/web-2", status({ host: "web-2", entries: [], files: [] }), now),
    fleetRow("/s/web-1", status(), now),
    fleetRow("/s/zzz", "not json", now),
  ];
  expect(formatFleet(rows, pc.createColors(false))).toBe(
    [
      "HOST   VERSION  UPTIME  ENTRIES  FILES      LAG  ERRORS  LAST SEEN",
      "web-1  1.2.3     1d 2h        2      3  3.0 KiB       2    12s ago",
      "web-2  1.2.3     1d 2h        0      0      0 B       0    12s ago",
      "/s/zzz: not JSON",
      "",
    ].join("\n"),
  );
  expect(formatFleet([], pc.createColors(false))).toBe("No agent status in etcd.\n");
});

test("on a terminal, errors are red and a stale status yellow", () => {
  const colours = pc.createColors(true);
  const text = formatFleet([fleetRow("k", status({ writtenAt: "2026-11-30T08:50:00Z" }), now)], colours);
  expect(text).toContain(colours.red("     2"));
  expect(text).toContain(colours.yellow("10m 0s ago"));
});

test("the status keys' prefix, and the key ranges of its pages", () => {
  expect(keyPrefix("/logagent/status/{hostname}")).toBe("/logagent/status/");
  expect(keyPrefix("/fleet/%s/status")).toBe("/fleet/");
  expect(keyPrefix("/one/key")).toBe("/one/key");
  expect(prefixEnd(Buffer.from("/logagent/status/")).toString()).toBe("/logagent/status0");
  expect([...prefixEnd(Buffer.from([0x61, 0xff, 0xff]))]).toEqual([0x62]);
  expect([...prefixEnd(Buffer.from([0xff]))]).toEqual([0]);
  expect([...keyAfter(Buffer.from("/s/web-1"))]).toEqual([...Buffer.from("/s/web-1"), 0]);
});
