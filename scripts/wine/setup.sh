#!/usr/bin/env bash
# Prepare a headless 64-bit Wine prefix that can run Bun-compiled
# windows-x64 executables (e.g. dist/logagent-windows-x64.exe).
#
#   scripts/wine/setup.sh                 # set up, print export lines on stdout
#   eval "$(scripts/wine/setup.sh)"       # ... and load them into this shell
#   . "$WINEPREFIX/logagent/env.sh"       # same lines, written to a file
#   scripts/wine/run.sh /abs/path/logagent.exe --version
#
# Idempotent and non-interactive; safe with CI=true and no display.  A second
# run only checks stamps (plus a no-op `wineserver -p` if the server is up).
#
# Steps:
#   1. apt-get install wine wine64 mingw-w64   (only if wine or
#      x86_64-w64-mingw32-gcc is missing; uses sudo when not root)
#   2. create/initialise $WINEPREFIX (default ~/.cache/logagent/wine) with
#      `wineboot -i`, Mono/Gecko dialogs suppressed, DISPLAY unset
#   3. build bcryptprimitives.c into bcryptprimitives.dll (ProcessPrng shim,
#      missing from Wine < 9) and install it into the prefix's system32
#   4. start a persistent wineserver for the prefix with all daemon fds on
#      /dev/null (see lib.sh for why); LOGAGENT_WINE_START_SERVER=0 stops it
#      again at the end
#   5. smoke-test the shim under wine (LoadLibrary + ProcessPrng)
#   6. write $WINEPREFIX/logagent/env.sh, print the same export lines on
#      stdout (and append KEY=VALUE lines to $GITHUB_ENV if that is set)
#
# Only the export lines go to stdout; progress goes to stderr, wine's own
# chatter to $WINEPREFIX/logagent/*.log.
#
# Environment knobs: WINEPREFIX, WINE (loader path), WINESERVER, MINGW_CC,
# LOGAGENT_WINE_FORCE=1 (re-run every step), LOGAGENT_WINE_NO_INSTALL=1
# (never call apt-get; fail instead), LOGAGENT_WINE_START_SERVER=0,
# LOGAGENT_WINE_APT_PACKAGES (default "wine wine64 mingw-w64"; a leaner,
# untested choice is "wine64 gcc-mingw-w64-x86-64-win32").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

log() { printf '[wine-setup] %s\n' "$*" >&2; }
die() { printf '[wine-setup] ERROR: %s\n' "$*" >&2; exit 1; }

force="${LOGAGENT_WINE_FORCE:-0}"
MINGW_CC="${MINGW_CC:-x86_64-w64-mingw32-gcc}"

# --------------------------------------------------------------------------
# 1. packages
# --------------------------------------------------------------------------
logagent_wine_resolve
if [[ -z "$WINE" ]] || ! command -v "$MINGW_CC" >/dev/null 2>&1; then
  [[ "${LOGAGENT_WINE_NO_INSTALL:-0}" != 1 ]] ||
    die "wine and/or $MINGW_CC missing and LOGAGENT_WINE_NO_INSTALL=1"
  command -v apt-get >/dev/null 2>&1 ||
    die "wine and/or $MINGW_CC missing and apt-get not available; install them by hand"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root or sudo to apt-get install"
    sudo=(sudo -n)
  fi
  read -r -a pkgs <<<"${LOGAGENT_WINE_APT_PACKAGES:-wine wine64 mingw-w64}"
  log "installing ${pkgs[*]} via apt-get (~420 MB download, takes a few minutes)"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for (instead of failing on) a concurrent apt/dpkg, e.g. unattended-upgrades.
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -q "${pkgs[@]}" >&2
  hash -r
  unset WINE WINELOADER WINESERVER
  logagent_wine_resolve
  [[ -n "$WINE" ]] || die "wine still not found after apt-get install"
  command -v "$MINGW_CC" >/dev/null 2>&1 || die "$MINGW_CC still not found after apt-get install"
fi
[[ -n "$WINESERVER" ]] || die "wineserver not found"

wine_version="$("$WINE" --version 2>/dev/null || true)"
[[ -n "$wine_version" ]] || die "'$WINE --version' failed"
log "using $WINE ($wine_version), prefix $WINEPREFIX"

