// What a line becomes in a Kafka record besides its bytes: the key its entry
// asks for, and the JSON envelope of `format = json`.
import type { Output } from "../discovery/entry-output";

/** The message key for a line, or null for no key. */
export function keyFor(output: Output, line: Uint8Array, path: string, hostname: string): string | Buffer | null {
  if (output.partitioner !== "key") return null;
  if (output.key === "path") return path;
  if (output.key === "host") return hostname;
  const m = output.keyPattern!.exec(Buffer.from(line.buffer, line.byteOffset, line.byteLength).toString("utf8"));
  return m ? (m[1] ?? m[0]) : null;
}

const decoder = new TextDecoder("utf-8"); // invalid bytes become U+FFFD; the envelope is always valid UTF-8

/** The JSON envelope for `format = json`. */
export function envelope(output: Output, line: Uint8Array, meta: { host: string; path: string; offset: number; time: number }): string {
  return JSON.stringify({
    message: decoder.decode(line),
    host: meta.host,
    path: meta.path,
    offset: meta.offset,
    timestamp: new Date(meta.time).toISOString(),
    fields: output.fields,
  });
}
