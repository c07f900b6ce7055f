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

# Start a persistent wineserver for $WINEPREFIX.  If one is already running
# for this prefix the new one notices (via the lock in its server dir) and
# exits with status 2 at once, so this is cheap and safe to call every time.
# (Debian's build keeps the server socket in a random /tmp/wine-XXXXXX dir,
# so we do not try to find it ourselves.)
# wineserver daemonises itself (fork + setsid, parent returns once the
# socket is ready).  All of its fds go to /dev/null: a server that inherited
# the caller's stdout/stderr pipe would keep `$(...)` or a test runner's pipes
# open until it exits.
logagent_wineserver_start() {
  mkdir -p "$WINEPREFIX"
  "$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
}
