// Runs the operator's editor on a file and waits for it, as git does:
// $VISUAL, then $EDITOR, then vi (Notepad on Windows). The variable may hold
// arguments (`code --wait`), so it goes through the shell (cmd on Windows)
// with the file name as a separate, quoted argument.

export function editorCommand(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): string {
  const chosen = env.VISUAL?.trim() || env.EDITOR?.trim();
  return chosen || (platform === "win32" ? "notepad.exe" : "vi");
}

/** The command line that opens `file` in `editor`. */
export function editorArgv(editor: string, file: string, platform: NodeJS.Platform = process.platform): string[] {
  if (platform === "win32") return ["cmd.exe", "/d", "/s", "/c", `"${editor} "${file}""`];
  return ["/bin/sh", "-c", `${editor} "$1"`, editor, file];
}

/** The editor's exit code, once it has exited; it shares this terminal. */
export async function runEditor(editor: string, file: string): Promise<number> {
  const proc = Bun.spawn(editorArgv(editor, file), { stdio: ["inherit", "inherit", "inherit"], windowsVerbatimArguments: true });
  return await proc.exited;
}
