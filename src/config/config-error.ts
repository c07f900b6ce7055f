/** One thing wrong with a configuration, located as precisely as the source allows. */
export interface ConfigProblem {
  file: string;
  line?: number;
  section?: string;
  key?: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}` : p.file;
  if (!p.section) return `${where}: ${p.message}`;
  const what = `[${p.section}]${p.key ? ` ${p.key}` : ""}`;
  // A bad value reads as the INI line would: `[kafka] acks = "2": must be ...`.
  return `${where}: ${what}${p.message.startsWith("= ") ? " " : ": "}${p.message}`;
}

/** The configuration cannot be used; every problem found is listed, not just the first. Exit code 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError" as const;
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
  }
}
