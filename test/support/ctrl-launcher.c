/*
 * A launcher that starts a program in its own console and presses Ctrl+C there after WAIT_MS,
 * as a user at the console would; it prints the child's exit code. For
 * test/e2e/windows-console.test.ts, built with mingw-w64 and run under Wine inside a pty (Wine
 * only delivers console events with one).
 *
 *   ctrl-launcher.exe WAIT_MS PROGRAM [ARGS...]
 *
 * The launcher itself survives the Ctrl+C (a handler that returns TRUE, which children do not
 * inherit, unlike SetConsoleCtrlHandler(NULL, TRUE)).
 */
#include <windows.h>
#include <stdio.h>

static BOOL WINAPI survive(DWORD type) {
  (void)type;
  return TRUE;
}

int wmain(int argc, wchar_t **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ctrl-launcher WAIT_MS PROGRAM [ARGS...]\n");
    return 64;
  }
  DWORD wait_ms = (DWORD)_wtoi(argv[1]);
  wchar_t cmd[8192] = L"";
  for (int i = 2; i < argc; i++) {
    wcscat(cmd, L"\"");
    wcscat(cmd, argv[i]);
    wcscat(cmd, L"\" ");
  }
  SetConsoleCtrlHandler(survive, TRUE);
  STARTUPINFOW si = {sizeof si};
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    printf("CreateProcess failed: %lu\n", GetLastError());
    return 65;
  }
  Sleep(wait_ms);
  BOOL sent = GenerateConsoleCtrlEvent(CTRL_C_EVENT, 0);
  printf("ctrl-c-sent=%d\n", sent); /* no spaces: Wine's console draws them as cursor moves */
  fflush(stdout);
  DWORD waited = WaitForSingleObject(pi.hProcess, 30000);
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  printf("child-%s=%lu\n", waited == WAIT_OBJECT_0 ? "exit" : "still-running", code);
  if (waited != WAIT_OBJECT_0) TerminateProcess(pi.hProcess, 9);
  return 0;
}
