#!/usr/bin/env bash
# User-space instructions per forwarded packet, counted by valgrind's callgrind, for `sfu serve`
# and for Janus (VideoRoom, Benchmarks/Janus) in the same run (docs/benchmarks.md, "Instructions
# per forwarded packet").
#   sudo bash scripts/callgrind-benchmark.sh [--subscribers N] [--warmup S] [--window S]
#                                            [--video-bitrate BPS] [--server sfu|janus]... [--runs R]
#                                            [--srtp-profiles LIST]
#
# Each server in turn runs under `valgrind --tool=callgrind` on CPU 0 in a network namespace of
# the script's own (10.213.0.1 on a veth, deleted on exit); `sfu load` (native, CPU 1, one
# worker) joins one publisher (Opus + --video-bitrate synthetic video, default 1.5 Mbit/s at
# 30 fps) and N subscribers (default 4). After --warmup seconds (default 20: joins, ICE, DTLS,
# the first keyframes) the counters are zeroed (`callgrind_control --zero`); after --window
# seconds more (default 20) instrumentation is switched off (`callgrind_control --instr=off`), and
# the counts are dumped (`--dump`) once the load tool has finished. Forwarded packets in
# that window: RTP datagrams (version 2, not RTCP) the server sent from its media ports, counted
# by an nftables counter in the namespace, read just before and just after each of the two
# callgrind_control calls (the midpoints are used; the spread is printed); for ours also
# /stats' packetsForwarded. Reported: Ir (instructions executed in user space, every thread of
# the process) per forwarded packet, the shares of SRTP (libsrtp2's protect and unprotect
# calls, inclusive of the crypto under them), of the crypto libraries' own code (OpenSSL's
# libcrypto, NSS), of libnice/GLib/GIO and of libc, and the top functions by inclusive cost.
#
# Two work-arounds for Debian 12's valgrind 3.19 (docs/benchmarks.md): the server runs as a
# copy with its debug information stripped (3.19's DWARF 5 reader gives up on Swift's), and
# with a small LD_PRELOAD library whose sigsuspend() passes the kernel a writable copy of the
# mask (3.19's rt_sigsuspend wrapper writes into the caller's mask, and libdispatch's, used by
# dispatch_main under an async main, is in read-only memory: valgrind dies of a SIGSEGV).
#
# Requirements: root, 2 CPUs, valgrind, nft, cc, objcopy (binutils), janus (apt-get install janus).
# --srtp-profiles: what the load tool offers in DTLS (default both, the server picks
# AEAD_AES_128_GCM); one profile measures that one (AES_CM_128_HMAC_SHA1_80: as browsers may end up).
# Environment: SERVER_BIN (the server measured, another build for a before/after; the load tool
# stays SFU_BIN), SFU_BIN (skip the release build and use this binary), KEEP=DIR (keep the callgrind
# files, logs and annotations in DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/test-host.sh

SUBSCRIBERS=4
WARMUP=20
WINDOW=20
BITRATE=1500000
RUNS=1
PROFILES="AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80"
SERVERS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --subscribers) SUBSCRIBERS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --window) WINDOW="$2"; shift 2 ;;
    --video-bitrate) BITRATE="$2"; shift 2 ;;
    --server) SERVERS+=("$2"); shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --srtp-profiles) PROFILES="$2"; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "callgrind-benchmark.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#SERVERS[@]} -gt 0 ] || SERVERS=(sfu janus)
[ "$(id -u)" -eq 0 ] || { echo "callgrind-benchmark.sh: must run as root (network namespace, nftables)" >&2; exit 1; }
[ "$(nproc --all)" -ge 2 ] || { echo "callgrind-benchmark.sh: needs 2 CPUs" >&2; exit 1; }
for tool in valgrind callgrind_control callgrind_annotate nft cc objcopy; do
  command -v "$tool" >/dev/null || { echo "callgrind-benchmark.sh: $tool not found" >&2; exit 1; }
done

test_host_release_binary .build-cg

