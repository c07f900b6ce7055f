#!/usr/bin/env bash
# Run a Windows executable under the logagent Wine prefix.
#
#   scripts/wine/run.sh /abs/path/logagent.exe --version
#
# - Uses $WINEPREFIX (default ~/.cache/logagent/wine), WINEDEBUG=-all,
#   WINEDLLOVERRIDES=mscoree,mshtml= and no DISPLAY (see lib.sh).
# - Runs scripts/wine/setup.sh first if the prefix has not been set up yet
#   (its output goes to stderr).
# - Keeps a persistent `wineserver -p` running so later runs skip the
#   server/prefix start-up cost; stop it with
#   `WINEPREFIX=... /usr/lib/wine/wineserver64 -k`.
# - stdin/stdout/stderr are the caller's own (the script execs wine) and the
#   program's exit code is returned unchanged (mod 256, as for any Unix
#   process: an NTSTATUS such as 0xC0000005 arrives as 5).
#
# Arguments are passed through untouched.  Give the program absolute Unix
# paths (/tmp/x.log); Wine maps them through drive Z:.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 EXE [ARGS...]" >&2
  exit 64
fi

exe="$1"
shift
[[ -f "$exe" ]] || { echo "run.sh: no such file: $exe" >&2; exit 66; }
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

logagent_wine_resolve
if [[ -z "$WINE" || ! -f "$WINEPREFIX/logagent/smoke.stamp" ||
      ! -f "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" ]]; then
  echo "run.sh: wine prefix $WINEPREFIX not ready, running setup.sh" >&2
  "$here/setup.sh" >/dev/null
  unset WINE WINELOADER WINESERVER
  logagent_wine_resolve
fi

logagent_wineserver_start

exec "$WINE" "$exe" "$@"
