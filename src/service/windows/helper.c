/*
 * logagent's Windows helper: the few Windows callbacks that must be native code.
 *
 * Why a DLL at all: the Service Control Manager calls ServiceMain on a thread it creates and
 * HandlerEx on the dispatcher thread, and HandlerEx must *return* NO_ERROR. A Bun JSCallback can
 * only run JavaScript on the thread that owns it, and a threadsafe one cannot return a value
 * (oven-sh/bun JSFFIFunction.cpp; ../shared/notes/windows-service.md). So these callbacks live
 * here: they record what happened and set an event; JavaScript polls la_events() on its own
 * thread and answers with la_set_status(). No JavaScript ever runs on a foreign thread.
 *
 * The console control handler lives here for the same reason: on console close, logoff and
 * shutdown Windows ends the process as soon as the handler returns, so the handler must block
 * until JavaScript has stopped the agent (la_console_done()).
 *
 * The management calls (install, delete, start, stop, query, event source) take flat arguments
 * so that JavaScript never builds Windows structs by hand.
 *
 * Built by scripts/build.ts with x86_64-w64-mingw32-gcc and embedded in logagent.exe.
 */
#define WIN32_LEAN_AND_MEAN
#define UNICODE
#include <windows.h>
#include <winsvc.h>
#include <tlhelp32.h>

#define EXPORT __declspec(dllexport)

/* la_events() bits */
#define EV_SERVICE_STARTED 0x1u    /* ServiceMain ran and registered its handler */
#define EV_REGISTER_FAILED 0x2u    /* ServiceMain ran, RegisterServiceCtrlHandlerExW failed */
/* bits 8..15: the last stop-like service control (1 STOP, 5 SHUTDOWN, 15 PRESHUTDOWN) */
/* bits 16..23: the last console event (2 CLOSE, 5 LOGOFF, 6 SHUTDOWN) */

static CRITICAL_SECTION lock;
static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static volatile LONG events;
static HANDLE console_done;
static int service_mode;
static WCHAR service_name[257];

BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved) {
  (void)dll;
  (void)reserved;
  if (reason == DLL_PROCESS_ATTACH) {
    InitializeCriticalSection(&lock);
    console_done = CreateEventW(NULL, TRUE, FALSE, NULL);
  }
  return TRUE;
}

static void set_bits(LONG mask, LONG value) {
  LONG old, next;
  do {
    old = events;
    next = (old & ~mask) | value;
  } while (InterlockedCompareExchange(&events, next, old) != old);
}

/* Caller holds `lock`. Pending states get a fresh checkpoint, as the SCM requires for progress. */
static BOOL report(DWORD state, DWORD win32_exit, DWORD specific_exit, DWORD wait_hint) {
  if (!status_handle) return FALSE;
  status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  status.dwCurrentState = state;
  status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN : 0;
  status.dwWin32ExitCode = win32_exit;
  status.dwServiceSpecificExitCode = specific_exit;
  status.dwCheckPoint = (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) ? status.dwCheckPoint + 1 : 0;
  status.dwWaitHint = wait_hint;
  return SetServiceStatus(status_handle, &status);
}

