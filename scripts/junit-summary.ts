// Prints the closing line CI reads, `tests: N passed, N failed, N skipped`, from bun's junit report.
// `bun scripts/junit-summary.ts REPORT EXIT_CODE`: a run that exited non-zero with no failed
// test (an error outside any test, a crash) counts one failure, so it can never look green.
import { existsSync, readFileSync } from "node:fs";

const [report, exitArg] = process.argv.slice(2);
const exitCode = Number(exitArg ?? 0);
const xml = report && existsSync(report) ? readFileSync(report, "utf8") : "";
const attr = (name: string) => Number(new RegExp(`<testsuites[^>]*\\s${name}="(\\d+)"`).exec(xml)?.[1] ?? 0);
const tests = attr("tests");
const skipped = attr("skipped");
let failed = attr("failures");
if (exitCode !== 0 && failed === 0) failed = 1;
const passed = Math.max(0, tests - failed - skipped);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