ADDR=10.213.0.1
PORT=8080
NS="sfu-cgbench-$$"
SERVER_PID=""
LOAD_PID=""
WORK="$(mktemp -d /tmp/callgrind-benchmark.XXXXXX)"
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  test_host_down "$NS"
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -a "$WORK"/. "$KEEP"/ && echo "==> kept in $KEEP"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The server under valgrind: a copy without debug information, and the sigsuspend shim.
objcopy --strip-debug "${SERVER_BIN:-$SFU_BIN}" "$WORK/sfu"
cat >"$WORK/sigsuspend.c" <<'C'
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
/* valgrind 3.19's rt_sigsuspend wrapper removes its own signal from the mask in place; hand it a copy. */
int sigsuspend(const sigset_t *mask) {
  sigset_t copy = *mask;
  return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
C
cc -O2 -shared -fPIC -o "$WORK/libsigsuspend.so" "$WORK/sigsuspend.c"

test_host_up "$NS" "$ADDR"
# The load tool's sockets take ephemeral ports: keep them out of both servers' media ranges.
ip netns exec "$NS" sysctl -q -w net.ipv4.ip_local_port_range="20000 29999"
# RTP sent by the server: UDP from its media ports (ours 50000-50999, Janus 52000-52999), RTP
# version 2, second byte outside 192-223 (RTCP's packet types, RFC 5761); STUN and DTLS have
# other first bytes.
ip netns exec "$NS" nft -f - <<'NFT'
table inet cgbench {
  counter sfu_rtp_out {}
  counter janus_rtp_out {}
  counter sfu_rtp_in {}
  counter janus_rtp_in {}
  chain out {
    type filter hook output priority 0; policy accept;
    udp sport 50000-50999 @th,64,2 2 @th,72,8 != 192-223 counter name sfu_rtp_out
    udp sport 52000-52999 @th,64,2 2 @th,72,8 != 192-223 counter name janus_rtp_out
    udp dport 50000-50999 @th,64,2 2 @th,72,8 != 192-223 counter name sfu_rtp_in
    udp dport 52000-52999 @th,64,2 2 @th,72,8 != 192-223 counter name janus_rtp_in
  }
}
NFT

counters() {  # counters SERVER: RTP packets the server sent, RTP packets sent to it (nftables)
  ip netns exec "$NS" nft -j list table inet cgbench | python3 -c "
import json, sys
c = {o['counter']['name']: o['counter']['packets'] for o in json.load(sys.stdin)['nftables'] if 'counter' in o}
print(c['${1}_rtp_out'], c['${1}_rtp_in'])"
}
stats_forwarded() {
  ip netns exec "$NS" python3 -c "
import json, urllib.request
print(sum(w['packetsForwarded'] for w in json.loads(urllib.request.urlopen('http://127.0.0.1:$PORT/stats', timeout=30).read())['workers']))"
}

demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }

