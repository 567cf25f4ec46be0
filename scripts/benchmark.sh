#!/usr/bin/env bash
# Per-packet path benchmarks (Benchmarks/, ordo-one/benchmark; see docs/benchmarks.md).
#   bash scripts/benchmark.sh [--ceilings] [benchmark options, e.g. --filter 'Forward.*']
# (--filter and --skip are regular expressions that must match a whole benchmark name.)
# Builds the benchmarks in release mode in Benchmarks/.build (never the root .build), runs each
# once into the baseline "current" (Benchmarks/.benchmarkBaselines, git-ignored), prints the
# table per packet, then checks allocations two ways:
#   1. `swift package benchmark thresholds check current`: the p90 of every benchmark's
#      mallocCountTotal and memoryLeakedBytes against Benchmarks/Thresholds/*.p90.json (all 0);
#   2. every sample: the largest mallocCountTotal of any iteration (p100) must be 0, which also
#      catches an allocation in fewer than 10% of the iterations; printed with a summary per
#      packet (p50 wall clock, thread CPU time and mallocs, unrounded).
# --ceilings also builds and runs the C programs of shared/tools/limits (set LIMITS_DIR if it is
# not at ../shared/tools/limits), to read the figures against this machine's ceilings.
# Exit status: 0 when no benchmark allocates, 1 otherwise or when the run fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/Benchmarks"

CEILINGS=0
if [ "${1:-}" = "--ceilings" ]; then
  CEILINGS=1
  shift
fi

for lib in libsrtp2 nice openssl; do
  pkg-config --exists "$lib" || {
    echo "benchmark.sh: pkg-config cannot find $lib (run scripts/install-deps.sh as root)" >&2
    exit 1
  }
done

step() { echo; echo "==> $*"; }

step "run (release build; 1000 packets per iteration)"
# A stale "current" must not stand in for a run whose --filter matched nothing.
rm -rf .benchmarkBaselines/*/current
swift package --allow-writing-to-package-directory benchmark baseline update current --no-progress "$@"

step "per packet (p50 is the figure to quote; * = divided by the 1000 packets of an iteration)"
swift package benchmark baseline read current --no-progress "$@"

failed=0

step "thresholds check (p90 against Thresholds/*.p90.json)"
if swift package benchmark thresholds check current --no-progress "$@"; then
  echo "thresholds: ok"
else
  echo "thresholds: FAILED (exit $?)"
  failed=1
fi

step "summary per packet, and allocations in every iteration"
# `--scale` prints each iteration's own figures (1000 packets), unrounded; divided here.
raw="$(swift package benchmark baseline read current --no-progress --scale "$@")"
report="$(printf '%s\n' "$raw" | awk -F'│' '
  function value(field) { gsub(/ /, "", field); return field + 0 }
  /^[A-Za-z]/ { name = $0 }
  $2 ~ /^ Time \(wall clock\)/ { wall[name] = value($5) / 1000 }
  $2 ~ /^ Time \(thread CPU\)/ { cpu[name] = value($5) / 1000 }
  $2 ~ /^ Malloc \(total\)/ {
    order[++n] = name; mallocs[name] = value($5) / 1000; most[name] = value($9)
  }
  END {
    if (n == 0) exit
    printf "%-34s %12s %12s %14s %18s\n", "benchmark", "wall ns p50", "CPU ns p50", "mallocs p50", "max per 1000 pkts"
    for (i = 1; i <= n; i++) {
      b = order[i]
      printf "%-34s %12.1f %12.1f %14.3f %18d  %s\n", b, wall[b], cpu[b], mallocs[b], most[b], (most[b] == 0 ? "ok" : "ALLOCATES")
    }
  }')"
if [ -z "$report" ]; then
  echo "no Malloc (total) rows found: was the malloc interposer built in?"
  failed=1
else
  printf '%s\n' "$report"
  if printf '%s\n' "$report" | grep -q "ALLOCATES"; then failed=1; fi
fi

if [ "$CEILINGS" -eq 1 ]; then
  LIMITS_DIR="${LIMITS_DIR:-$ROOT/../shared/tools/limits}"
  step "C ceilings from $LIMITS_DIR"
  if [ -f "$LIMITS_DIR/srtp_protect.c" ] && [ -f "$LIMITS_DIR/udp_send.c" ]; then
    out="$(mktemp -d)"
    gcc -O2 -o "$out/srtp_protect" "$LIMITS_DIR/srtp_protect.c" $(pkg-config --cflags --libs libsrtp2)
    gcc -O2 -o "$out/udp_send" "$LIMITS_DIR/udp_send.c"
    "$out/srtp_protect"
    "$out/udp_send" 1
    "$out/udp_send" 32
    rm -rf "$out"
  else
    echo "not found; skipped"
  fi
fi

echo
if [ "$failed" -ne 0 ]; then
  echo "benchmark.sh: FAILED: a per-packet benchmark allocates (threshold: 0 mallocs per packet)"
  exit 1
fi
echo "benchmark.sh: ok: no per-packet benchmark allocates"