static DWORD WINAPI handler(DWORD control, DWORD type, LPVOID data, LPVOID context) {
  (void)type;
  (void)data;
  (void)context;
  switch (control) {
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR; /* the SCM keeps the last status we reported */
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
      EnterCriticalSection(&lock);
      /* Say STOP_PENDING now, from here: JavaScript notices within its poll interval. */
      if (status.dwCurrentState == SERVICE_RUNNING || status.dwCurrentState == SERVICE_START_PENDING) report(SERVICE_STOP_PENDING, NO_ERROR, 0, 5000);
      LeaveCriticalSection(&lock);
      set_bits(0xff00, (LONG)(control << 8));
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

/* Runs on a thread the dispatcher creates. Returning early is allowed: the service lives on
   until it reports SERVICE_STOPPED. */
static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  if (argc > 0 && argv[0]) lstrcpynW(service_name, argv[0], 257);
  SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(service_name, handler, NULL);
  if (!h) {
    set_bits(EV_REGISTER_FAILED, EV_REGISTER_FAILED);
    return;
  }
  EnterCriticalSection(&lock);
  status_handle = h;
  report(SERVICE_START_PENDING, NO_ERROR, 0, 30000);
  LeaveCriticalSection(&lock);
  set_bits(EV_SERVICE_STARTED, EV_SERVICE_STARTED);
}

/* Whether the Service Control Manager started this process: its parent is services.exe (the
   test Go's x/sys/windows/svc uses too). Asking StartServiceCtrlDispatcherW instead would cost a
   console start 10 s under Wine, where it only fails after a timeout. */
EXPORT int la_started_by_scm(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32W e;
  DWORD self = GetCurrentProcessId(), parent = 0;
  int found = 0;
  if (snap == INVALID_HANDLE_VALUE) return 0;
  e.dwSize = sizeof e;
  for (BOOL ok = Process32FirstW(snap, &e); ok; ok = Process32NextW(snap, &e))
    if (e.th32ProcessID == self) parent = e.th32ParentProcessID;
  e.dwSize = sizeof e;
  for (BOOL ok = Process32FirstW(snap, &e); ok && parent; ok = Process32NextW(snap, &e))
    if (e.th32ProcessID == parent) found = lstrcmpiW(e.szExeFile, L"services.exe") == 0;
  CloseHandle(snap);
  return found;
}

/* Blocks until the service reports SERVICE_STOPPED. From a console it fails at once with
   ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (1063): that is how console mode is recognised. */
EXPORT DWORD la_dispatch(void) {
  SERVICE_TABLE_ENTRYW table[] = {{L"", service_main}, {NULL, NULL}};
  service_mode = 1;
  if (StartServiceCtrlDispatcherW(table)) return 0;
  service_mode = 0;
  return GetLastError();
}

EXPORT DWORD la_events(void) { return (DWORD)events; }

EXPORT int la_service_name(WCHAR *buffer, int chars) {
  lstrcpynW(buffer, service_name, chars);
  return lstrlenW(buffer);
}

/* Returns 0 on success, else the Windows error code. */
EXPORT DWORD la_set_status(DWORD state, DWORD win32_exit, DWORD specific_exit, DWORD wait_hint) {
  EnterCriticalSection(&lock);
  BOOL ok = report(state, win32_exit, specific_exit, wait_hint);
  DWORD error = ok ? 0 : (status_handle ? GetLastError() : ERROR_INVALID_HANDLE);
  LeaveCriticalSection(&lock);
  return error;
}

/* ------------------------------------------------------------------ console */

static BOOL WINAPI console_handler(DWORD type) {
  switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
      return FALSE; /* Bun's own handler turns these into SIGINT and SIGBREAK */
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      /* A service stops through the SCM's controls. It must not die when a user logs off, which
         is what the default handler (and libuv, which passes these on) would let happen. */
      if (service_mode) return TRUE;
      set_bits(0xff0000, (LONG)(type << 16));
      /* Windows ends the process when this returns (or when its own time limit runs out). */
      WaitForSingleObject(console_done, INFINITE);
      return TRUE;
    default:
      return FALSE;
  }
}

/* Installs the console handler. In console mode it also undoes an inherited "ignore Ctrl+C"
   (CREATE_NEW_PROCESS_GROUP, or a launcher's SetConsoleCtrlHandler(NULL, TRUE)). */
EXPORT int la_console_install(int as_service) {
  if (as_service) service_mode = 1;
  else SetConsoleCtrlHandler(NULL, FALSE);
  return SetConsoleCtrlHandler(console_handler, TRUE) ? 0 : (int)GetLastError();
}

/* The agent has stopped: a blocked console handler may return (and Windows end the process). */
EXPORT void la_console_done(void) { SetEvent(console_done); }

/* ------------------------------------------------------------------ management */

static DWORD open_scm(DWORD access, SC_HANDLE *scm) {
  *scm = OpenSCManagerW(NULL, NULL, access);
  return *scm ? 0 : GetLastError();
}

EXPORT DWORD la_install(LPCWSTR name, LPCWSTR display, LPCWSTR command) {
  SC_HANDLE scm, svc;
  DWORD error = open_scm(SC_MANAGER_CREATE_SERVICE, &scm);
  if (error) return error;
  svc = CreateServiceW(scm, name, display, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
                       SERVICE_ERROR_NORMAL, command, NULL, NULL, NULL, NULL, NULL);
  error = svc ? 0 : GetLastError();
  if (svc) CloseServiceHandle(svc);
  CloseServiceHandle(scm);
  return error;
}

/* The settings install makes beyond CreateServiceW, each tried on its own; errors[i] is 0 or the
   Windows error of step i: 0 description, 1 delayed automatic start, 2 failure actions, 3 failure
   actions also on non-crash failures (a STOPPED report with a non-zero exit code). */
