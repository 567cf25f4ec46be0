#!/usr/bin/env bash
# What UDP generic segmentation offload saves a datagram on this machine's loopback
# (docs/benchmarks.md, "Held sends"): scripts/udp-segmentation.c on CPU 0 in a network namespace
# of its own, for trains of 1 to 4 datagrams of 1 144 bytes (a 1 128-byte forwarded video packet
# with its SRTP tag), 200 000 datagrams each way, --runs times (default 3).
#   sudo bash scripts/udp-segmentation.sh [--runs R] [--size BYTES]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

RUNS=3
SIZE=1144
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --size) SIZE="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "udp-segmentation.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
test_host_require udp-segmentation.sh 1
WORK_DIR="$(mktemp -d /tmp/udp-segmentation.XXXXXX)"
NS="sfu-gso-$$"
cleanup() {
  test_host_down "$NS"
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT
cc -O2 -Wall -I Sources/CDatagram/include -o "$WORK_DIR/udp-segmentation" scripts/udp-segmentation.c Sources/CDatagram/CDatagram.c
test_host_up "$NS" 10.216.0.1
echo "==> $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
for run in $(seq 1 "$RUNS"); do
  for train in 1 2 3 4; do
    ip netns exec "$NS" taskset -c 0 "$WORK_DIR/udp-segmentation" "$train" "$SIZE" 200000
  done
done
