#!/usr/bin/env bash
# THE test command: installs what is missing, builds, runs all tests.
#   sudo bash scripts/test.sh
# Steps: install-deps, `swift build` (debug), `swift test`, then the Python interop suite
# (Tests/Interop, real peers talking to `sfu probe` inside network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: must run as root (network namespaces, apt): sudo bash scripts/test.sh" >&2
  exit 1
fi

step() { echo; echo "==> $*"; }

step "install dependencies"
timeout 900 bash scripts/install-deps.sh

step "swift build"
timeout 1200 swift build
BIN_PATH="$(swift build --show-bin-path)"

step "swift test"
timeout 900 swift test

step "interop tests (pytest Tests/Interop)"
export SFU_BIN="${SFU_BIN:-$BIN_PATH/sfu}"
export PYTHONDONTWRITEBYTECODE=1
timeout 900 python3 -m pytest -q -p no:cacheprovider Tests/Interop
