#!/usr/bin/env bash
# `sfu load` against `sfu serve` and against Janus (VideoRoom, Benchmarks/Janus) on this machine
# (docs/benchmarks.md, "The SFU under sfu load").
#   sudo bash scripts/load-benchmark.sh [--subscribers N]... [--duration S] [--video-bitrate BPS]
#                                       [--rooms MxK]... [--server sfu|janus]... [--steady-after S]
#                                       [--worker-fifo PRIORITY] [--publishers-fifo PRIORITY]
#                                       [--capture-arrivals DIR [--floor-work-ns NS]]
#
# The server (ours with one media worker, or Janus) runs on CPU 0, the load tool on CPU 1 with one
# worker, both in a network namespace of the script's own (10.213.0.1 on a veth, deleted on exit).
# For each --subscribers value (default 20 and 50): one room, one publisher (Opus + 1.5 Mbit/s
# synthetic video at 30 fps), N subscribers joining at once, --duration seconds (default 15).
# --rooms MxK runs M rooms of K participants (one publisher and K-1 subscribers each) instead: the
# shape of many classes on one worker. Reported per run: the load tool's summary (joins, first
# media, end-to-end latency, loss) and its share of its core; the server process's CPU time
# (utime + stime from /proc) per packet the subscribers received, its share of its core, and its
# resident memory before and after; for ours also the media worker's CPU per forwarded packet, the
# forwarding latency and receive wait percentiles over the whole run (/stats) and in the steady
# state, from --steady-after seconds (default 5, after the join storm) to the end (the difference
# of two /metrics scrapes). Every run is a join storm (all subscribers join at once), so its join
# p95 is the storm's. --worker-fifo gives our media worker thread SCHED_FIFO at PRIORITY (chrt, by
# its name media-worker-0) once the server is up, as docs/operations.md describes. First, the
# machine's own stalls on CPU 0 (scripts/cpu-stall.c), the floor under every latency tail here.
# --publishers-fifo runs the load tool with two workers on its one core, publishers on
# media-worker-0 at SCHED_FIFO PRIORITY and subscribers on media-worker-1
# (`sfu load --publishers-apart`): the publishers send on time, as independent browsers would,
# however busy the subscribers are.
# --capture-arrivals captures 5 s of our server's steady state on the test host's loopback
# (dumpcap) and writes the publishers' media datagrams as they arrived to DIR/arrivals-N.txt
# (scripts/lib/arrivals.py: their times, publishers and sizes), with how grouped they came; with
# --floor-work-ns, scripts/forwarding-floor.sh then replays that file through the bare forwarder
# with NS of busy work a copy: the floor under the same traffic, for the run just made.
# Janus: `janus` from Debian (apt-get install janus), run with the configuration in
# Benchmarks/Janus.
#
# Environment: SFU_BIN (skip the release build and use this binary).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

SUBSCRIBERS=()
SERVERS=()
DURATION=15
STEADY=5
FIFO=""
PUBLISHERS_FIFO=""
CAPTURE=""
FLOOR_WORK=""
BITRATE=1500000
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) SUBSCRIBERS+=("$2"); shift 2 ;;
    --rooms) SUBSCRIBERS+=("$2"); shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --steady-after) STEADY="$2"; shift 2 ;;
    --worker-fifo) FIFO="$2"; shift 2 ;;
    --publishers-fifo) PUBLISHERS_FIFO="$2"; shift 2 ;;
    --capture-arrivals) CAPTURE="$2"; shift 2 ;;
    --floor-work-ns) FLOOR_WORK="$2"; shift 2 ;;
    --video-bitrate) BITRATE="$2"; shift 2 ;;
    --server) SERVERS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "load-benchmark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#SUBSCRIBERS[@]} -gt 0 ] || SUBSCRIBERS=(20 50)
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(sfu janus)
if [ -n "$FLOOR_WORK" ] && [ -z "$CAPTURE" ]; then echo "load-benchmark.sh: --floor-work-ns needs --capture-arrivals" >&2; exit 2; fi
if [ -n "$CAPTURE" ]; then
  command -v dumpcap >/dev/null && command -v tshark >/dev/null || { echo "load-benchmark.sh: --capture-arrivals needs dumpcap and tshark (apt-get install tshark)" >&2; exit 1; }
  mkdir -p "$CAPTURE"
fi
test_host_require load-benchmark.sh 2
test_host_release_binary .build-release

ADDR=10.213.0.1
PORT=8080
NS="sfu-loadbench-$$"
TICKS="$(getconf CLK_TCK)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  test_host_down "$NS"
}
trap cleanup EXIT
test_host_up "$NS" "$ADDR"

