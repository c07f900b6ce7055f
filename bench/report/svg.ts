// throughput.svg: a grouped bar chart of lines/s, one group per throughput case, one bar per tool in the
// tools list's order and colours; hand-written SVG, so the chart needs no package and diffs as text.
import { fmtInt } from "../lib/format";
import { caseLabel, type ThroughputResult } from "../measure/results";
import type { ToolUnderTest } from "../tools/tool";

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);

export function throughputSvg(results: ThroughputResult[], tools: ToolUnderTest[], machineName: string): string {
  const cases = [...new Map(results.map((r) => [caseLabel(r), r])).keys()];
  const shown = tools.filter((t) => results.some((r) => r.tool === t.name));
  const title = `${shown.map((t) => t.name).join(" vs ")}: throughput to one local Kafka broker (${machineName})`;
  const W = 1000, H = 470, left = 80, right = 20, top = 60, bottom = 110;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(1, ...results.map((r) => r.arrived / r.seconds));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(max / 5))).find((s) => max / s <= 6)!;
  const yMax = Math.ceil(max / step) * step;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const groupW = plotW / cases.length, barW = (groupW * 0.75) / shown.length;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#c53030" stroke-width="3"/></pattern></defs>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${W / 2}" y="42" text-anchor="middle" fill="#555">lines per second until the last line is in Kafka (higher is better); hatched = incomplete</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${v >= 1e6 ? `${+(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : v}</text>`);
  }
  cases.forEach((c, gi) => {
    const gx = left + gi * groupW + groupW * 0.125;
    shown.forEach((t, ti) => {
      const r = results.find((x) => caseLabel(x) === c && x.tool === t.name);
      if (!r) return;
      const v = r.arrived / r.seconds;
      const x = gx + ti * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${r.complete ? t.color : "url(#hatch)"}" stroke="${t.color}"><title>${escapeXml(`${c} ${t.name}: ${fmtInt(v)} lines/s`)}</title></rect>`);
      out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle" font-size="9">${v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : Math.round(v)}</text>`);
    });
    const [files, acks] = c.split(", ");
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(files!)}</text>`);
    out.push(`<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 34}" text-anchor="middle">${escapeXml(acks!)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/><line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  shown.forEach((t, i) => {
    const x = left + i * 150;
    out.push(`<rect x="${x}" y="${H - 40}" width="14" height="14" fill="${t.color}"/><text x="${x + 20}" y="${H - 28}">${t.name}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