EXPORT DWORD la_configure(LPCWSTR name, LPWSTR description, DWORD reset_seconds, DWORD restart1_ms, DWORD restart2_ms,
                          DWORD restart3_ms, DWORD *errors) {
  SC_HANDLE scm, svc;
  DWORD error = open_scm(SC_MANAGER_CONNECT, &scm);
  if (error) return error;
  svc = OpenServiceW(scm, name, SERVICE_CHANGE_CONFIG | SERVICE_START);
  if (!svc) {
    error = GetLastError();
    CloseServiceHandle(scm);
    return error;
  }
  SERVICE_DESCRIPTIONW desc = {description};
  SERVICE_DELAYED_AUTO_START_INFO delayed = {TRUE};
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, restart1_ms}, {SC_ACTION_RESTART, restart2_ms}, {SC_ACTION_RESTART, restart3_ms}};
  SERVICE_FAILURE_ACTIONSW failure = {reset_seconds, NULL, NULL, 3, actions};
  SERVICE_FAILURE_ACTIONS_FLAG flag = {TRUE};
  errors[0] = ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc) ? 0 : GetLastError();
  errors[1] = ChangeServiceConfig2W(svc, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, &delayed) ? 0 : GetLastError();
  errors[2] = ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &failure) ? 0 : GetLastError();
  errors[3] = ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag) ? 0 : GetLastError();
  CloseServiceHandle(svc);
  CloseServiceHandle(scm);
  return 0;
}

/* Sets a DWORD value of the service's own registry key (HKLM\SYSTEM\CurrentControlSet\Services\NAME). */
EXPORT DWORD la_service_dword(LPCWSTR name, LPCWSTR value_name, DWORD value) {
  WCHAR key[300] = L"SYSTEM\\CurrentControlSet\\Services\\";
  HKEY h;
  lstrcatW(key, name);
  LSTATUS error = RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_SET_VALUE, &h);
  if (error) return (DWORD)error;
  error = RegSetValueExW(h, value_name, 0, REG_DWORD, (const BYTE *)&value, sizeof value);
  RegCloseKey(h);
  return (DWORD)error;
}

static DWORD with_service(LPCWSTR name, DWORD access, DWORD (*action)(SC_HANDLE, void *), void *arg) {
  SC_HANDLE scm, svc;
  DWORD error = open_scm(SC_MANAGER_CONNECT, &scm);
  if (error) return error;
  svc = OpenServiceW(scm, name, access);
  if (!svc) error = GetLastError();
  else {
    error = action(svc, arg);
    CloseServiceHandle(svc);
  }
  CloseServiceHandle(scm);
  return error;
}

static DWORD do_delete(SC_HANDLE svc, void *arg) {
  (void)arg;
  return DeleteService(svc) ? 0 : GetLastError();
}
static DWORD do_start(SC_HANDLE svc, void *arg) {
  (void)arg;
  return StartServiceW(svc, 0, NULL) ? 0 : GetLastError();
}
static DWORD do_stop(SC_HANDLE svc, void *arg) {
  SERVICE_STATUS s;
  (void)arg;
  return ControlService(svc, SERVICE_CONTROL_STOP, &s) ? 0 : GetLastError();
}
static DWORD service_key_dword(LPCWSTR name, LPCWSTR value_name, DWORD fallback) {
  WCHAR key[300] = L"SYSTEM\\CurrentControlSet\\Services\\";
  DWORD value = fallback, size = sizeof value;
  lstrcatW(key, name);
  if (RegGetValueW(HKEY_LOCAL_MACHINE, key, value_name, RRF_RT_REG_DWORD, NULL, &value, &size)) return fallback;
  return value;
}

struct query { LPCWSTR name; DWORD *out; };

/* out: state, win32 exit code, service-specific exit code, process id, start type, delayed auto
   start, failure reset period (s), failure action count, the first three actions' delays (ms),
   failure actions on non-crash failures. 0xffffffff where Windows (or Wine) cannot say. */
