// kcat (Debian's, librdkafka) as a tool under test: the reference for what a Kafka producer reaches on
// this machine. Also the benchmark's reader: every throughput topic is read back with `kcat -C`.
import os from "node:os";
import path from "node:path";
import { Proc } from "../lib/proc";
import { commandExists, type Package } from "../lib/services";
import { BROKER } from "../lib/settings";
import { tryRun } from "../lib/shell";
import type { ToolUnderTest } from "./tool";

export const KCAT_PACKAGE: Package = { deb: "kcat", present: () => commandExists("kcat") };

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * kcat as logagent is run, `kcat` otherwise: each message carries what logagent's do, a key (the file's
 * path, logagent's default partitioner) and the host, path and offset headers. On one broker the broker's
 * work per record grows with them (it parses every record's headers when it validates a batch), so this
 * row tells the producer's cost apart from what the record itself costs the broker.
 */
function kcatLike(name: string, color: string, sameRecord: boolean): ToolUnderTest {
  const record = (file: string) =>
    sameRecord ? ["-k", file, "-H", `host=${os.hostname()}`, "-H", `path=${file}`, "-H", "offset=123456789"] : [];
  return {
    name,
    color,
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
        const cmd = `tail -n +1 -F ${quote(o.files[0]!)} | kcat -P -q -b ${BROKER} -t ${quote(o.topic)} ${[...acks, ...record(o.files[0]!)].map(quote).join(" ")}`;
        return [new Proc(name, ["sh", "-c", cmd], { cwd: o.dir, log, sampleMs: 200 })];
      }
      // One kcat per file, all in parallel (kcat -l takes one file); each exits once its file is acknowledged,
      // so its memory high-water mark is sampled often.
      return o.files.map((f, i) => new Proc(`${name}#${i}`, ["kcat", "-P", "-q", "-b", BROKER, "-t", o.topic, ...acks, ...record(f), "-l", f], { cwd: o.dir, log, sampleMs: 10 }));
    },
    latencyHow: () => `tail -n +1 -F FILE | kcat -P${sameRecord ? " -k PATH -H host= -H path= -H offset=" : ""}, defaults`,
    howRun: sameRecord
      ? "kcat-same-record: the same, plus `-k FILE -H host=HOSTNAME -H path=FILE -H offset=123456789`, so that every message carries what logagent's carry (a key and three headers); the targets are against plain kcat."
      : "kcat: `kcat -P -q -b BROKER -t TOPIC -X acks=1|all -l FILE` (`acks` is librdkafka's alias of `request.required.acks`; `kcat -X dump` shows it applied). " +
        "Everything else librdkafka's defaults (linger 5 ms, batch.num.messages 10000, no compression).",
    incompleteNote: () => "",
  };
}

export const kcat = kcatLike("kcat", "#dd6b20", false);
export const kcatSameRecord = kcatLike("kcat-same-record", "#f6ad55", true);
