#!/usr/bin/env bash
# TURN relay side by side with coturn (docs/benchmarks.md, "TURN relay versus coturn").
#   sudo bash scripts/turn-benchmark.sh [--output FILE] [--runs N] [--load CLIENTS:INTERVAL_MS:MESSAGES]... [--quick]
#
# The same turnutils_uclient load is relayed by coturn's turnserver and by `sfu turn`, each
# pinned to CPU 0 with one relay thread, while turnutils_uclient and turnutils_peer share CPU 1.
# Every socket lives in a network namespace of its own (10.213.0.1 on a veth, deleted on exit).
# Servers alternate (coturn, ours, coturn, ours, ...), --runs times each (default 3), and the
# table reports medians of:
#   packets relayed   from uclient's totals: every message crosses the relay twice, client ->
#                     peer and peer -> client, so tot_send_msgs + tot_recv_msgs without loss, and
#                     2 x tot_recv_msgs in general (lost messages were dropped before the relay:
#                     see run_attempt); cross-checked against half the UDP datagrams sent in the
#                     namespace, and for ours against the packets to peers / to clients of its
#                     statistics line at SIGTERM
#   window            the time packets flowed: sampled every 100 ms from uclient's "Total connect
#                     time" line (every allocation, permission and channel in place; its clients
#                     start sending 1 to 6 s later, each at a random time) to its exit, and cut
#                     to the samples over which the namespace's UDP datagram count rose
#   CPU seconds       utime + stime of the server process (all threads) over that window, from
#                     /proc/PID/stat in clock ticks (getconf CLK_TCK)
#   packets/s, CPU seconds per million packets, and loss (uclient's "Total lost packets")
# Loads (uclient's -m, -z and -n; messages of 170 bytes): by default the standard one, 50:5:4000
# (50 sessions sending 200 messages/s each for 20 s) and a heavier one, 50:2:10000 (500/s each
# for 20 s); --load replaces them (repeatable; 50:1:15000 overloads this machine: both servers
# then drop packets at their listening socket). --quick: one run of each, shorter. The default
# takes about 6.5 minutes after the build.
#
# Environment: SFU_BIN (skip the release build and use this binary), TURNSERVER (default
# turnserver), KEEP_LOGS=1 (keep the scratch directory with every log).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

OUTPUT=""
RUNS=3
LOADS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --output) OUTPUT="$2"; shift 2 ;;
    --output=*) OUTPUT="${1#*=}"; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    --load) LOADS+=("$2"); shift 2 ;;
    --load=*) LOADS+=("${1#*=}"); shift ;;
    --quick) RUNS=1; LOADS=(50:5:1000 50:2:2500); shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "turn-benchmark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "turn-benchmark.sh: must run as root (network namespace): sudo bash scripts/turn-benchmark.sh" >&2
  exit 1
fi
TURNSERVER="${TURNSERVER:-turnserver}"
for tool in "$TURNSERVER" turnutils_uclient turnutils_peer taskset ip; do
  command -v "$tool" >/dev/null || { echo "turn-benchmark.sh: $tool not found (apt-get install -y coturn)" >&2; exit 1; }
done
[ "$(nproc --all)" -ge 2 ] || { echo "turn-benchmark.sh: needs 2 CPUs (server on CPU 0, load on CPU 1)" >&2; exit 1; }

[ -n "${SFU_BIN:-}" ] || echo "==> swift build -c release --scratch-path .build-release --product sfu"
test_host_release_binary .build-release
[ -x "$SFU_BIN" ] || { echo "turn-benchmark.sh: $SFU_BIN is not executable" >&2; exit 1; }

ADDR=10.213.0.1
PORT=3478
PEER_PORT=3480
USER_NAME=bench
USER_PASS=benchpass
REALM=bench.example
TICKS="$(getconf CLK_TCK)"
NS="sfu-turnbench-$$"
WORK="$(mktemp -d /tmp/turn-benchmark.XXXXXX)"
SERVER_PID=""
PEER_PID=""

cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  test_host_down "$NS"
  if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

test_host_up "$NS" "$ADDR"
# (Background processes are started with `ip netns exec` itself, never through a function, so
# that $! is the PID that `ip` and `taskset` exec into: the server's own.)
inns() { ip netns exec "$NS" "$@"; }

