# Shared by the benchmark scripts (sourced, not run): the checks they all make, the release build
# of `sfu` they measure, and the test host they measure it in: a network namespace with loopback
# and an inside-only veth pair carrying a test address (../shared/context/real-peers.md), so that
# no WebRTC stack gathers on, and no test traffic reaches, the machine's external interfaces.
# Each function takes the calling script's name for its messages.

# test_host_require SCRIPT CPUS: root (for the namespace) and at least CPUS CPUs (server and load
# tool on cores of their own).
test_host_require() {
  [ "$(id -u)" -eq 0 ] || { echo "$1: must run as root (network namespace)" >&2; exit 1; }
  [ "$(nproc --all)" -ge "$2" ] || { echo "$1: needs $2 CPUs" >&2; exit 1; }
}

# test_host_release_binary SCRATCH: sets SFU_BIN to a release build of `sfu` (built with
# --scratch-path SCRATCH) unless SFU_BIN is set already.
test_host_release_binary() {
  if [ -z "${SFU_BIN:-}" ]; then
    swift build -c release --scratch-path "$1" --product sfu
    SFU_BIN="$(swift build -c release --scratch-path "$1" --show-bin-path)/sfu"
  fi
}

# test_host_up NAMESPACE ADDRESS: the namespace, loopback up, and a veth pair inside it with
# ADDRESS/24 on one end. The caller deletes it (test_host_down) in its EXIT trap.
test_host_up() {
  ip netns add "$1"
  ip netns exec "$1" sh -c "ip link set lo up && ip link add v0 type veth peer name v1 &&
    ip addr add $2/24 dev v0 && ip link set v0 up && ip link set v1 up"
}

test_host_down() {
  ip netns del "$1" 2>/dev/null || true
}

# test_host_stalls DIR: this machine's own stalls on CPU 0 over 10 s while CPU 1 is busy too, as
# during a run (scripts/cpu-stall.c, built into DIR): the floor under every latency tail here.
test_host_stalls() {
  [ -x "$1/cpu-stall" ] || cc -O2 -o "$1/cpu-stall" scripts/cpu-stall.c
  taskset -c 1 "$1/cpu-stall" 10 >/dev/null &
  local spinner=$! stalls
  stalls="$(taskset -c 0 "$1/cpu-stall" 10)"
  wait "$spinner"
  echo "CPU 0 while CPU 1 is busy, $stalls"
}
