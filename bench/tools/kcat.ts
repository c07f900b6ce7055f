// kcat (Debian's, librdkafka) as a tool under test: the reference for what a Kafka producer reaches on
// this machine. Also the benchmark's reader: every throughput topic is read back with `kcat -C`.
import path from "node:path";
import { Proc } from "../lib/proc";
import { commandExists, type Package } from "../lib/services";
import { BROKER } from "../lib/settings";
import { tryRun } from "../lib/shell";
import type { ToolUnderTest } from "./tool";

export const KCAT_PACKAGE: Package = { deb: "kcat", present: () => commandExists("kcat") };

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export const kcat: ToolUnderTest = {
  name: "kcat",
  color: "#dd6b20",
  packages: [KCAT_PACKAGE],
  exitsWhenDone: true,
  prepare: () => {},
  version() {
    const v = /Version (\S+) .*librdkafka (\S+)/.exec(tryRun(["kcat", "-V"]));
    return v ? `${v[1]} (librdkafka ${v[2]})` : "?";
  },
  launch(o) {
    const log = path.join(o.dir, "kcat.log");
    const acks = o.acks ? ["-X", `acks=${o.acks}`] : [];
    if (o.follow) {
      // `kcat -l` stops at the end of its file; a growing file comes through tail on stdin.
      const cmd = `tail -n +1 -F ${quote(o.files[0]!)} | kcat -P -q -b ${BROKER} -t ${quote(o.topic)} ${acks.join(" ")}`;
      return [new Proc("kcat", ["sh", "-c", cmd], { cwd: o.dir, log, sampleMs: 200 })];
    }
    // One kcat per file, all in parallel (kcat -l takes one file); each exits once its file is acknowledged,
    // so its memory high-water mark is sampled often.
    return o.files.map((f, i) => new Proc(`kcat#${i}`, ["kcat", "-P", "-q", "-b", BROKER, "-t", o.topic, ...acks, "-l", f], { cwd: o.dir, log, sampleMs: 10 }));
  },
  latencyHow: () => "tail -n +1 -F FILE | kcat -P, defaults",
  howRun:
    "kcat: `kcat -P -q -b BROKER -t TOPIC -X acks=1|all -l FILE` (`acks` is librdkafka's alias of `request.required.acks`; `kcat -X dump` shows it applied). " +
    "Everything else librdkafka's defaults (linger 5 ms, batch.num.messages 10000, no compression).",
  incompleteNote: () => "",
};
