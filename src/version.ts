// The version is embedded at build time: the bundler inlines package.json, and scripts/build.ts
// defines LOGAGENT_COMMIT (the git commit, `-dirty` when the tree had uncommitted changes), so a
// binary in the field says exactly which source it was built from. Run from source it is undefined.
import pkg from "../package.json" with { type: "json" };

declare const LOGAGENT_COMMIT: string | undefined;

export const VERSION: string = pkg.version;

/** The commit the binary was built from, or undefined when running from source (`bun src/main.ts`). */
export const COMMIT: string | undefined = typeof LOGAGENT_COMMIT === "string" ? LOGAGENT_COMMIT : undefined;

/** What `--version` prints: `logagent 0.1.0 (commit 5c38c2a1b2c3)`. */
export function versionLine(): string {
  return `logagent ${VERSION} (commit ${COMMIT ?? "unknown: run from source"})`;
}
