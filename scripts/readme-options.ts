// Regenerates the option table in README.md from src/config/options.ts:
// `bun scripts/readme-options.ts` (writes) or `--check` (exit 1 when stale).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { optionsTable } from "../src/config/load-ini";

const README = path.resolve(import.meta.dir, "../README.md");
const block = /(<!-- options:begin[^\n]*-->\n)[\s\S]*?(<!-- options:end -->)/;

export function renderReadme(text: string): string {
  if (!block.test(text)) throw new Error(`${README}: options:begin/options:end markers are missing`);
  return text.replace(block, (_, begin: string, end: string) => `${begin}${optionsTable()}\n${end}`);
}

if (import.meta.main) {
  const text = readFileSync(README, "utf8");
  const next = renderReadme(text);
  if (process.argv.includes("--check")) {
    if (next !== text) {
      console.error("README.md option table is stale: run bun scripts/readme-options.ts");
      process.exit(1);
    }
  } else writeFileSync(README, next);
}
