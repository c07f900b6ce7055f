// rsyslog (imfile + omkafka, Debian's rsyslog-kafka) as a tool under test: a native agent doing the
// same job. It runs as a separate rsyslogd with its own configuration and work folder, never the system's.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Proc } from "../lib/proc";
import { commandExists, debInstalled } from "../lib/services";
import { BROKER, type Acks } from "../lib/settings";
import { tryRun } from "../lib/shell";
import type { ToolUnderTest } from "./tool";

function rsyslogConf(work: string, files: string[], topic: string, acks?: Acks): string {
  // omkafka gives each topic a fresh librdkafka topic configuration, so `acks` (a topic property) only
  // takes effect in topicConfParam; in confParam it lands in the unused default topic configuration.
  const acksParam = acks ? ` topicConfParam=["acks=${acks}"]` : "";
  return [
    `global(workDirectory="${work}")`,
    `module(load="imfile")`,
    `module(load="omkafka")`,
    `template(name="raw" type="string" string="%msg%")`,
    `ruleset(name="tokafka") {`,
    `  action(type="omkafka" broker=["${BROKER}"] topic="${topic}" template="raw"${acksParam} action.resumeRetryCount="-1")`,
    `}`,
    ...files.map((f, i) => `input(type="imfile" file="${f}" tag="f${i}" freshStartTail="off" ruleset="tokafka")`),
    "",
  ].join("\n");
}

export const rsyslog: ToolUnderTest = {
  name: "rsyslog",
  color: "#718096",
  packages: [{ deb: "rsyslog-kafka", present: () => commandExists("rsyslogd") && debInstalled("rsyslog-kafka") }],
  exitsWhenDone: false,
  prepare: () => {},
  version: () => `${/rsyslogd\s+(\S+)/.exec(tryRun(["rsyslogd", "-v"]))?.[1] ?? "?"} (imfile + omkafka from Debian's rsyslog-kafka)`,
  launch(o) {
    const work = path.join(o.dir, "rsyslog-work"); // fresh each run, so no imfile state
    mkdirSync(work, { recursive: true });
    const conf = path.join(o.dir, "rsyslog.conf");
    writeFileSync(conf, rsyslogConf(work, o.files, o.topic, o.acks));
    const cmd = ["rsyslogd", "-n", "-f", conf, "-i", path.join(o.dir, "rsyslogd.pid")];
    return [new Proc("rsyslogd", cmd, { cwd: o.dir, log: path.join(o.dir, "rsyslog.log"), sampleMs: 200 })];
  },
  latencyHow: () => "imfile (inotify) + omkafka, defaults",
  howRun:
    "rsyslog: a separate `rsyslogd -n -f CONF -i PIDFILE` with its own `global(workDirectory=...)` (fresh each run, so no imfile state), `imfile` (default inotify mode, `freshStartTail=\"off\"`) for each file, one `omkafka` action with `template` `%msg%`, `topicConfParam=[\"acks=1|all\"]` and `action.resumeRetryCount=\"-1\"`. " +
    "`acks` must go in **topicConfParam**: omkafka builds each topic from a fresh librdkafka topic configuration, so `confParam=[\"acks=1\"]` is accepted but silently ignored (librdkafka's default, acks=all, applies; seen with `debug=conf`). " +
    "With this configuration omkafka **drops** a line when librdkafka's local queue (100,000 messages) is full: rsyslogd logs `Failed to produce ... Local: Queue full` and goes on; " +
    "`action.resumeRetryCount` does not cover it, `resubmitOnFailure=\"on\"` would. The read-back check catches it (seen in about every second full run: 1 to 4 lines of 2,000,000, in one of the 100-byte cases).",
  incompleteNote(dir) {
    // omkafka drops a message when librdkafka's local queue is full, unless resubmitOnFailure="on".
    let drops = 0;
    try {
      drops = (readFileSync(path.join(dir, "rsyslog.log"), "utf8").match(/Queue full/g) ?? []).length;
    } catch {
      /* no log */
    }
    return drops ? `rsyslogd logged ${drops} "Failed to produce ... Local: Queue full" (omkafka drops such a line)` : "";
  },
};
