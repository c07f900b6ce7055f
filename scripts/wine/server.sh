#!/usr/bin/env bash
# Start or stop the persistent wineserver for the logagent Wine prefix.
#
#   scripts/wine/server.sh start   # persistent server + booted prefix, all
#                                  # daemon fds on /dev/null (run.sh and
#                                  # setup.sh do this for you)
#   scripts/wine/server.sh stop    # kill the server and every wine process
#                                  # of the prefix; flushes the registry
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$here/lib.sh"
logagent_wine_resolve
[[ -n "$WINE" && -n "$WINESERVER" ]] || { echo "server.sh: wine not installed; run scripts/wine/setup.sh" >&2; exit 1; }
case "${1:-}" in
  start) logagent_wineserver_start ;;
  stop) logagent_wineserver_stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 64 ;;
esac
