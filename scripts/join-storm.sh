#!/usr/bin/env bash
# A join storm against `sfu serve` (docs/benchmarks.md, "The join-storm changes"):
#   sudo bash scripts/join-storm.sh [--subscribers N]... [--runs R]
#
# For each N (default 150 and 300), R times (default 1): a fresh `sfu serve --workers 1` on CPU 0
# and `sfu load --subscribers N --duration 3` on CPU 1 (everyone at once; the publisher's media
# starts as it joins, so subscribers' connections are set up during the storm), in a network namespace of the script's own (10.214.0.1 on a
# veth, deleted on exit). Prints the load tool's join and first-media percentiles and its CPU
# time, and the server's own handling of `join` and `publish` (sum and count of
# sfu_signaling_message_seconds from /metrics): how much of a join's time is the server's.
#
# Environment: SFU_BIN (skip the release build and use this binary).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

SUBSCRIBERS=()
RUNS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) SUBSCRIBERS+=("$2"); shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "join-storm.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#SUBSCRIBERS[@]} -gt 0 ] || SUBSCRIBERS=(150 300)
test_host_require join-storm.sh 2
test_host_release_binary .build-release

ADDR=10.214.0.1
PORT=8080
NS="sfu-joinstorm-$$"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  test_host_down "$NS"
}
trap cleanup EXIT
test_host_up "$NS" "$ADDR"

metrics() { ip netns exec "$NS" python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$PORT/metrics', timeout=5).read().decode())"; }

echo "==> $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $SFU_BIN"
for n in "${SUBSCRIBERS[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    ip netns exec "$NS" taskset -c 0 "$SFU_BIN" serve --dev --host 127.0.0.1 --port "$PORT" --bind "$ADDR" \
      --no-turn --workers 1 --max-participants 10000 --log-level warning >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do metrics >/dev/null 2>&1 && break; sleep 0.1; done
    echo "==> $n subscribers and a publisher joining at once (run $run)"
    ip netns exec "$NS" taskset -c 1 /usr/bin/time -f "  load tool CPU: %U s user, %S s system in %e s" \
      "$SFU_BIN" load --url "ws://127.0.0.1:$PORT/ws" --bind "$ADDR" --workers 1 --subscribers "$n" --duration 3 \
      2>&1 | grep -E "joined|join \(|first media|load tool" || echo "(sfu load failed)"
    metrics | python3 -c "
import re, sys
text = sys.stdin.read()
for kind in ('join', 'publish'):
    total = re.search(r'sfu_signaling_message_seconds_sum\{type=\"%s\"\} (\S+)' % kind, text)
    count = re.search(r'sfu_signaling_message_seconds_count\{type=\"%s\"\} (\S+)' % kind, text)
    if total and count and float(count.group(1)) > 0:
        print(f'  server handling {kind}: {float(total.group(1)):.2f} s over {int(float(count.group(1)))} '
              f'(mean {float(total.group(1)) / float(count.group(1)) * 1000:.1f} ms)')"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done