# fifo_worker PID PRIORITY WHAT: SCHED_FIFO at PRIORITY for PID's thread media-worker-0 (chrt, by
# the thread's name), waiting up to a second for the thread to exist.
fifo_worker() {
  local tid=""
  for _ in $(seq 1 50); do
    tid="$(ps -L -o tid=,comm= -p "$1" | awk '$2 == "media-worker-0" {print $1}')"
    [ -z "$tid" ] || break
    sleep 0.02
  done
  [ -n "$tid" ] || { echo "load-benchmark.sh: no media-worker-0 thread in $3 ($1)" >&2; exit 1; }
  chrt -f -p "$2" "$tid"
  echo "==> $3: media-worker-0 (thread $tid) at SCHED_FIFO $2"
}

# GET of the server's /stats or /metrics (dev mode: no token), from inside the namespace.
get() {
  ip netns exec "$NS" python3 -c "
import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())" "http://127.0.0.1:$PORT$1"
}

echo "==> $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
WORK="$(mktemp -d /tmp/load-benchmark.XXXXXX)"
if command -v cc >/dev/null; then echo "==> $(test_host_stalls "$WORK")"; fi
for n in "${SUBSCRIBERS[@]}"; do
  for server in "${SERVERS[@]}"; do
    if [ "$server" = sfu ]; then
      ip netns exec "$NS" taskset -c 0 "$SFU_BIN" serve --dev --host 127.0.0.1 --port "$PORT" --bind "$ADDR" \
        --no-turn --workers 1 --max-participants 10000 --log-level warning >"$WORK/sfu.log" 2>&1 &
      SERVER_PID=$!
      for _ in $(seq 1 100); do get /stats >/dev/null 2>&1 && break; sleep 0.1; done
      url="ws://127.0.0.1:$PORT/ws"
      if [ -n "$FIFO" ]; then fifo_worker "$SERVER_PID" "$FIFO" "the server"; fi
    else
      ip netns exec "$NS" taskset -c 0 janus --configs-folder Benchmarks/Janus -i "$ADDR" >"$WORK/janus.log" 2>&1 &
      SERVER_PID=$!
      for _ in $(seq 1 100); do ip netns exec "$NS" ss -tln "sport = :8188" | grep -q 8188 && break; sleep 0.1; done
      url="ws://127.0.0.1:8188"
    fi
    before="$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")"
    rss_before="$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
    if [[ "$n" == *x* ]]; then
      echo "==> $server: ${n%x*} rooms of ${n#*x} participants (one publisher each), $DURATION s"
      scenario=(--scenario rooms --rooms "${n%x*}" --participants "${n#*x}")
    else
      echo "==> $server: $n subscribers of one publisher, $DURATION s"
      scenario=(--subscribers "$n")
    fi
    load_workers=(--workers 1)
    [ -z "$PUBLISHERS_FIFO" ] || load_workers=(--workers 2 --publishers-apart)
    started="$(date +%s.%N)"
    /usr/bin/time -f '%U %S' -o "$WORK/load-cpu" ip netns exec "$NS" taskset -c 1 "$SFU_BIN" load --target "$server" --url "$url" --bind "$ADDR" "${load_workers[@]}" \
      "${scenario[@]}" --duration "$DURATION" --video-bitrate "$BITRATE" --json "$WORK/$server-$n.json" &
    load_pid=$!
    if [ -n "$PUBLISHERS_FIFO" ]; then
      # /usr/bin/time's child is sfu load (ip netns exec and taskset exec, they do not fork).
      tool_pid=""
      for _ in $(seq 1 50); do
        tool_pid="$(pgrep -P "$load_pid" | head -1 || true)"
        [ -z "$tool_pid" ] || break
        sleep 0.02
      done
      fifo_worker "${tool_pid:-$load_pid}" "$PUBLISHERS_FIFO" "the load tool's publishers"
    fi
    if [ "$server" = sfu ]; then
      sleep "$STEADY"; get /metrics >"$WORK/steady-start" || true
      if [ -n "$CAPTURE" ]; then
        ip netns exec "$NS" ss -uanp >"$WORK/sockets"
        ip netns exec "$NS" timeout 5 dumpcap -q -i lo -s 64 -w "$WORK/arrivals.pcapng" >/dev/null 2>&1 &
      fi
    fi
    wait "$load_pid" || echo "(sfu load exited $?)"
    wall="$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')"
    after="$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")"
    rss_after="$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
    load_cpu="$(awk 'END { print $1 + $2 }' "$WORK/load-cpu")"
    python3 - "$WORK/$server-$n.json" "$(( after - before ))" "$TICKS" "$server" "$wall" "$rss_before" "$rss_after" "$load_cpu" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ticks, hz, server, wall = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
