// The tools under test, in the order they run and appear in the tables. The first is the reference:
// ratios and targets compare it with each of the others. A variant of the agent (another delivery
// mode) is one more logagent({...}) entry here.
import { SETTINGS } from "../lib/settings";
import { kcat, kcatSameRecord } from "./kcat";
import { logagent } from "./logagent";
import { rsyslog } from "./rsyslog";
import type { ToolUnderTest } from "./tool";

export const AGENT = logagent();
/** exactly_once delivery beside the default: what transactions cost (acks=all cases only). */
export const AGENT_EXACTLY_ONCE = logagent({ name: "logagent-eo", color: "#553c9a", kafka: { delivery: "exactly_once" }, transactional: true });
export const TOOLS: ToolUnderTest[] = [AGENT, AGENT_EXACTLY_ONCE, kcat, kcatSameRecord, rsyslog];

/** The tools --tools= names (all by default), in the list's order. */
export function selectedTools(): ToolUnderTest[] {
  const names = SETTINGS.tools.length ? SETTINGS.tools : TOOLS.map((t) => t.name);
  for (const n of names) {
    if (!TOOLS.some((t) => t.name === n)) throw new Error(`--tools: unknown tool ${n} (${TOOLS.map((t) => t.name).join(", ")})`);
  }
  return TOOLS.filter((t) => names.includes(t.name));
}
