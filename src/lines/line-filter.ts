// Which lines to ship, by pattern: `include_lines` and `exclude_lines`. With
// multiline joining the filter sees whole events, as in Filebeat, so that
// `include_lines: ["ERROR"]` keeps an error's stack trace with it.
import type { UserPattern } from "./user-pattern";

export class LineFilter {
  /** With `include` patterns a line must match at least one; then it must match none of `exclude`. */
  constructor(
    private readonly include: readonly UserPattern[],
    private readonly exclude: readonly UserPattern[],
  ) {}

  /** Whether there are patterns at all; without them every line is kept and need not be decoded. */
  get active(): boolean {
    return this.include.length > 0 || this.exclude.length > 0;
  }

  keep(text: string): boolean {
    if (this.include.length > 0 && !this.include.some((p) => p.test(text))) return false;
    return !this.exclude.some((p) => p.test(text));
  }
}