state="$WINEPREFIX/logagent"      # our stamps, logs, env file, built DLL
sys32="$WINEPREFIX/drive_c/windows/system32"

# --------------------------------------------------------------------------
# 2. prefix
# --------------------------------------------------------------------------
prefix_stamp="$state/prefix.stamp"
want_prefix_stamp="$wine_version $WINEARCH"

if [[ -f "$WINEPREFIX/system.reg" ]] && ! grep -q '^#arch=win64' "$WINEPREFIX/system.reg"; then
  die "$WINEPREFIX exists but is not a 64-bit prefix; remove it or pick another WINEPREFIX"
fi

if [[ "$force" == 1 || ! -f "$WINEPREFIX/system.reg" || ! -d "$sys32" ||
      "$(cat "$prefix_stamp" 2>/dev/null || true)" != "$want_prefix_stamp" ]]; then
  mkdir -p "$WINEPREFIX" "$state"
  # A server left over for this prefix (e.g. a persistent one from run.sh)
  # would make the `wineserver -w` below wait forever.
  "$WINESERVER" -k </dev/null >/dev/null 2>&1 || true
  if [[ -f "$WINEPREFIX/system.reg" ]]; then
    log "updating existing prefix (wineboot -u)"
    boot_flag=-u
  else
    log "initialising new prefix (wineboot -i)"
    boot_flag=-i
  fi
  # wineboot returns once the prefix is populated; its auto-started server
  # and services would linger ~5 s more.  Killing the server now flushes the
  # registry to disk (same content as waiting) and saves that time.
  if ! "$WINE" wineboot.exe "$boot_flag" </dev/null >"$state/wineboot.log" 2>&1; then
    tail -n 30 "$state/wineboot.log" >&2 || true
    die "wineboot $boot_flag failed (log: $state/wineboot.log)"
  fi
  logagent_wineserver_stop
  [[ -f "$WINEPREFIX/system.reg" && -d "$sys32" ]] ||
    die "wineboot did not create $WINEPREFIX/system.reg / $sys32 (log: $state/wineboot.log)"
  printf '%s\n' "$want_prefix_stamp" >"$prefix_stamp"
  rm -f "$state/smoke.stamp"
else
  log "prefix already initialised ($want_prefix_stamp)"
fi

# --------------------------------------------------------------------------
# 3. bcryptprimitives.dll shim
# --------------------------------------------------------------------------
src="$here/bcryptprimitives.c"
def="$here/bcryptprimitives.def"
dll="$sys32/bcryptprimitives.dll"
dll_stamp="$state/bcryptprimitives.stamp"
cflags=(-O2 -Wall -shared -s -Wl,--no-insert-timestamp)
want_dll_stamp="$(
  {
    cat "$src" "$def"
    printf '%s\n' "${cflags[*]}"
    "$MINGW_CC" --version 2>/dev/null | head -n 1
  } | sha256sum | cut -d' ' -f1
)"
if [[ "$force" == 1 || ! -f "$dll" || ! -f "$state/bcryptprimitives.dll" ||
      "$(cat "$dll_stamp" 2>/dev/null || true)" != "$want_dll_stamp" ]] ||
   ! cmp -s "$dll" "$state/bcryptprimitives.dll"; then
  log "building bcryptprimitives.dll shim"
  mkdir -p "$state"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  "$MINGW_CC" "${cflags[@]}" -o "$tmp/bcryptprimitives.dll" "$src" "$def" -ladvapi32 >&2
  install -m 0644 "$tmp/bcryptprimitives.dll" "$state/bcryptprimitives.dll"
  install -m 0644 "$tmp/bcryptprimitives.dll" "$dll"
  printf '%s\n' "$want_dll_stamp" >"$dll_stamp"
  rm -f "$state/smoke.stamp"
  log "installed $dll"
else
  log "bcryptprimitives.dll shim up to date"
fi

# --------------------------------------------------------------------------
# 4. persistent server, booted with all fds on /dev/null (see lib.sh), so
#    that even a plain `wine prog.exe` with piped stdout/stderr cannot leave
#    wine's system processes holding the caller's pipes open.
# --------------------------------------------------------------------------
logagent_wineserver_start