# Waits until something in the namespace listens on UDP $PORT (the server is ready).
wait_listening() {
  local pid="$1" i
  for i in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || { echo "turn-benchmark.sh: server exited at start" >&2; return 1; }
    if inns ss -uln "sport = :$PORT" | grep -q ":$PORT"; then
      case "$(cat "/proc/$pid/comm")" in
        turnserver|sfu) sleep 0.3; return 0 ;;
        *) echo "turn-benchmark.sh: PID $pid is $(cat "/proc/$pid/comm"), not the server" >&2; return 1 ;;
      esac
    fi
    sleep 0.05
  done
  echo "turn-benchmark.sh: server does not listen on udp $PORT" >&2
  return 1
}

# coturn with a configuration comparable to ours: UDP and TCP on ADDR:PORT, relay on ADDR,
# long-term credentials with one user, no TLS/DTLS/CLI, one relay thread (--relay-threads=1:
# one "general relay" thread serves the listener's sessions and their relay sockets, next to
# coturn's listener, authentication and admin threads), no bandwidth cap (coturn has none by
# default), sessions logged (-v logs allocations and their usage at close, nothing per packet).
# coturn refuses no private peer by default; --allowed-peer-ip lets the peer sit on ADDR, which
# is also the relay's own address.
start_coturn() {
  ip netns exec "$NS" taskset -c 0 "$TURNSERVER" -n -v --listening-ip="$ADDR" --relay-ip="$ADDR" \
    --listening-port="$PORT" --min-port=49152 --max-port=65535 \
    --lt-cred-mech --user="$USER_NAME:$USER_PASS" --realm="$REALM" \
    --allowed-peer-ip="$ADDR" --relay-threads=1 \
    --no-tls --no-dtls --no-cli --no-stdout-log --simple-log --log-file="$1" \
    --pidfile="$WORK/turnserver.pid" --userdb="$WORK/turndb" >"$1.stdout" 2>&1 &
  SERVER_PID=$!
}

