#!/usr/bin/env bash
# Prints the path of a `promtool` (the Prometheus checker the metrics tests run), fetching it once
# into the cache. It comes out of Debian's `prometheus` package with `apt-get download` and
# `dpkg -x`: the package is never installed, because installing it would start a Prometheus server.
# Idempotent: a promtool already in the cache (or $PROMTOOL, when set and executable) is used as is.
set -euo pipefail
if [[ -n "${PROMTOOL:-}" && -x "$PROMTOOL" ]]; then
  echo "$PROMTOOL"
  exit 0
fi
DIR=${LOGAGENT_CACHE:-$HOME/.cache/logagent}/promtool
TOOL=$DIR/root/usr/bin/promtool
if [[ ! -x $TOOL ]]; then
  echo "promtool: fetching Debian's prometheus package into $DIR (not installed)" >&2
  work=$(mktemp -d "${TMPDIR:-/tmp}/promtool.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  chown _apt "$work" 2>/dev/null || chmod 777 "$work" # apt downloads as the _apt user when it can
  # apt-get download needs the package lists; update them only when the package is not known yet.
  (cd "$work" && apt-get download -q prometheus >&2) || {
    apt-get update -q >&2
    (cd "$work" && apt-get download -q prometheus >&2)
  }
  mkdir -p "$DIR"
  rm -rf "$DIR/root.tmp"
  dpkg -x "$work"/prometheus_*.deb "$DIR/root.tmp"
  rm -rf "$DIR/root"
  mv "$DIR/root.tmp" "$DIR/root" # whole or not at all: an interrupted fetch is done again
fi
"$TOOL" --version >/dev/null 2>&1 || { echo "promtool: $TOOL does not run" >&2; exit 1; }
echo "$TOOL"
