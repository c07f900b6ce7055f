// Whether every path one glob can match is also matched by another: how an
// etcd entry's path is checked against [agent] allow_paths (see
// discovery/allow-paths.ts).
//
// Deciding inclusion between globs exactly is costly in general (classes,
// `*` against runs of `?`); this check is sound but not complete. It answers
// true only when it can show, segment by segment and character by character,
// that each piece of the inner glob is covered by a piece of the outer one,
// and false whenever it cannot: `??*` within `?*?` is true but answered false,
// and so is a class within a different class. Callers refuse on false and say
// that a narrower glob helps.
//
// Both sides are shapes from glob.ts, so `.`, `..`, repeated separators,
// either separator on Windows and brace alternatives are settled as the
// scanner settles them; a concrete path is the shape of its names, so one
// algorithm serves a plain path, a glob and a file's real path.
import type { GlobShape, PatternToken, Segment } from "./glob";

/** Whether every path `inner` can match is matched by one of `outers`: each alternative of `inner` within some alternative of some outer. */
export function shapeWithin(inner: GlobShape, outers: readonly GlobShape[]): boolean {
  return inner.alternatives.every((segs) =>
    outers.some((outer) => sameRoot(inner, outer) && outer.alternatives.some((outerSegs) => segmentsWithin(segs, outerSegs, outer.flags))),
  );
}

function sameRoot(a: GlobShape, b: GlobShape): boolean {
  // `C:\` and `c:\`, `\\SRV\logs\` and `\\srv\logs\` are the same root on Windows.
  return a.rootKind === b.rootKind && sameText(a.root, b.root, b.flags);
}

/**
 * Segments `inner[i..]` within `outer[j..]`. A `**` of the outer side takes zero or more inner
 * segments of any kind (an inner `**` too); an inner `**` is covered by nothing else.
 */
function segmentsWithin(inner: Segment[], outer: Segment[], flags: string): boolean {
  return decide(outer.length, (i, j, go) => {
    if (j === outer.length) return i === inner.length;
    if (outer[j]!.kind === "globstar") return go(i, j + 1) || (i < inner.length && go(i + 1, j));
    if (i === inner.length || inner[i]!.kind === "globstar") return false;
    return segmentWithin(inner[i]!, outer[j]!, flags) && go(i + 1, j + 1);
  });
}

/** One segment (not `**`) within another. */
function segmentWithin(inner: Segment, outer: Segment, flags: string): boolean {
  if (outer.kind === "literal") return inner.kind === "literal" && sameText(inner.text, outer.text, flags);
  if (outer.kind !== "pattern") return false;
  if (inner.kind === "literal") return regexOf(outer, `^(?:${outer.src})$`, flags).test(inner.text);
  return inner.kind === "pattern" && tokensWithin(inner.tokens, outer.tokens, flags);
}

/** The characters of one segment: an outer `*` takes any run of inner tokens; an inner `*` is covered only by an outer `*`. */
function tokensWithin(inner: PatternToken[], outer: PatternToken[], flags: string): boolean {
  return decide(outer.length, (p, q, go) => {
    const o = outer[q];
    const t = inner[p];
    if (o === undefined) return t === undefined;
    if (o.t === "star") return go(p, q + 1) || (t !== undefined && go(p + 1, q));
    if (t === undefined || t.t === "star") return false;
    return tokenWithin(t, o, flags) && go(p + 1, q + 1);
  });
}

/**
 * "inner[i..] within outer[j..]" from (0, 0), where `step` answers one (i, j) from others: each
 * is decided once, so several stars or `**` cost at most one visit per pair.
 */
function decide(outerLength: number, step: (i: number, j: number, go: (i: number, j: number) => boolean) => boolean): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const id = i * (outerLength + 1) + j;
    let known = memo.get(id);
    if (known === undefined) memo.set(id, (known = step(i, j, go)));
    return known;
  };
  return go(0, 0);
}

/** One character-matching token (not `*`) within another. Every such token stands for exactly one character that is not a separator. */
function tokenWithin(inner: Exclude<PatternToken, { t: "star" }>, outer: Exclude<PatternToken, { t: "star" }>, flags: string): boolean {
  switch (outer.t) {
    case "one":
      return true;
    case "lit":
      return inner.t === "lit" && sameText(inner.c, outer.c, flags);
    case "class":
      if (inner.t === "lit") return regexOf(outer, `^${outer.src}$`, flags).test(inner.c);
      return inner.t === "class" && inner.src === outer.src; // two different classes: not worth deciding
  }
}

/** Literal names: equal, or on Windows equal as case-insensitive matching has it (the same rule the glob's RegExp applies). */
function sameText(a: string, b: string, flags: string): boolean {
  if (a === b) return true;
  return flags.includes("i") && new RegExp(`^${a.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")}$`, flags).test(b);
}

const regexes = new WeakMap<object, RegExp>();

function regexOf(owner: object, source: string, flags: string): RegExp {
  let re = regexes.get(owner);
  if (!re) regexes.set(owner, (re = new RegExp(source, flags)));
  return re;
}