echo "==> $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "==> SRTP profiles offered by the load tool: $PROFILES"
echo "==> $(valgrind --version), sfu ${SERVER_BIN:-$SFU_BIN}, janus $(dpkg-query -W -f '${Version}' janus 2>/dev/null || echo '?')"
echo "==> 1 publisher ($BITRATE bit/s video + Opus), $SUBSCRIBERS subscribers; warm-up $WARMUP s, measured window $WINDOW s"
for run in $(seq 1 "$RUNS"); do
  for server in "${SERVERS[@]}"; do
    out="$WORK/callgrind.$server.$run"
    valgrind=(valgrind --tool=callgrind --callgrind-out-file="$out")
    if [ "$server" = sfu ]; then
      ip netns exec "$NS" env LD_PRELOAD="$WORK/libsigsuspend.so" taskset -c 0 "${valgrind[@]}" "$WORK/sfu" serve --dev \
        --host 127.0.0.1 --port "$PORT" --bind "$ADDR" --no-turn --workers 1 --max-participants 10000 --log-level warning \
        >"$WORK/server.$server.$run.log" 2>&1 &
      SERVER_PID=$!
      url="ws://127.0.0.1:$PORT/ws"
      ready() { stats_forwarded >/dev/null 2>&1; }
    else
      ip netns exec "$NS" taskset -c 0 "${valgrind[@]}" janus --configs-folder Benchmarks/Janus -i "$ADDR" \
        >"$WORK/server.$server.$run.log" 2>&1 &
      SERVER_PID=$!
      url="ws://127.0.0.1:8188"
      ready() { ip netns exec "$NS" ss -tln "sport = :8188" | grep -q 8188; }
    fi
    for _ in $(seq 1 300); do ready && break; sleep 0.5; done
    ready || { echo "callgrind-benchmark.sh: $server did not start" >&2; tail -20 "$WORK/server.$server.$run.log" >&2; exit 1; }
    # The valgrind process is the server (ip netns exec and taskset exec it).
    echo "==> run $run, $server (valgrind pid $SERVER_PID)"
    ip netns exec "$NS" taskset -c 1 "$SFU_BIN" load --target "$server" --url "$url" --bind "$ADDR" --workers 1 \
      --subscribers "$SUBSCRIBERS" --duration "$(( WARMUP + WINDOW + 5 ))" --video-bitrate "$BITRATE" --srtp-profiles "$PROFILES" \
      --json "$WORK/load.$server.$run.json" >"$WORK/load.$server.$run.log" 2>&1 &
    LOAD_PID=$!
    sleep "$WARMUP"
    a1="$(counters "$server")"
    callgrind_control --zero "$SERVER_PID" >/dev/null
    a2="$(counters "$server")"
    sa="$([ "$server" = sfu ] && stats_forwarded || echo 0)"
    sleep "$WINDOW"
    sb="$([ "$server" = sfu ] && stats_forwarded || echo 0)"
    b1="$(counters "$server")"
    # Instrumentation off ends the window at once; the dump, which stops the server for a second
    # or two while it writes the file, waits until the load tool has left.
    callgrind_control --instr=off "$SERVER_PID" >/dev/null
    b2="$(counters "$server")"
    wait "$LOAD_PID" || echo "  (sfu load exited $?)"
    LOAD_PID=""
    callgrind_control --dump="window" "$SERVER_PID" >/dev/null
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    dump="$(ls "$out".* 2>/dev/null | head -1)"
    [ -n "$dump" ] || { echo "callgrind-benchmark.sh: no dump from $server" >&2; exit 1; }
    # For KEEP: its percentages are of the dump's summary line, which --instr=off spoils (below).
    callgrind_annotate --inclusive=yes --threshold=100 "$dump" >"$WORK/annotate.$server.$run.txt"
    python3 - "$dump" "$server" "$WINDOW" "$WORK/load.$server.$run.json" "$a1" "$a2" "$b1" "$b2" "$sa" "$sb" <<'PY' | demangle | cut -c1-200
import json, re, sys
path, server, window, load = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
a1, a2, b1, b2 = ([int(x) for x in s.split()] for s in sys.argv[5:9])
stats = int(sys.argv[10]) - int(sys.argv[9])
nft = [((b1[i] + b2[i]) - (a1[i] + a2[i])) / 2 for i in (0, 1)]  # midpoints: sent, received
spread = ((a2[0] - a1[0]) + (b2[0] - b1[0])) / 2

# The dump: exclusive cost per (object, function); calls with their count and inclusive cost.
names = {"ob": {}, "fn": {}}
def name(kind, value):
    m = re.match(r"\((\d+)\)(?: (.*))?$", value)
    if not m:
        return value
    if m.group(2) is not None:
        names[kind][m.group(1)] = m.group(2)
    return names[kind][m.group(1)]
exclusive, calls = {}, []  # calls: (caller, callee, count, inclusive cost)
ob = fn = cob = cfn = None
pending = None
total = None
for line in open(path):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        continue
    if line.startswith(("summary:", "totals:")):
        continue
    key, eq, value = line.partition("=")
    if eq and key in ("ob", "fn", "cob", "cfn", "cfi", "cfl", "fl", "fi", "fe", "calls"):
        if key == "ob": ob = name("ob", value)
        elif key == "fn": fn = (ob, name("fn", value)); cob = None
        elif key == "cob": cob = name("ob", value)
        elif key == "cfn": cfn = (cob or ob, name("fn", value)); cob = None
        elif key == "calls": pending = int(value.split()[0])
        continue
    if line[0] in "0123456789+-*":
        parts = line.split()
        cost = int(parts[1]) if len(parts) > 1 else 0
        if pending is not None:
            calls.append((fn, cfn, pending, cost)); pending = None
        else:
            exclusive[fn] = exclusive.get(fn, 0) + cost
