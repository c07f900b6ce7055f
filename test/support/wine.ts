// Running Windows programs under Wine for the e2e tests: the runner script,
// and test/support/win-writer.ts compiled into a Windows writer.
import path from "node:path";
import { ROOT } from "./env";

/** A Unix path as the Windows program must be given it: Wine maps / to drive Z:, and collect paths need their drive. */
export function winPath(p: string): string {
  return `Z:${p.replaceAll("/", "\\")}`;
}

/** The Wine prefix the runner uses: $WINEPREFIX, else scripts/wine/lib.sh's default. */
export const WINE_PREFIX = process.env.WINEPREFIX || path.join(process.env.HOME || "/root", ".cache/logagent/wine");

/** Runs a Windows .exe (absolute path) under the prefix in $WINEPREFIX (scripts/wine/run.sh). */
export const WINE_RUN = path.join(ROOT, "scripts/wine/run.sh");

/** Compiles test/support/win-writer.ts into `outfile` for windows-x64. */
export function buildWinWriter(outfile: string): void {
  const build = Bun.spawnSync(
    [process.execPath, "build", "--compile", "--target=bun-windows-x64", path.join(ROOT, "test/support/win-writer.ts"), "--outfile", outfile],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) throw new Error(`building win-writer.exe failed:\n${build.stderr}`);
}
