// Lines on their way to Kafka, as positions in the buffer they were read
// into: one block per file per read, with typed arrays of where each line's
// bytes lie and where it starts in the file. No object per line: at a million
// lines a second, one small object and one byte view per line were most of the
// agent's garbage and a third of its CPU (bench, produce-path-limits.md).
//
// A block is acknowledged as a whole: its lines are contiguous in the file
// (a filtered line ends a block), so its one delivery-tracker ticket, issued
// when it is handed over and ending where its last line ends, is settled once
// Kafka has every line of it, whichever partition lanes and batches they went
// through.
import type { Output } from "../discovery/entry-output";
import type { SharedBuffer } from "./buffer-pool";
import type { DeliveryTracker } from "./delivery-tracker";
import type { FlowMeter } from "../telemetry/agent-metrics";

/**
 * Memory a queued line costs beyond its bytes: its slots in a block's arrays, its record in a request
 * on the wire (key, headers, varints) and the allocator's share; counted with a margin so that
 * max_buffer_bytes bounds resident memory, not just the bytes of the lines.
 */
export const LINE_OVERHEAD_BYTES = 160;

const INITIAL_LINES = 64;

export class LineBlock {
  /** Lines in the block. */
  count = 0;
  /** Line i is `bytes[starts[i], ends[i])` (no line end), read from the file at `offsets[i]`. */
  starts: Int32Array;
  ends: Int32Array;
  offsets: Float64Array;
  /** Sum of the lines' lengths. */
  valueBytes = 0;
  /** Where the file's bytes covered by the block end: reading resumes here once it is delivered. */
  end = 0;
  /** Set when the block is handed over. */
  output!: Output;
  /** Its entry's counters (set when it is handed over): the sink counts the block as sent there. */
  meter: FlowMeter | null = null;
  ticket = -1;
  /** When its lines were read, in ms since the epoch (the JSON envelope's timestamp). */
  time = 0;
  /** Lines Kafka has not acknowledged yet (the sink counts them down). */
  unacked = 0;
  /** The pooled read buffer `bytes` lies in, held until the block is acknowledged (see `release`). */
  shared: SharedBuffer | null = null;

  constructor(
    /** The buffer the lines' bytes are in: the chunk they were read into, or the block's own. */
    public bytes: Buffer,
    /** The file's name: the `path` header (and key) of its lines. */
    readonly path: string,
    /** The file's acknowledgements; a truncated file gets a new one, and a block keeps the one it was read under. */
    readonly tracker: DeliveryTracker,
    capacity = INITIAL_LINES,
  ) {
    capacity = Math.max(1, capacity);
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
  }

  /** Adds the line at `bytes[start, end)`, which starts at `offset` in the file. */
  add(start: number, end: number, offset: number): void {
    if (this.count === this.starts.length) this.grow();
    const i = this.count++;
    this.starts[i] = start;
    this.ends[i] = end;
    this.offsets[i] = offset;
    this.valueBytes += end - start;
  }

  /** Line i's bytes, as a view (for the slow paths: a key pattern, the JSON envelope). */
  value(i: number): Buffer {
    return this.bytes.subarray(this.starts[i], this.ends[i]);
  }

  length(i: number): number {
    return this.ends[i]! - this.starts[i]!;
  }

  /** Kafka has every line: the read buffer may be used again. */
  release(): void {
    this.shared?.release();
    this.shared = null;
  }

  /**
   * Keeps only the bytes the lines use when they are a small part of a large read buffer, so that a
   * few lines queued do not hold a whole chunk: the memory bound counts the lines' bytes. Returns
   * whether the block still uses the buffer it was given.
   */
  compact(): boolean {
    if (this.count === 0) return false;
    const from = this.starts[0]!;
    const to = this.ends[this.count - 1]!;
    if ((to - from) * 2 >= this.bytes.length) return true;
    this.bytes = Buffer.from(this.bytes.subarray(from, to));
    for (let i = 0; i < this.count; i++) {
      this.starts[i]! -= from;
      this.ends[i]! -= from;
    }
    return false;
  }

  private grow(): void {
    const n = this.starts.length * 2;
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    const offsets = new Float64Array(n);
    starts.set(this.starts);
    ends.set(this.ends);
    offsets.set(this.offsets);
    this.starts = starts;
    this.ends = ends;
    this.offsets = offsets;
  }
}
