// Blocks of lines (src/pipeline/line-block.ts) for tests: a sink that sees them line by line, and
// blocks made from strings.
import { DeliveryTracker } from "../../src/pipeline/delivery-tracker";
import { LineBlock } from "../../src/pipeline/line-block";
import type { LineSink } from "../../src/tail/file-reader";

/** A sink that calls `fn` for each line of each block: its bytes, the file's path, where it starts and where it ends in the file. */
export function eachLine(fn: (line: Uint8Array, path: string, start: number, end: number) => void): LineSink {
  return (block) => {
    for (let i = 0; i < block.count; i++) fn(block.value(i), block.path, block.offsets[i]!, i + 1 < block.count ? block.offsets[i + 1]! : block.end);
  };
}

/** A block holding `lines` (each followed by LF in the file, from offset `at`), as a reader hands it over. */
export function blockOf(lines: string[], path = "/a.log", at = 0, tracker = new DeliveryTracker(at)): LineBlock {
  const bytes = Buffer.from(lines.join(""));
  const block = new LineBlock(bytes, path, tracker);
  let pos = 0;
  for (const l of lines) {
    const len = Buffer.byteLength(l);
    block.add(pos, pos + len, 0);
    pos += len;
  }
  // Offsets as the file has them: each line plus its LF.
  let offset = at;
  for (let i = 0; i < block.count; i++) {
    block.offsets[i] = offset;
    offset += block.length(i) + 1;
  }
  block.end = offset;
  block.ticket = tracker.issue(block.end);
  return block;
}
