// Where a Windows service logs when its INI names no log_file: its stdin, stdout and stderr are
// the null device, so stderr would lose everything. One file per service name, beside the other
// machine-wide application data, where an administrator looks.
import path from "node:path";

export function defaultServiceLogFile(serviceName: string, env: NodeJS.ProcessEnv = process.env): string {
  const programData = env.ProgramData || env.PROGRAMDATA || "C:\\ProgramData";
  return path.win32.join(programData, "logagent", "logs", `${serviceName}.log`);
}