# The figure is the sum of the dump's cost lines (its "totals:" line): every instruction of the
# window, attributed to a function. The "summary:" line (callgrind_annotate's PROGRAM TOTALS) is not
# used: after --instr=off it is garbage (it wraps below zero), and with a --dump at the window's end
# instead it came out 1 to 3 % below the cost lines for these multi-threaded servers.
total = sum(exclusive.values())

def inclusive(match):  # the functions that match and everything they call
    inside = {f for f in exclusive.keys() | {c[1] for c in calls} if match(f)}
    return (sum(c for f, c in exclusive.items() if f in inside)
            + sum(c for f, g, _, c in calls if f in inside and g not in inside))
def by_object(pattern):
    return sum(c for (o, _), c in exclusive.items() if o and re.search(pattern, o.rsplit("/", 1)[-1]))
# One srtp_protect call per RTP packet sent (our forwarder and Janus's janus_ice_send alike):
# the forwarded packets of exactly the measured window.
protects = sum(n for f, g, n, _ in calls if g[1] == "srtp_protect" and f[1] != "srtp_protect")
srtp = inclusive(lambda f: re.fullmatch(r"srtp_(un)?protect(_rtcp)?(_mki)?", f[1] or "") is not None)
crypto = by_object(r"^lib(crypto|nss3|nssutil3|softokn3|freebl3|freeblpriv3|nspr4)\.so")
nice = by_object(r"^lib(nice|glib-2\.0|gio-2\.0|gobject-2\.0|gnutls|nettle)\.so")
libc = by_object(r"^libc\.so")
malloc = sum(c for (o, f), c in exclusive.items() if o and "libc.so" in o and f and re.search(r"malloc|free|calloc|realloc|tcache", f))
own = by_object(r"^(sfu|janus|libjanus_videoroom\.so)$")
report = json.load(open(load))
per = total / max(1, protects)
pct = lambda x: x / total * 100
print(f"  {server}: {total:,} Ir in {window:.0f} s; {protects:,} RTP packets forwarded (srtp_protect calls; nftables "
      f"{nft[0]:,.0f} +-{spread:.0f}; {nft[1]:,.0f} received from the publisher)"
      + (f"; /stats packetsForwarded {stats:,}" if server == "sfu" else "")
      + f"; load tool loss {report['lossPercent']:.2f} %")
print(f"  {server}: {per:,.0f} Ir per forwarded packet; SRTP (protect/unprotect, inclusive) {pct(srtp):.1f} % "
      f"({srtp / max(1, protects):,.0f} per packet); crypto libraries' own code {pct(crypto):.1f} %; "
      f"libnice/GLib/GIO/GnuTLS {pct(nice):.1f} %; libc {pct(libc):.1f} % (malloc/free {pct(malloc):.1f} %); "
      f"the server's own executable{' and plugin' if server == 'janus' else ''} {pct(own):.1f} %")
print("  top functions by own cost:")
for (o, f), c in sorted(exclusive.items(), key=lambda kv: -kv[1])[:12]:
    print(f"    {pct(c):5.1f} %  {c / max(1, protects):8,.0f} per packet  {f or '?'}  [{(o or '?').rsplit('/', 1)[-1]}]")
incl = dict(exclusive)
for f, g, _, c in calls:
    if f != g:
        incl[f] = incl.get(f, 0) + c
print("  top functions by inclusive cost, below 90 % (the thread and main-loop frames above it left out):")
for (o, f), c in [kv for kv in sorted(incl.items(), key=lambda kv: -kv[1]) if kv[1] < 0.9 * total][:15]:
    print(f"    {pct(c):5.1f} %  {c / max(1, protects):8,.0f} per packet  {f or '?'}  [{(o or '?').rsplit('/', 1)[-1]}]")
print(f"RESULT {server} {per:.0f} {pct(srtp):.1f} {pct(crypto):.1f} {pct(nice):.1f} {pct(libc):.1f} {protects} {total}")
PY
  done
done
