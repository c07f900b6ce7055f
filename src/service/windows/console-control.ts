// Console events on Windows beyond Ctrl+C and Ctrl+Break (which Bun turns into SIGINT and
// SIGBREAK): closing the console window, logging off and shutting down. Windows ends the process
// as soon as the handler returns, so the native handler (helper.c) blocks until `done()`, and
// this side notices the event by polling. Installing it also undoes an inherited "ignore Ctrl+C"
// (a launcher that used CREATE_NEW_PROCESS_GROUP), so Ctrl+C stops the agent wherever it runs.
import { helper } from "./helper";

export type ConsoleEvent = "close" | "logoff" | "shutdown";
const EVENTS: Record<number, ConsoleEvent> = { 2: "close", 5: "logoff", 6: "shutdown" };

export interface ConsoleControl {
  /** The agent has stopped: let Windows end the process. */
  done(): void;
}

export function watchConsoleEvents(onEvent: (event: ConsoleEvent) => void): ConsoleControl {
  const h = helper();
  const error = h.la_console_install(0);
  if (error) throw new Error(`SetConsoleCtrlHandler failed (Windows error ${error})`);
  const timer = setInterval(() => {
    const event = EVENTS[(h.la_events() >> 16) & 0xff];
    if (event) {
      clearInterval(timer);
      onEvent(event);
    }
  }, 250);
  timer.unref(); // not a reason to keep the process alive
  return { done: () => h.la_console_done() };
}
