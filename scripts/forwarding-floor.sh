#!/usr/bin/env bash
# The forwarding-latency floor of this machine (docs/benchmarks.md, "The floor: a bare
# forwarder"): scripts/forwarding-floor.c's fan-out on CPU 0, fed by its generator on CPU 1 with
# the arrival pattern of `sfu load --scenario rooms` (one publisher a room, 1.5 Mbit/s paced video
# and Opus-sized audio), in a network namespace of the script's own (the forwarder and generator
# use its loopback).
#   sudo bash scripts/forwarding-floor.sh [--rooms M] [--copies K] [--work-ns W] [--duration S] [--runs R]
#                                         [--replay ARRIVALS]
# Defaults: 25 rooms of 9 copies (the shape of --rooms 25x10), 5000 ns of busy work a copy in
# place of a real SFU's SRTP and rewrite (tune it until the forwarder's share of its core is the
# load to compare at), 13 s (3 s warm-up), 1 run. First, the machine's stalls (scripts/cpu-stall.c).
# --replay sends a captured arrival pattern instead of the generator's own (a file of
# "OFFSET_NS PUBLISHER SIZE" lines, as scripts/capture-arrivals.sh writes from a run of ours).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

ROOMS=25
COPIES=9
WORK=5000
DURATION=13
RUNS=1
REPLAY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rooms) ROOMS="$2"; shift 2 ;;
    --copies) COPIES="$2"; shift 2 ;;
    --work-ns) WORK="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --replay) REPLAY="$(realpath "$2")"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "forwarding-floor.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
test_host_require forwarding-floor.sh 2

WORK_DIR="$(mktemp -d /tmp/forwarding-floor.XXXXXX)"
NS="sfu-floor-$$"
cleanup() {
  wait 2>/dev/null || true
  test_host_down "$NS"
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
cc -O2 -Wall -o "$WORK_DIR/forwarding-floor" scripts/forwarding-floor.c
test_host_up "$NS" 10.215.0.1

echo "==> $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); $ROOMS rooms x $COPIES copies, $WORK ns of work a copy"
for run in $(seq 1 "$RUNS"); do
  echo "==> run $run: $(test_host_stalls "$WORK_DIR")"
  ip netns exec "$NS" taskset -c 0 "$WORK_DIR/forwarding-floor" forward "$ROOMS" "$COPIES" "$WORK" "$DURATION" &
  forwarder=$!
  sleep 0.3
  if [ -n "$REPLAY" ]; then
    ip netns exec "$NS" taskset -c 1 "$WORK_DIR/forwarding-floor" replay "$REPLAY" "$ROOMS" "$COPIES" "$((DURATION - 1))"
  else
    ip netns exec "$NS" taskset -c 1 "$WORK_DIR/forwarding-floor" generate "$ROOMS" "$COPIES" "$((DURATION - 1))"
  fi
  wait "$forwarder"
done
