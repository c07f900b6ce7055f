// How figures are written, the same in the progress lines and in RESULTS.md: "–" for a figure that is
// unknown (NaN, or 0 memory from a process that exited before it was read), never a misleading 0.
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : "–");
/** MiB, or "–" when unknown. */
export const mib = (bytes: number) => (bytes > 0 ? fmt(bytes / 2 ** 20) : "–");
export const memRatio = (a: number, b: number) => (a > 0 ? ratio(a, b) : "–");
/** A share of one core, as a percentage with two decimals. */
export const pct = (share: number) => fmt(share * 100, 2);
