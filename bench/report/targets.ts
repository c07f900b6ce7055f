// The project's targets for the agent (issue 10, "Own the produce path"), each checked against this
// run's figures. A target whose measurement did not run is left out, not passed.
import { fmt, pct, ratio } from "../lib/format";
import { SETTINGS } from "../lib/settings";
import { caseLabel, idleCaseLabel, idleStateLabel, linesPerSecond as lps, type IdleResult, type LatencyResult, type ThroughputResult } from "../measure/results";

export interface Target {
  what: string;
  figure: string;
  pass: boolean;
}

/** `reference` is the agent's entry in the tools list; the others are compared with it. */
export function targets(reference: string, tp: ThroughputResult[], lat: LatencyResult[], idle: IdleResult[]): Target[] {
  const out: Target[] = [];
  const own = tp.filter((r) => r.tool === reference);
  /** The agent's result beside each of `peer`'s, case by case. */
  const pairs = (peer: string) =>
    tp.flatMap((p) => {
      const la = p.tool === peer ? own.find((x) => x.dataset === p.dataset && x.acks === p.acks) : undefined;
      return la ? [{ p, la, x: la.complete ? lps(la) / lps(p) : 0 }] : [];
    });
  const lowest = (ps: ReturnType<typeof pairs>) => ps.reduce((a, b) => (a.x <= b.x ? a : b));

  const kcat = pairs("kcat");
  const isHeadline = (r: ThroughputResult) => r.dataset.files.length === 1 && r.dataset.lineSize === SETTINGS.shortSize && r.acks === "1";
  const headline = kcat.filter(({ p }) => isHeadline(p));
  const others = kcat.filter(({ p }) => !isHeadline(p));
  for (const { p, la, x } of headline) out.push({ what: `lines/s ≥ 1.0× kcat, ${caseLabel(p)}`, figure: ratio(lps(la), lps(p)), pass: x >= 1 });
  if (others.length) {
    const w = lowest(others);
    out.push({ what: "lines/s ≥ 0.8× kcat in every other case", figure: `lowest ${ratio(lps(w.la), lps(w.p))} (${caseLabel(w.p)})`, pass: others.every(({ x }) => x >= 0.8) });
  }
  const rs = pairs("rsyslog");
  if (rs.length) {
    const w = lowest(rs);
    out.push({ what: "lines/s ahead of rsyslog in every case", figure: `lowest ${ratio(lps(w.la), lps(w.p))} (${caseLabel(w.p)})`, pass: rs.every(({ x }) => x > 1) });
  }
  const short = own.filter((r) => r.dataset.lineSize === SETTINGS.shortSize);
  if (short.length) {
    const perLine = short.map((r) => (r.usage.cpuSeconds * 1e6) / Math.max(1, r.arrived));
    out.push({ what: `CPU per line ≤ 0.8 µs, ${SETTINGS.shortSize}-byte lines`, figure: `${fmt(Math.min(...perLine), 2)} to ${fmt(Math.max(...perLine), 2)} µs`, pass: perLine.every((u) => u <= 0.8) });
  }
  if (own.length) {
    const peak = Math.max(...own.map((r) => r.usage.peakRss));
    out.push({ what: "peak RSS (VmHWM) < 100 MiB in every throughput case", figure: `highest ${fmt(peak / 2 ** 20)} MiB`, pass: peak < 100 * 2 ** 20 });
    const incomplete = own.filter((r) => !r.complete).length;
    out.push({ what: "every line delivered, once, in every throughput case", figure: incomplete ? `${incomplete} incomplete` : "all complete", pass: incomplete === 0 });
  }
  const la = lat.find((r) => r.tool === reference);
  if (la) {
    const lost = la.received < la.written ? ` (incomplete: ${la.received} / ${la.written} lines arrived)` : "";
    out.push({ what: `p99 latency < 50 ms at ${SETTINGS.latencyRate.toLocaleString("en-US")} lines/s, defaults`, figure: `${fmt(la.p99, 0)} ms${lost}`, pass: la.p99 < 50 && !lost });
  }
  for (const r of idle) {
    const which = `${idleCaseLabel(r.case, r.files)}, ${idleStateLabel(r.state)}`;
    out.push({ what: `idle < 1% of a core, ${which}`, figure: `${pct(r.cpuShare)}%`, pass: r.cpuShare < 0.01 });
    out.push({ what: `idle RSS < 60 MB, ${which}`, figure: `max ${fmt(r.rssMax / 1e6)} MB (${fmt(r.rssMax / 2 ** 20)} MiB)`, pass: r.rssMax < 60e6 });
  }
  return out;
}

export function targetTable(t: Target[]): string {
  return ["| target | figure | result |", "| --- | --- | --- |", ...t.map((x) => `| ${x.what} | ${x.figure} | ${x.pass ? "PASS" : "**FAIL**"} |`)].join("\n");
}
