#!/usr/bin/env bash
# `sfu load` against `sfu serve` on this machine (docs/benchmarks.md, "The SFU under sfu load").
#   sudo bash scripts/load-benchmark.sh [--subscribers N]... [--duration S] [--video-bitrate BPS]
#
# The server runs on CPU 0 with one media worker, the load tool on CPU 1 with one worker, both in
# a network namespace of the script's own (10.213.0.1 on a veth, deleted on exit). For each
# --subscribers value (default 20 and 50): one room, one publisher (Opus + 1.5 Mbit/s synthetic
# video at 30 fps), N subscribers joining at once, --duration seconds (default 15). Reported per
# run: the load tool's summary (joins, first media, end-to-end latency, loss), and the server's
# worker CPU per forwarded packet and forwarding latency percentiles (from /stats), and the whole
# process's CPU time (utime + stime from /proc, clock ticks).
#
# Environment: SFU_BIN (skip the release build and use this binary).
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS=()
DURATION=15
BITRATE=1500000
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) SUBSCRIBERS+=("$2"); shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --video-bitrate) BITRATE="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "load-benchmark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#SUBSCRIBERS[@]} -gt 0 ] || SUBSCRIBERS=(20 50)
[ "$(id -u)" -eq 0 ] || { echo "load-benchmark.sh: must run as root (network namespace)" >&2; exit 1; }
[ "$(nproc --all)" -ge 2 ] || { echo "load-benchmark.sh: needs 2 CPUs" >&2; exit 1; }

if [ -z "${SFU_BIN:-}" ]; then
  swift build -c release --scratch-path .build-release --product sfu
  SFU_BIN="$(swift build -c release --scratch-path .build-release --show-bin-path)/sfu"
fi

ADDR=10.213.0.1
PORT=8080
NS="sfu-loadbench-$$"
TICKS="$(getconf CLK_TCK)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$NS"
ip netns exec "$NS" sh -c "ip link set lo up && ip link add v0 type veth peer name v1 &&
  ip addr add $ADDR/24 dev v0 && ip link set v0 up && ip link set v1 up"

stats() {
  ip netns exec "$NS" python3 -c "
import json, urllib.request
print(json.dumps(json.loads(urllib.request.urlopen('http://127.0.0.1:$PORT/stats', timeout=5).read())['workers'][0]))"
}

echo "==> $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${SUBSCRIBERS[@]}"; do
  ip netns exec "$NS" taskset -c 0 "$SFU_BIN" serve --dev --host 127.0.0.1 --port "$PORT" --bind "$ADDR" \
    --no-turn --workers 1 --log-level warning >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do stats >/dev/null 2>&1 && break; sleep 0.1; done
  before="$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")"
  echo "==> $n subscribers of one 1.5 Mbit/s publisher, $DURATION s"
  ip netns exec "$NS" taskset -c 1 "$SFU_BIN" load --url "ws://127.0.0.1:$PORT/ws" --bind "$ADDR" --workers 1 \
    --subscribers "$n" --duration "$DURATION" --video-bitrate "$BITRATE" || echo "(sfu load exited $?)"
  after="$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")"
  stats | python3 -c "
import json, sys
w = json.load(sys.stdin)
forwarded = max(1, w['packetsForwarded'])
cpu = ($after - $before) / $TICKS
print(f\"  server: {w['packetsForwarded']} packets forwarded; media worker {w['cpuSeconds'] / forwarded * 1e6:.2f} us CPU per packet, \"
      f\"whole process {cpu / forwarded * 1e6:.2f} us ({cpu:.2f} CPU s); forwarding latency p50/p95/p99 upper bounds \"
      f\"{w['forwardingLatencyP50Microseconds']}/{w['forwardingLatencyP95Microseconds']}/{w['forwardingLatencyP99Microseconds']} us\")"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
