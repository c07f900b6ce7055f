# shellcheck shell=bash
# Shared settings for scripts/wine/setup.sh and scripts/wine/run.sh.
# Sourced, not executed.  Everything can be overridden from the environment.

LOGAGENT_WINE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export WINEPREFIX="${WINEPREFIX:-${HOME:-/root}/.cache/logagent/wine}"
export WINEARCH="${WINEARCH:-win64}"
# -all also silences the "wine32 is missing" hint of Debian's /usr/bin/wine.
export WINEDEBUG="${WINEDEBUG:--all}"
# Empty override = "disabled": no Mono (.NET) / Gecko (IE) install dialogs.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
# Headless: never try to talk to an X/Wayland display.
unset DISPLAY WAYLAND_DISPLAY

# Pick the 64-bit loader directly when we can (Debian/Ubuntu packaging keeps
# it in /usr/lib/wine; /usr/bin/wine is a wrapper that prefers wine32).
logagent_wine_resolve() {
  if [[ -n "${WINE:-}" ]]; then
    :
  elif [[ -x /usr/lib/wine/wine64 ]]; then
    WINE=/usr/lib/wine/wine64
  elif command -v wine64 >/dev/null 2>&1; then
    WINE="$(command -v wine64)"
  elif command -v wine >/dev/null 2>&1; then
    WINE="$(command -v wine)"
  else
    WINE=""
  fi
  export WINE
  if [[ -n "$WINE" ]]; then
    export WINELOADER="${WINELOADER:-$WINE}"
  fi

  # The real server binary: Debian's /usr/bin/wineserver and
  # /usr/lib/wine/wineserver are wrappers that force "-p0" (non-persistent).
  if [[ -n "${WINESERVER:-}" ]]; then
    :
  elif [[ -x /usr/lib/wine/wineserver64 ]]; then
    WINESERVER=/usr/lib/wine/wineserver64
  elif [[ -x /usr/lib/wine/wineserver32 ]]; then
    WINESERVER=/usr/lib/wine/wineserver32
  elif command -v wineserver >/dev/null 2>&1; then
    WINESERVER="$(command -v wineserver)"
  else
    WINESERVER=""
  fi
  export WINESERVER
}

# Start a persistent wineserver for $WINEPREFIX and boot the prefix's system
# processes (services.exe, winedevice.exe, plugplay.exe, rpcss.exe, ...),
# unless a server is already running for this prefix.
#
# Why the boot step: those system processes are started by the *first* wine
# process and inherit its Unix stdout/stderr.  With a persistent server they
# outlive that program, so if its stderr was a pipe (`$(...)`, Bun.spawn,
# child_process with stdio "pipe") the reader never sees EOF and hangs until
# the server is killed.  Starting them here with every fd on /dev/null makes
# later runs safe to pipe.
#
# wineserver daemonises itself (fork + setsid; the parent returns once the
# socket is ready) and exits with status 2 at once if a server already runs
# for the prefix, so this is cheap to call every time.  A lock serialises
# concurrent callers so nobody runs a program before the boot is done.  The
# lock fd is closed for the children, otherwise the daemons would inherit it
# and hold the lock forever.
logagent_wineserver_start() {
  local state="$WINEPREFIX/logagent" rc=0 lock_fd
  mkdir -p "$state"
  exec {lock_fd}>"$state/server.lock"
  if command -v flock >/dev/null 2>&1; then
    flock "$lock_fd"
  fi
  "$WINESERVER" -p </dev/null >/dev/null 2>&1 {lock_fd}>&- || rc=$?
  if [[ $rc == 0 ]]; then
    # We started a fresh server: boot the prefix with no inheritable fds.
    "$WINE" wineboot.exe </dev/null >/dev/null 2>&1 {lock_fd}>&- || true
  fi
  exec {lock_fd}>&-
}

# Stop the server for $WINEPREFIX (and with it every wine process using it).
logagent_wineserver_stop() {
  "$WINESERVER" -k </dev/null >/dev/null 2>&1 || true
  timeout 30 "$WINESERVER" -w </dev/null >/dev/null 2>&1 || true
}