# Ours with the same: UDP and TCP on ADDR:PORT, relay on ADDR, one user, one event loop,
# --max-bps 0 (its default caps each allocation at 4 MB/s), no per-user quota to speak of (its
# default of 64 allocations a user is less than uclient's 50 sessions take; coturn has none by
# default), the peer block allowed.
start_ours() {
  ip netns exec "$NS" taskset -c 0 "$SFU_BIN" turn --listening-ip "$ADDR" --relay-ip "$ADDR" -p "$PORT" \
    --min-port 49152 --max-port 65535 --realm "$REALM" --user "$USER_NAME:$USER_PASS" \
    --allowed-peer-ip 10.213.0.0/24 --max-bps 0 --user-quota 10000 --threads 1 --log-level warning \
    >"$1.stdout" 2>"$1" &
  SERVER_PID=$!
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

RESULTS="$WORK/results.tsv" # one line per run, the columns of the per-run table
: >"$RESULTS"

# One sample: time, the server's utime and stime (ticks), and the namespace's UDP OutDatagrams
# and RcvbufErrors (read through the peer's /proc entry, which is in the namespace). Builtins
# only: the sampler forks nothing while the load runs.
sample_once() {
  local st tag a b c d e rest udp="0 0"
  read -r -a st <"/proc/$1/stat" || return 1
  while read -r tag a b c d e rest; do
    [[ "$tag" == Udp: && "$a" =~ ^[0-9]+$ ]] && udp="$d $e"
  done <"/proc/$2/net/snmp"
  printf '%s %s %s %s\n' "$EPOCHREALTIME" "${st[13]}" "${st[14]}" "$udp"
}

# Samples every 100 ms until killed (the wait is a read with a timeout on a pipe nobody writes).
sample_loop() {
  set +e
  local fd
  exec {fd}<> <(:)
  while sample_once "$1" "$2" >>"$3"; do read -r -t 0.1 -u "$fd" _; done
}

# run_one LOAD SERVER RUN CLIENTS INTERVAL MESSAGES: one run, tried again (twice at most) when
# turnutils_uclient gives up during its setup. It does so on any error answer, and ours answers
# 400 to a ChannelBind for channel 0x7FFF, which uclient picks now and then (it draws channel
# numbers from 0x4000-0x7FFF, as RFC 5766 allows; coturn accepts it).
run_one() {
  local attempt
  for attempt in 1 2 3; do
    run_attempt "$@" "$attempt" && return 0
    echo "  $1 $2 run $3: turnutils_uclient failed during setup: $(head -1 "$WORK/$1-$2-$3-$attempt.uclient.log"); again" >&2
  done
  echo "turn-benchmark.sh: $1 $2 run $3 failed three times" >&2
  return 1
}

run_attempt() {
  local load="$1" server="$2" run="$3" clients="$4" interval="$5" messages="$6" attempt="$7"
  local tag="$WORK/$load-$server-$run-$attempt"
  "start_$server" "$tag.server.log"
  wait_listening "$SERVER_PID"
  ip netns exec "$NS" taskset -c 1 turnutils_peer -L "$ADDR" -p "$PEER_PORT" >"$tag.peer.log" 2>&1 &
  PEER_PID=$!
  sleep 0.3

  : >"$tag.uclient.log"
  ip netns exec "$NS" taskset -c 1 turnutils_uclient -u "$USER_NAME" -w "$USER_PASS" -e "$ADDR" -r "$PEER_PORT" \
    -m "$clients" -n "$messages" -l 170 -z "$interval" "$ADDR" >"$tag.uclient.log" 2>&1 &
  local uclient=$!
  # Sampling starts when uclient has set up every allocation, permission and channel (its
  # "Total connect time" line) and ends when it exits.
  while ! grep -q 'Total connect time' "$tag.uclient.log" && kill -0 "$uclient" 2>/dev/null; do sleep 0.01; done
  sample_loop "$SERVER_PID" "$PEER_PID" "$tag.samples" &
  local sampler=$!
  taskset -pc 1 "$sampler" >/dev/null
  local status=0
  wait "$uclient" || status=$?
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  sample_once "$SERVER_PID" "$PEER_PID" >>"$tag.samples"
  kill "$PEER_PID" 2>/dev/null || true; wait "$PEER_PID" 2>/dev/null || true; PEER_PID=""
  stop_server
  if ! grep -q 'Total lost packets' "$tag.uclient.log"; then return 1; fi
  [ "$status" -eq 0 ] || echo "turn-benchmark.sh: turnutils_uclient exited $status ($tag.uclient.log)" >&2

  local sent recv lost
  sent="$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\1/p' "$tag.uclient.log" | tail -1)"
  recv="$(sed -n 's/.*start_mclient: tot_send_msgs=\([0-9]*\), tot_recv_msgs=\([0-9]*\)$/\2/p' "$tag.uclient.log" | tail -1)"
  lost="$(sed -n 's/.*Total lost packets \([0-9]*\) (\([0-9.]*\)%.*/\2/p' "$tag.uclient.log" | tail -1)"
  : "${sent:=0}" "${recv:=0}" "${lost:=nan}"

  # Ours counts what it relayed, to peers and to clients, in the statistics line it prints at
  # SIGTERM (since it started). coturn logs usage only in periodic deltas per session.
  local check="-"
  if [ "$server" = ours ]; then
    check="$(sed -n 's/.*packets to peers=\([0-9]*\) to clients=\([0-9]*\).*/\1+\2/p' "$tag.server.log" | tail -1)"
    [ -n "$check" ] || check="-"
  fi

  # The load window: uclient's clients start sending 1 to 6 s after the connect line, each at a
  # random time, and a client that lost packets waits 10 s before it gives up. So the window is
  # cut to the samples where packets flowed: from the last sample before the namespace's UDP
  # OutDatagrams rose (by more than a few control messages) to the first sample at which it had
  # reached its final count (less the few refreshes that close the allocations). Every relayed
  # packet is two datagrams (uclient or peer to the server, the server on), so half the rise
  # counts packets relayed whatever the server, a cross-check of uclient's totals.
  local window
  window="$(awk -v ticks="$TICKS" -v slack=300 '
    { t[NR] = $1; u[NR] = $2; s[NR] = $3; o[NR] = $4; r[NR] = $5 }
    END {
      n = NR; first = 1; last = n
      for (i = 2; i <= n; i++) if (o[i] > o[1] + slack) { first = i - 1; break }
      for (i = 1; i <= n; i++) if (o[i] >= o[n] - slack) { last = i; break }
      printf "%.3f\t%.3f\t%.2f\t%.2f\t%.2f\t%d\t%d\n", t[last] - t[first], t[n] - t[1],
        (u[last] - u[first] + s[last] - s[first]) / ticks, (u[last] - u[first]) / ticks, (s[last] - s[first]) / ticks,
        (o[n] - o[1]) / 2, r[n] - r[1]
    }' "$tag.samples")"
  local seconds full cpu user sys udp_half rcvbuf
  IFS=$'\t' read -r seconds full cpu user sys udp_half rcvbuf <<<"$window"
  # Packets relayed: every message uclient got back crossed the relay twice. Without loss that
  # is tot_send_msgs + tot_recv_msgs; with loss, the messages lost were dropped on their first hop
  # (uclient to the server: the server's count for ours, and the namespace's datagram count for
  # both, show it), so they were never relayed and 2 x tot_recv_msgs is the count.
  local packets=$((2 * recv))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$load" "$server" "$run" "$packets" "$seconds" "$cpu" "$lost" \
    "$user" "$sys" "$full" "$udp_half" "$rcvbuf" "$check" "$((sent + recv))" >>"$RESULTS"
  printf '  %-10s %-6s run %s: %7d packets relayed (sent+received %d) in %6.2f s (of %.1f s), %5.2f CPU s (user %s, sys %s), loss %s%%, UDP sent/2 %s, rcvbuf drops %s, server count %s\n' \
    "$load" "$server" "$run" "$packets" "$((sent + recv))" "$seconds" "$full" "$cpu" "$user" "$sys" "$lost" "$udp_half" "$rcvbuf" "$check"
}

[ "${#LOADS[@]}" -gt 0 ] || LOADS=(50:5:4000 50:2:10000)
for entry in "${LOADS[@]}"; do
  [[ "$entry" =~ ^[0-9]+:[0-9]+:[0-9]+$ ]] || { echo "turn-benchmark.sh: --load $entry is not CLIENTS:INTERVAL_MS:MESSAGES" >&2; exit 2; }
done

echo "==> $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "    coturn: $("$TURNSERVER" --version 2>/dev/null | head -1 || true), ours: $SFU_BIN"
for load in "${LOADS[@]}"; do
  IFS=: read -r clients interval messages <<<"$load"
  echo "==> load $load: turnutils_uclient -u $USER_NAME -w $USER_PASS -e $ADDR -r $PEER_PORT -m $clients -n $messages -l 170 -z $interval $ADDR"
  for run in $(seq 1 "$RUNS"); do
    run_one "$load" coturn "$run" "$clients" "$interval" "$messages" || true
    run_one "$load" ours "$run" "$clients" "$interval" "$messages" || true
  done
done
echo "==> load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# Medians over the runs of each load and server (for an even count, the mean of the middle two).
TABLE="$WORK/table.md"
{
  echo "| Load (uclient -m -z -n) | Server | Packets relayed | Window | Packets/s | CPU s | CPU s per 10^6 packets | Loss |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for load in "${LOADS[@]}"; do
    IFS=: read -r clients interval messages <<<"$load"
    for server in coturn ours; do
      awk -F'\t' -v load="$load" -v server="$server" -v clients="$clients" -v interval="$interval" -v messages="$messages" '
        function median(a, n,   i, j, t) {
          for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
          return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == load && $2 == server {
          if (!$4 || !$5) next
          n++; p[n] = $4; s[n] = $5; c[n] = $6; l[n] = $7; r[n] = $4 / $5; k[n] = $6 / $4 * 1e6
        }
        END {
          if (!n) exit
          name = (server == "ours") ? "ours (`sfu turn`)" : "coturn 4.6.1"
          printf "| -m %d -z %d -n %d | %s | %d | %.1f s | %.0f | %.2f | %.1f | %.3f %% |\n",
            clients, interval, messages, name, median(p, n), median(s, n), median(r, n), median(c, n), median(k, n), median(l, n)
        }' "$RESULTS"
    done
  done
  echo
  echo "Medians of $RUNS runs each. Every run (window: while packets flowed, of the whole time from uclient's connect line to its exit):"
  echo
  echo "| Load | Server | Run | Packets relayed | uclient sent + received | Window (of) | CPU s (user + sys) | CPU s per 10^6 packets | Loss | UDP datagrams sent / 2 | Receive-buffer drops | Server's count (to peers + to clients) |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %d | %d | %.1f s (%.1f s) | %.2f (%.2f + %.2f) | %.1f | %.3f %% | %d | %d | %s |\n",
    $1, $2, $3, $4, $14, $5, $10, $6, $8, $9, ($4 ? $6 / $4 * 1e6 : 0), $7, $11, $12, $13 }' "$RESULTS"
} >"$TABLE"
echo
cat "$TABLE"
if [ -n "$OUTPUT" ]; then cp "$TABLE" "$OUTPUT"; echo "table written to $OUTPUT"; fi
