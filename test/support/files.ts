// Writers that behave like applications writing logs.
import { appendFileSync } from "node:fs";

/** Appends lines `${prefix}-${i}` for i in [from, to), in chunks, as an application's log would grow. */
export function appendNumbered(file: string, prefix: string, from: number, to: number): void {
  const CHUNK = 1000;
  for (let i = from; i < to; i += CHUNK) {
    const end = Math.min(to, i + CHUNK);
    let text = "";
    for (let j = i; j < end; j++) text += `${prefix}-${j}\n`;
    appendFileSync(file, text);
  }
}

export function numbered(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `${prefix}-${from + k}`);
}
