// Writers that behave like applications writing logs.
import { appendFileSync } from "node:fs";

/**
 * Appends lines `${prefix}-${i}${tail}` for i in [from, to), in chunks, as an application's log would grow.
 * `tail` (starting with a space) pads lines to a realistic length; support/scenario.ts ignores it.
 */
export function appendNumbered(file: string, prefix: string, from: number, to: number, tail = ""): void {
  const CHUNK = 1000;
  for (let i = from; i < to; i += CHUNK) {
    const end = Math.min(to, i + CHUNK);
    let text = "";
    for (let j = i; j < end; j++) text += `${prefix}-${j}${tail}\n`;
    appendFileSync(file, text);
  }
}

export function numbered(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `${prefix}-${from + k}`);
}

/** The text appendNumbered would write, for writing a whole file at once. */
export function numberedText(prefix: string, from: number, to: number, tail = ""): string {
  let text = "";
  for (let i = from; i < to; i++) text += `${prefix}-${i}${tail}\n`;
  return text;
}

/** `s` as a regular expression that matches it literally (paths in log lines). */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
