// Every INI in test/fixtures/config against the outcome beside it (NAME.out):
// the configuration problems, one a line as `logagent check` prints them, or
// `valid` and what the file configures. The reproducers and anything
// the fuzz test (config-fuzz.test.ts) ever finds are kept here, byte for byte
// (fuzz-*.ini). Regenerate the .out files with UPDATE_FIXTURES=1 and review the diff.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "../../src/config/config-error";
import { readIniBytes } from "../../src/config/load-ini";

const DIR = path.join(import.meta.dir, "../fixtures/config");

/** Every fixture sees this environment; the secret must never show in an outcome. */
const ENV = { PW: "secret-pw" };

/** What a fixture gives: its problems, or what it configures (the fields the fixtures exercise). */
function outcome(bytes: Uint8Array): string {
  try {
    const { config } = readIniBytes(bytes, "/etc/logagent/conf.ini", ENV);
    const { brokers } = config.kafka;
    return ["valid", JSON.stringify({ brokers, stateDir: config.agent.stateDir, fields: config.fields, collect: config.collect }, null, 2)].join("\n") + "\n";
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message + "\n";
  }
}

for (const name of readdirSync(DIR).filter((f) => f.endsWith(".ini")).sort()) {
  test(`fixture ${name}`, () => {
    const got = outcome(readFileSync(path.join(DIR, name)));
    const out = path.join(DIR, name.replace(/\.ini$/, ".out"));
    if (process.env.UPDATE_FIXTURES) writeFileSync(out, got);
    expect(got).toBe(readFileSync(out, "utf8"));
    expect(got).not.toContain(ENV.PW);
  });
}
