#!/usr/bin/env bash
# The test command. On a fresh machine it installs what the tests need, builds
# the release binaries under test, starts etcd and Kafka on loopback with fresh
# data, runs every test, stops the services (also on failure), and ends with
# `tests: N passed, N failed, N skipped`. Arguments are passed to `bun test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

scripts/ensure-deps.sh
# kcat (librdkafka) reads Kafka back in the compression tests: a second client proves the codecs interoperate.
# systemd-analyze checks the unit `logagent service install` writes on Linux; python3's plistlib reads
# the launchd plist; unzip reads the Windows release archive back; script (bsdutils) gives `collect edit`
# a terminal.
missing=()
command -v kcat >/dev/null || missing+=(kcat)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v python3 >/dev/null || missing+=(python3)
command -v unzip >/dev/null || missing+=(unzip)
command -v script >/dev/null || missing+=(bsdutils)
if ((${#missing[@]})); then
  echo "test: installing ${missing[*]} with apt-get" >&2
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi
# promtool (Prometheus's checker) checks what /metrics serves; taken out of Debian's prometheus
# package into the cache, never installed (that would start a Prometheus server).
PROMTOOL=$(scripts/ensure-promtool.sh)
export PROMTOOL
BUN=$ROOT/node_modules/.bin/bun
# The Windows build is tested under Wine, with the shim DLL Wine 8 lacks; this also installs
# mingw-w64, which the Windows build needs for its embedded helper DLL.
scripts/wine/setup.sh >&2
"$BUN" scripts/build.ts linux-x64 windows-x64 linux-x64-baseline windows-x64-baseline >&2
node_modules/.bin/tsc --noEmit -p . >&2
node_modules/.bin/tsc --noEmit -p bench >&2

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/logagent-services.XXXXXX")
rmdir "$RUN_DIR" # services.sh wants to create it
stop_services() {
  scripts/services.sh stop "$RUN_DIR" >&2 || true
  scripts/wine/server.sh stop >&2 || true
}
trap stop_services EXIT
scripts/services.sh start "$RUN_DIR" >/dev/null
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/services.env"
set +a

REPORT=$ROOT/.run/junit.xml
mkdir -p "$ROOT/.run"
rm -f "$REPORT"
code=0
"$BUN" test --timeout 120000 --reporter=junit --reporter-outfile="$REPORT" "$@" || code=$?
stop_services
trap - EXIT
"$BUN" scripts/junit-summary.ts "$REPORT" "$code"
exit "$code"