received = sum(o["audio"]["packets"] + o["video"]["packets"] for o in report["outcomes"] if not o["publishes"])
cpu = ticks / hz
lat = report["latencyMilliseconds"]
join = report["joinMilliseconds"]
per_participant = (int(sys.argv[7]) - int(sys.argv[6])) / max(1, report["participants"])
print(f"  {server}: {received} packets received by subscribers, loss {report['lossPercent']:.3f} %, "
      f"server CPU {cpu:.2f} s = {cpu / max(1, received) * 1e6:.2f} us per forwarded packet "
      f"({cpu / wall * 100:.0f} % of its core over the {wall:.0f} s run), "
      f"RSS {sys.argv[6]} -> {sys.argv[7]} kB ({per_participant:.0f} kB per participant), "
      f"end-to-end latency p50/p99 {lat['p50']}/{lat['p99']} ms, join p50/p95 {join['p50']:.1f}/{join['p95']:.1f} ms (all at once); "
      f"load tool {float(sys.argv[8]) / wall * 100:.0f} % of its core")
PY
    if [ "$server" = sfu ]; then
      get /metrics >"$WORK/steady-end" || true
      python3 - "$WORK/steady-start" "$WORK/steady-end" "$STEADY" <<'PY'
import re, sys
def buckets(path, name):
    found = {}
    for line in open(path):
        m = re.match(name + r'_bucket\{le="([^"]+)"\} (\d+)', line)
        if m: found[float(m.group(1))] = int(m.group(2))
    return found
def quantiles(name):
    start, end = buckets(sys.argv[1], name), buckets(sys.argv[2], name)
    if not start or not end: return "n/a"
    bounds = sorted(end)
    delta = [end[b] - start.get(b, 0) for b in bounds]  # cumulative
    total = delta[-1]
    if total == 0: return "no samples"
    out = []
    for q in (0.5, 0.95, 0.99):
        bound = next(b for b, c in zip(bounds, delta) if c >= q * total)
        out.append("+Inf" if bound == float("inf") else f"{bound * 1e6:.0f}")
    return "/".join(out) + f" us (n={total})"
print(f"  sfu steady state (from {sys.argv[3]} s to the end, /metrics): forwarding latency p50/p95/p99 "
      f"{quantiles('sfu_forwarding_latency_seconds')}; receive wait {quantiles('sfu_receive_wait_seconds')}")
PY
      get /stats | python3 -c "
import json, sys
w = json.load(sys.stdin)['workers'][0]
print(f\"  sfu media worker: {w['cpuSeconds'] / max(1, w['packetsForwarded']) * 1e6:.2f} us CPU per forwarded packet; \"
      f\"forwarding latency p50/p95/p99 upper bounds {w['forwardingLatencyP50Microseconds']}/{w['forwardingLatencyP95Microseconds']}/{w['forwardingLatencyP99Microseconds']} us; \"
      f\"receive wait p50/p95/p99 {w.get('receiveWaitP50Microseconds')}/{w.get('receiveWaitP95Microseconds')}/{w.get('receiveWaitP99Microseconds')} us; \"
      f\"{w.get('glibIterations')} GLib iterations, {w.get('directDatagrams')} datagrams read directly; \"
      f\"held sends {w.get('heldDatagramsSent')}, {w.get('heldDatagramsInRuns')} of them in {w.get('heldRuns')} segmented runs, {w.get('heldDatagramsDropped')} dropped\")"
    fi
    server_pid="$SERVER_PID"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    if [ "$server" = sfu ] && [ -n "$CAPTURE" ]; then
      tshark -r "$WORK/arrivals.pcapng" -T fields -e frame.time_epoch -e udp.srcport -e udp.dstport -e udp.length \
        -e udp.payload 2>/dev/null >"$WORK/arrivals.tsv"
      python3 scripts/lib/arrivals.py "$WORK/arrivals.tsv" "$WORK/sockets" "$server_pid" "$CAPTURE/arrivals-$n.txt"
      rm -f "$WORK/arrivals.pcapng" "$WORK/arrivals.tsv"
      if [ -n "$FLOOR_WORK" ]; then
        rooms=1; copies="$n"
        if [[ "$n" == *x* ]]; then rooms="${n%x*}"; copies="$(( ${n#*x} - 1 ))"; fi
        bash scripts/forwarding-floor.sh --rooms "$rooms" --copies "$copies" --work-ns "$FLOOR_WORK" \
          --replay "$CAPTURE/arrivals-$n.txt" | grep -E '^forwarder' | sed 's/^/  the floor, same arrivals: /'
      fi
    fi
  done
done
rm -rf "$WORK"
