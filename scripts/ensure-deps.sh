#!/usr/bin/env bash
# Installs the npm packages (Bun itself comes from npm as the `bun` package) when
# node_modules is missing or older than the lockfile. Needs only Node and npm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -x node_modules/.bin/bun || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "deps: npm ci" >&2
  npm ci --no-audit --no-fund >&2
fi