# --------------------------------------------------------------------------
# 5. smoke test: load the shim from system32 under wine and call ProcessPrng
# --------------------------------------------------------------------------
smoke_stamp="$state/smoke.stamp"
want_smoke_stamp="$want_prefix_stamp $want_dll_stamp"
if [[ "$force" == 1 || "$(cat "$smoke_stamp" 2>/dev/null || true)" != "$want_smoke_stamp" ]]; then
  log "smoke-testing ProcessPrng under wine"
  tmp="${tmp:-$(mktemp -d)}"
  trap 'rm -rf "$tmp"' EXIT
  cat >"$tmp/prngtest.c" <<'EOF'
#include <windows.h>
#include <stdio.h>
typedef BOOL (WINAPI *prng_fn)(PBYTE, SIZE_T);
int main(void) {
    unsigned char a[32] = {0}, b[32] = {0};
    HMODULE m = LoadLibraryA("bcryptprimitives.dll");
    if (!m) { printf("LoadLibrary failed: %lu\n", GetLastError()); return 3; }
    prng_fn f = (prng_fn)GetProcAddress(m, "ProcessPrng");
    if (!f) { printf("GetProcAddress failed\n"); return 4; }
    if (!f(a, sizeof a) || !f(b, sizeof b)) { printf("ProcessPrng failed\n"); return 5; }
    if (!memcmp(a, b, sizeof a)) { printf("ProcessPrng not random\n"); return 6; }
    printf("ProcessPrng ok\n");
    return 0;
}
EOF
  "$MINGW_CC" -O2 -o "$tmp/prngtest.exe" "$tmp/prngtest.c" >&2
  set +e
  "$WINE" "$tmp/prngtest.exe" </dev/null >"$state/smoke.log" 2>&1
  rc=$?
  set -e
  if [[ $rc != 0 ]] || ! grep -q 'ProcessPrng ok' "$state/smoke.log"; then
    cat "$state/smoke.log" >&2 || true
    die "smoke test failed (exit $rc, log: $state/smoke.log)"
  fi
  printf '%s\n' "$want_smoke_stamp" >"$smoke_stamp"
else
  log "smoke test already passed"
fi

# --------------------------------------------------------------------------
# 6. environment for callers
# --------------------------------------------------------------------------
# Single-quote for POSIX sh (works for `eval`, `.`, and `source`).
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
env_lines="export WINEPREFIX=$(q "$WINEPREFIX")
export WINEARCH=$(q "$WINEARCH")
export WINEDEBUG=$(q "$WINEDEBUG")
export WINEDLLOVERRIDES=$(q "$WINEDLLOVERRIDES")
export WINE=$(q "$WINE")
export WINELOADER=$(q "$WINELOADER")
export WINESERVER=$(q "$WINESERVER")
unset DISPLAY WAYLAND_DISPLAY"
env_file="$state/env.sh"
new_env="# generated by scripts/wine/setup.sh
$env_lines"
if [[ "$(cat "$env_file" 2>/dev/null || true)" != "$new_env" ]]; then
  printf '%s\n' "$new_env" >"$env_file"
fi
if [[ -n "${GITHUB_ENV:-}" ]]; then
  {
    printf 'WINEPREFIX=%s\n' "$WINEPREFIX"
    printf 'WINEARCH=%s\n' "$WINEARCH"
    printf 'WINEDEBUG=%s\n' "$WINEDEBUG"
    printf 'WINEDLLOVERRIDES=%s\n' "$WINEDLLOVERRIDES"
    printf 'WINE=%s\n' "$WINE"
    printf 'WINELOADER=%s\n' "$WINELOADER"
    printf 'WINESERVER=%s\n' "$WINESERVER"
  } >>"$GITHUB_ENV"
fi
if [[ "${LOGAGENT_WINE_START_SERVER:-1}" == 1 ]]; then
  log "persistent wineserver running (stop: scripts/wine/server.sh stop)"
else
  logagent_wineserver_stop
fi
log "ready; env file: $env_file"
printf '%s\n' "$env_lines"