static DWORD do_query(SC_HANDLE svc, void *arg) {
  struct query *q = (struct query *)arg;
  DWORD *out = q->out, needed = 0;
  SERVICE_STATUS_PROCESS s;
  if (!QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)&s, sizeof s, &needed)) return GetLastError();
  out[0] = s.dwCurrentState;
  out[1] = s.dwWin32ExitCode;
  out[2] = s.dwServiceSpecificExitCode;
  out[3] = s.dwProcessId;
  static BYTE buffer[8192];
  QUERY_SERVICE_CONFIGW *config = (QUERY_SERVICE_CONFIGW *)buffer;
  out[4] = QueryServiceConfigW(svc, config, sizeof buffer, &needed) ? config->dwStartType : 0xffffffffu;
  SERVICE_DELAYED_AUTO_START_INFO delayed = {FALSE};
  out[5] = QueryServiceConfig2W(svc, SERVICE_CONFIG_DELAYED_AUTO_START_INFO, (LPBYTE)&delayed, sizeof delayed, &needed)
               ? (DWORD)delayed.fDelayedAutostart
               : service_key_dword(q->name, L"DelayedAutostart", 0xffffffffu);
  SERVICE_FAILURE_ACTIONSW *failure = (SERVICE_FAILURE_ACTIONSW *)buffer;
  out[6] = out[7] = out[8] = out[9] = out[10] = 0xffffffffu;
  if (QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, buffer, sizeof buffer, &needed)) {
    out[6] = failure->dwResetPeriod;
    out[7] = failure->cActions;
    for (DWORD i = 0; i < 3 && i < failure->cActions; i++) out[8 + i] = failure->lpsaActions[i].Type == SC_ACTION_RESTART ? failure->lpsaActions[i].Delay : 0xfffffffeu;
  }
  SERVICE_FAILURE_ACTIONS_FLAG flag = {FALSE};
  out[11] = QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, (LPBYTE)&flag, sizeof flag, &needed)
                ? (DWORD)flag.fFailureActionsOnNonCrashFailures
                : service_key_dword(q->name, L"FailureActionsOnNonCrashFailures", 0xffffffffu);
  return 0;
}

EXPORT DWORD la_delete(LPCWSTR name) { return with_service(name, DELETE, do_delete, NULL); }
EXPORT DWORD la_start(LPCWSTR name) { return with_service(name, SERVICE_START, do_start, NULL); }
EXPORT DWORD la_stop(LPCWSTR name) { return with_service(name, SERVICE_STOP, do_stop, NULL); }
EXPORT DWORD la_query(LPCWSTR name, DWORD *out) {
  struct query q = {name, out};
  return with_service(name, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG, do_query, &q);
}

/* ------------------------------------------------------------------ event log */

#define EVENTLOG_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\"

EXPORT DWORD la_event_source_install(LPCWSTR source, LPCWSTR message_file) {
  WCHAR key[300] = EVENTLOG_KEY;
  HKEY h;
  DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  lstrcatW(key, source);
  LSTATUS error = RegCreateKeyExW(HKEY_LOCAL_MACHINE, key, 0, NULL, 0, KEY_SET_VALUE, NULL, &h, NULL);
  if (error) return (DWORD)error;
  error = RegSetValueExW(h, L"EventMessageFile", 0, REG_EXPAND_SZ, (const BYTE *)message_file, (lstrlenW(message_file) + 1) * sizeof(WCHAR));
  if (!error) error = RegSetValueExW(h, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types, sizeof types);
  RegCloseKey(h);
  return (DWORD)error;
}

EXPORT DWORD la_event_source_uninstall(LPCWSTR source) {
  WCHAR key[300] = EVENTLOG_KEY;
  lstrcatW(key, source);
  return (DWORD)RegDeleteKeyW(HKEY_LOCAL_MACHINE, key);
}

static HANDLE event_source;

/* type: EVENTLOG_ERROR_TYPE 1, EVENTLOG_WARNING_TYPE 2, EVENTLOG_INFORMATION_TYPE 4. */
EXPORT DWORD la_event_report(LPCWSTR source, WORD type, DWORD id, LPCWSTR message) {
  if (!event_source) event_source = RegisterEventSourceW(NULL, source);
  if (!event_source) return GetLastError();
  LPCWSTR strings[1] = {message};
  return ReportEventW(event_source, type, 0, id, NULL, 1, 0, strings, NULL) ? 0 : GetLastError();
}

/* ------------------------------------------------------------------ processes */

/*
 * Whether process `pid` runs, and since when (ms since 1970, in *started_ms): 0 it runs, 1 no such
 * process (or it has exited), 2 Windows will not say (another account's process). For the state_dir
 * lock (src/checkpoint/state-lock.ts): Windows hands a pid out again soon after its process ends,
 * so only a start time before the lock was written shows that the lock's writer still runs.
 */
EXPORT DWORD la_process_started(DWORD pid, double *started_ms) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!h) return GetLastError() == ERROR_INVALID_PARAMETER ? 1 : 2;
  FILETIME created, exited, kernel, user;
  DWORD code = 0, result = 2;
  if (GetExitCodeProcess(h, &code) && code != STILL_ACTIVE) result = 1;
  else if (GetProcessTimes(h, &created, &exited, &kernel, &user)) {
    ULARGE_INTEGER t = {{created.dwLowDateTime, created.dwHighDateTime}};
    *started_ms = (double)(t.QuadPart - 116444736000000000ULL) / 10000.0; /* 100 ns ticks since 1601 */
    result = 0;
  }
  CloseHandle(h);
  return result;
}
