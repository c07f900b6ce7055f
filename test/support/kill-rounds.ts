// The kill -9 rounds of the crash tests (kill-in-flight.test.ts, exactly-once.test.ts): the agent is
// started, its files are written at full speed, and it is killed at a random moment while it ships
// them, again and again, over the same state_dir.
import type { LogWriter } from "./log-writer";
import type { Scenario } from "./scenario";

export interface KillRounds {
  kills: number;
  /** Steps per run; a step writes `perStep` lines to every file. */
  stepsPerRun: number;
  perStep: number;
  /** A run is killed at a random moment up to this long after its lines are written. */
  maxKillDelayMs: number;
  /** Before run `run` starts (e.g. note the time, delete state_dir). */
  beforeStart?: (run: number) => void;
}

/**
 * `kills` runs, each started, given its lines and killed; then a last run, left running. Each file is
 * rotated by rename twice over all the runs, at different steps (logrotate's rename, then the program
 * reopens its path). Returns, per kill, the lines not yet seen in Kafka at the kill, and the rotations.
 */
export async function killRounds(s: Scenario, writers: LogWriter[], o: KillRounds): Promise<{ backlogs: number[]; rotations: number }> {
  const backlogs: number[] = [];
  let rotations = 0;
  let step = 0;
  for (let run = 0; run <= o.kills; run++) {
    o.beforeStart?.(run);
    s.start();
    await s.agent!.waitForLog(new RegExp(`Following file.*${writers.at(-1)!.file.split("/").pop()!.replace(".", "\\.")}`), 60_000);
    if (run === o.kills) break;
    for (const end = step + o.stepsPerRun; step < end; step++) {
      for (let f = 0; f < writers.length; f++) {
        writers[f]!.write(o.perStep);
        if (step === 50 + 20 * f || step === 130 + 15 * f) {
          writers[f]!.rotateRename();
          writers[f]!.reopen();
          rotations++;
        }
      }
    }
    await Bun.sleep(Math.random() * o.maxKillDelayMs);
    if (!s.agent!.running) throw new Error(`run ${run} of the agent exited by itself:\n${s.agent!.log}`);
    backlogs.push(writers.reduce((n, w) => n + w.next, 0) - new Set(s.received()).size);
    await s.crash();
  }
  for (const w of writers) w.close();
  return { backlogs, rotations };
}
