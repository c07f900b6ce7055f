// A RegExp with the `g` or `y` flag remembers `lastIndex` between `test` calls,
// so the same line could match once and then fail. Patterns are tested against
// one line after another, so they are copied without those flags once, when a
// filter or joiner is built, rather than reset on every line.

export function statelessPattern(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")) : pattern;
}
