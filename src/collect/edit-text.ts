// The text `logagent collect edit` puts in front of the operator: the list,
// pretty-printed, under a few `//` lines that say which key it is and, after a
// failed try, what is wrong. JSON has no comments, so those lines are only
// allowed at the top, where a list cannot start with `//`, and are dropped
// before the list is read. Pure, for unit tests.

export const COMMENT = "//";

export interface EditHeader {
  key: string;
  host: string;
  /** The key's mod revision when it was read; 0n when absent. */
  modRevision: bigint;
  /** What is wrong with the text below, when it was refused (nothing written yet). */
  problems?: string[];
  /** What is wrong with the list as etcd holds it now (the agent refuses it). */
  storedProblems?: string[];
}

/** The value as it is edited: pretty JSON when it parses (the stored text as it is otherwise), `[]` for an absent key. */
export function forEditing(value: string | null): string {
  if (value === null) return "[]\n";
  try {
    return JSON.stringify(JSON.parse(value), null, 2) + "\n";
  } catch {
    return value.endsWith("\n") ? value : value + "\n";
  }
}

export function editHeader(h: EditHeader): string {
  const state = h.modRevision === 0n ? "absent until now: the agent collects nothing" : `mod revision ${h.modRevision}`;
  const lines = [
    `logagent collect edit: the collect list of host ${h.host}, etcd key ${h.key} (${state}).`,
    "Save and close the editor to check it with the agent's rules and write it; an empty list file cancels.",
    `Lines starting with ${COMMENT} at the top are dropped.`,
  ];
  const listed = (title: string, problems: string[]) => [title, ...problems.map((p) => `  ${p.replace(/\r?\n/g, " ")}`)];
  if (h.problems?.length) lines.push(...listed("NOT WRITTEN: fix these problems (the agent would refuse the list):", h.problems));
  else if (h.storedProblems?.length) lines.push(...listed("The list in etcd has these problems (the agent refuses it and keeps its previous one):", h.storedProblems));
  return lines.map((l) => `${COMMENT} ${l}`).join("\n") + "\n";
}

/** A UTF-8 byte order mark (Notepad adds one) is not part of the JSON. */
export function withoutBom(text: string): string {
  return text.startsWith("\uFEFF") ? text.slice(1) : text;
}

/** The list as saved: without a byte order mark, and without the `//` lines (and blank lines) before it. */
export function withoutHeader(text: string): string {
  const lines = withoutBom(text).split(/(?<=\n)/);
  let n = 0;
  while (n < lines.length && (lines[n]!.trimStart().startsWith(COMMENT) || lines[n]!.trim() === "")) n++;
  return lines.slice(n).join("");
}

/** Whether the saved list is the one the editor was opened with (only white space around it changed). */
export function unchanged(saved: string, opened: string): boolean {
  return saved.trim() === opened.trim();
}
