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

step "swift test (inside a test-host network namespace)"
# The transport tests open real ICE/DTLS/SRTP sessions: like every test with media sockets they
# run in a namespace of their own (loopback plus an inside-only veth pair), so that nothing they
# gather or send can reach the machine's external interfaces.
NS="sfu-swifttest-$$"
ip netns add "$NS"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
ip netns exec "$NS" sh -c 'ip link set lo up && ip link add v0 type veth peer name v1 &&
  ip addr add 10.213.0.1/24 dev v0 && ip -6 addr add fd00:213::1/64 dev v0 nodad && ip link set v0 up && ip link set v1 up &&
  ip route add default via 10.213.0.2 dev v0'
timeout 900 ip netns exec "$NS" swift test
ip netns del "$NS"
trap - EXIT

step "benchmark: the per-packet path allocates nothing (docs/benchmarks.md)"
# Release build of Benchmarks/ (its own .build), one run, fails if any packet-path benchmark
# makes a heap allocation in any iteration.
timeout 1200 bash scripts/benchmark.sh

step "interop tests (pytest Tests/Interop)"
export SFU_BIN="${SFU_BIN:-$BIN_PATH/sfu}"
export PYTHONDONTWRITEBYTECODE=1
timeout 2100 python3 -m pytest -q -p no:cacheprovider --durations=15 Tests/Interop
