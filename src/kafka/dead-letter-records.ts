// What a line Kafka refused for good becomes in the dead-letter topic: the
// record it would have been (same key, same value: the line, its piece, or its
// JSON envelope) with headers that say where it was going and why it did not
// get there, so that an operator can fix the cause and send it on by hand.
// Pure, so that the headers are unit-tested without a broker.
import type { LineBlock } from "../pipeline/line-block";
import { envelope, keyFor } from "./record-fields";
import type { Range } from "./request-builder";

/** Header names of a dead letter; `host` and `part` are those of every record the agent sends. */
export const DEAD_LETTER_HEADERS = {
  topic: "logagent.topic",
  path: "logagent.path",
  offset: "logagent.offset",
  error: "logagent.error",
} as const;

export interface DeadLetterRecord {
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** The dead letters of `ranges` (lines, or pieces of split lines), refused by `topic` with `cause` ("TYPE: message"). */
export function deadLetterRecords(ranges: Range[], topic: string, cause: string, hostname: string): DeadLetterRecord[] {
  const out: DeadLetterRecord[] = [];
  for (const { block, from, to, cut } of ranges) {
    for (let i = from; i < to; i++) {
      let value = block.value(i);
      if (cut !== null) value = value.subarray(cut.from, cut.to);
      out.push(record(block, i, value, cut?.part ?? null, topic, cause, hostname));
    }
  }
  return out;
}

function record(block: LineBlock, i: number, line: Buffer, part: string | null, topic: string, cause: string, hostname: string): DeadLetterRecord {
  const o = block.output;
  const offset = block.offsets[i]!;
  const value = o.format === "json" ? Buffer.from(envelope(o, line, { host: hostname, path: block.path, offset, time: block.time })) : Buffer.from(line);
  // The key of the whole line, as the refused record had it (a key pattern sees the whole line).
  const key = keyFor(o, block.value(i), block.path, hostname);
  const headers: Record<string, string> = {
    host: hostname,
    [DEAD_LETTER_HEADERS.topic]: topic,
    [DEAD_LETTER_HEADERS.path]: block.path,
    [DEAD_LETTER_HEADERS.offset]: String(offset),
    [DEAD_LETTER_HEADERS.error]: cause,
  };
  if (part !== null) headers.part = part;
  return { key: key === null ? null : Buffer.from(key), value, headers };
}
