// The tools under test, in the order they run and appear in the tables. The first is the reference:
// ratios and targets compare it with each of the others. A variant of the agent (another delivery
// mode) is one more logagent({...}) entry here.
import { SETTINGS } from "../lib/settings";
import { kcat, kcatSameRecord } from "./kcat";
import { logagent } from "./logagent";
import { rsyslog } from "./rsyslog";
import type { ToolUnderTest } from "./tool";

export const AGENT = logagent();
export const TOOLS: ToolUnderTest[] = [AGENT, kcat, kcatSameRecord, rsyslog];

/** The tools --tools= names (all by default), in the list's order. */
export function selectedTools(): ToolUnderTest[] {
  const names = SETTINGS.tools.length ? SETTINGS.tools : TOOLS.map((t) => t.name);
  for (const n of names) {
    if (!TOOLS.some((t) => t.name === n)) throw new Error(`--tools: unknown tool ${n} (${TOOLS.map((t) => t.name).join(", ")})`);
  }
  return TOOLS.filter((t) => names.includes(t.name));
}
