"""`sfu turn` against coturn's own client tools (Debian `coturn`: turnutils_stunclient,
turnutils_uclient, turnutils_peer), and side by side with coturn's `turnserver`.

One relay serves the whole module (module-scoped test host): every interface address of the
namespace, UDP/TCP 3478, TLS 5349 with a throwaway self-signed certificate, static user and REST
secret, and --allowed-peer-ip for the test host's own subnets (the echo peers listen on
10.213.0.1:3480 and [fd00:213::1]:3481, which the relay refuses by default: private and its own).
Each uclient run has coturn's default load shape from real-peers.md: 10 clients, 500 messages of
170 bytes every 5 ms each, and must lose nothing.
"""
import re
import shutil
import subprocess
import time

import pytest

from conftest import (HOST_ADDR, HOST_ADDR6, TURN_PASSWORD, TURN_RELAY_PORTS, TURN_SECRET, TURN_TLS_PORT, TURN_USER,
                      TurnServer, make_testhost, tail)

PEER_PORT = 3480
PEER6_PORT = 3481
LOAD = ["-m", "10", "-n", "500", "-l", "170", "-z", "5"]
CLIENTS, MESSAGES = 10, 500


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} not found: apt-get install -y coturn (scripts/install-deps.sh installs it)", pytrace=False)


class Bed:
    def __init__(self, host, server, workdir):
        self.host = host
        self.server = server
        self.workdir = workdir
        self.peer_logs = []
        self.uclient_runs = 0
        self.statistics_checked = False

    def start_peer(self, addr, port):
        log = self.workdir / f"turnutils_peer-{port}.log"
        f = open(log, "wb")
        self.host.popen(["turnutils_peer", "-L", addr, "-p", str(port)], stdout=f, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL)
        self.peer_logs.append(log)

    def why(self, out=None, lines=40):
        text = ""
        if out is not None:
            text += f"\n--- client output, last {lines} lines:\n" + "\n".join(out.splitlines()[-lines:]) + "\n"
        for log in self.peer_logs:
            text += f"--- {log.name}:\n{tail(log, 10)}\n"
        return text + self.server.why()


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    for tool in ("turnutils_uclient", "turnutils_peer", "turnutils_stunclient", "openssl"):
        need(tool)
    workdir = tmp_path_factory.mktemp("turn-coturn")
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=turn.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    with make_testhost(workdir) as host:
        server = TurnServer(host, ["--allowed-peer-ip", "10.213.0.0/24", "--allowed-peer-ip", "fd00:213::/64",
                                   "--cert", cert, "--pkey", key]).start()
        b = Bed(host, server, workdir)
        try:
            b.start_peer(HOST_ADDR, PEER_PORT)
            b.start_peer(HOST_ADDR6, PEER6_PORT)
            time.sleep(0.3)
            yield b
        finally:
            server.stop()


def run_tool(host, cmd, timeout):
    t0 = time.monotonic()
    p = host.exec(cmd, timeout=timeout, check=False)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


# ------------------------------------------------------------------------------ turnutils_stunclient

REFLEXIVE = re.compile(r"IPv([46])\. UDP reflexive addr: (\S+):(\d+)\s*$", re.M)


@pytest.mark.parametrize("target,version", [(HOST_ADDR, "4"), (HOST_ADDR6, "6")], ids=["ipv4", "ipv6"])
def test_stunclient_mapped_address(bed, target, version):
    """A Binding from turnutils_stunclient gets the client's own address back (no NAT in a test host)."""
    rc, out, _ = run_tool(bed.host, ["turnutils_stunclient", target], timeout=20)
    assert rc == 0, f"turnutils_stunclient exit {rc}" + bed.why(out)
    found = REFLEXIVE.findall(out)
    assert found, "no 'UDP reflexive addr' line in turnutils_stunclient's output" + bed.why(out)
    for fam, addr, port in found:
        assert fam == version and addr == target, f"mapped address {addr} (IPv{fam}), wanted {target}" + bed.why(out)
        assert 0 < int(port) < 65536, f"mapped port {port}" + bed.why(out)
    assert "error" not in out.lower(), "turnutils_stunclient printed an error" + bed.why(out)


def normalized(out):
    """stunclient output with the client's ephemeral ports taken out."""
    return [re.sub(r":\d+$", ":PORT", line.strip()) for line in out.splitlines() if line.strip()]


def test_stunclient_same_as_coturn(testhost, tmp_path):
    """`turnutils_stunclient 10.213.0.1` prints the same against our relay as against coturn's
    turnserver run the same way (port 3478 on the test host's address, one after the other).

    Neither prints RFC 5780 lines: the client only runs its NAT-behaviour tests (Bindings with
    CHANGE-REQUEST and RESPONSE-PORT) when the first response carries OTHER-ADDRESS, and neither
    server sends one (coturn needs two listening addresses for RFC 5780)."""
    need("turnserver")
    need("turnutils_stunclient")
    ours = TurnServer(testhost).start()
    try:
        rc_ours, out_ours, _ = run_tool(testhost, ["turnutils_stunclient", HOST_ADDR], timeout=20)
    finally:
        ours.stop()
    coturn_log = tmp_path / "turnserver.log"
    with open(coturn_log, "wb") as f:
        coturn = testhost.popen([
            "turnserver", "-n", f"--listening-ip={HOST_ADDR}", f"--relay-ip={HOST_ADDR}", "--listening-port=3478",
            "--min-port=51000", "--max-port=51999", "--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}",
            "--realm=example.org", "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout", "--simple-log",
            f"--pidfile={tmp_path / 'turnserver.pid'}", f"--userdb={tmp_path / 'turndb'}"],
            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "Total General servers" not in coturn_log.read_text(errors="replace"):
            assert coturn.poll() is None, f"turnserver exited {coturn.returncode}:\n{tail(coturn_log)}"
            time.sleep(0.1)
        time.sleep(0.3)
        rc_coturn, out_coturn, _ = run_tool(testhost, ["turnutils_stunclient", HOST_ADDR], timeout=20)
    finally:
        coturn.terminate()
        coturn.wait(timeout=10)
    why = (f"\n--- against sfu turn (exit {rc_ours}):\n{out_ours}\n--- against coturn (exit {rc_coturn}):\n{out_coturn}\n"
           f"--- turnserver log:\n{tail(coturn_log, 15)}\n" + ours.why())
    print(why)
    assert rc_ours == 0 and rc_coturn == 0, "turnutils_stunclient failed" + why
    assert REFLEXIVE.search(out_coturn), "no reflexive address from coturn either: the comparison is void" + why
    assert normalized(out_ours) == normalized(out_coturn), "stunclient output differs between sfu turn and coturn" + why
    assert not re.search(r"error|RFC 5780", out_ours + out_coturn), "RFC 5780 tests or errors appeared" + why


# ------------------------------------------------------------------------------ turnutils_uclient

STATIC = ["-u", TURN_USER, "-w", TURN_PASSWORD]
REST = ["-W", TURN_SECRET, "-u", "uclient-rest"]

RUNS = {
    "udp-static": (STATIC, "4"),
    "udp-rest": (REST, "4"),
    "tcp-static": (["-t", *STATIC], "4"),
    "tcp-rest": (["-t", *REST], "4"),
    "udp-ipv6-relay": (["-x", *STATIC], "6"),
    "tls": (["-t", "-S", "-p", str(TURN_TLS_PORT), *STATIC], "4"),
}


@pytest.mark.parametrize("run", list(RUNS), ids=list(RUNS))
def test_uclient_relays(bed, run):
    """turnutils_uclient relays through sfu turn to turnutils_peer (an echo) without losing a packet."""
    args, family = RUNS[run]
    peer = [HOST_ADDR6, str(PEER6_PORT)] if family == "6" else [HOST_ADDR, str(PEER_PORT)]
    cmd = ["turnutils_uclient", "-v", *args, "-e", peer[0], "-r", peer[1], *LOAD, HOST_ADDR]
    rc, out, elapsed = run_tool(bed.host, cmd, timeout=90)
    bed.uclient_runs += 1
    why = f"\n--- command: {' '.join(cmd)} ({elapsed:.1f}s)" + bed.why(out)
    assert bed.server.alive(), "sfu turn died during the run" + why
    assert rc == 0, f"turnutils_uclient exit status {rc}" + why
    lost = re.search(r"Total lost packets (\d+)", out)
    assert lost, "no 'Total lost packets' line: the run did not finish" + why
    assert int(lost.group(1)) == 0, f"Total lost packets {lost.group(1)}, wanted 0" + why
    totals = re.search(r"tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$", out, re.M)
    assert totals and int(totals.group(1)) == CLIENTS * MESSAGES == int(totals.group(2)), \
        f"sent/received {totals.groups() if totals else None}, wanted {CLIENTS * MESSAGES} each" + why
    relays = re.findall(r"IPv([46])\. Received relay addr: (\S+):(\d+)\s*$", out, re.M)
    assert relays, "uclient -v printed no relayed address" + why
    # Without --relay-ip the relayed address is the address the client reached the relay at (or,
    # for the other family, the host's address of that family): never loopback, which no peer
    # could send to. fd00:213::1 is the test host's only IPv6 address that is not loopback.
    want_ip = HOST_ADDR6 if family == "6" else HOST_ADDR
    for fam, ip, port in relays:
        assert fam == family and ip == want_ip, \
            (f"relayed address {ip} (IPv{fam}), wanted {want_ip}: the client reached the relay at {HOST_ADDR}"
             + (" and a loopback relayed address is unreachable for any peer" if ip in ("127.0.0.1", "::1") else "")
             + why)
        assert TURN_RELAY_PORTS[0] <= int(port) <= TURN_RELAY_PORTS[1], f"relay port {port} outside --min/--max-port" + why
    if run == "tls":
        # uclient tries random TLS versions per connection; TLS 1.0/1.1 attempts fail on the
        # client's side (OpenSSL 3 refuses their SHA-1 signatures) and it retries: what counts is
        # that sessions connected and every packet went through them.
        assert "client session connected with cipher" in out, "no TLS session was established" + why


def test_statistics_after_uclient_runs(bed):
    """At SIGTERM the relay prints its statistics: the uclient runs' allocations and packets, and
    no authentication failures or refused peers (a 401 challenge is not a failure)."""
    bed.server.stop()
    stats = bed.server.statistics()
    why = f"\n--- statistics line: {bed.server.statistics_line()}" + bed.server.why()
    assert bed.server.exit_code == 0, f"sfu turn exit code {bed.server.exit_code} after SIGTERM" + why
    assert stats is not None, "no statistics line on stderr after SIGTERM" + why
    runs = bed.uclient_runs
    assert stats["created"] >= CLIENTS * runs, f"{stats['created']} allocations created by {runs} runs of {CLIENTS} clients" + why
    assert stats["packets to peers"] >= CLIENTS * MESSAGES * runs, f"packets to peers {stats['packets to peers']}" + why
    assert stats["packets to clients"] >= CLIENTS * MESSAGES * runs, f"packets to clients {stats['packets to clients']}" + why
    assert stats["auth failures"] == 0, "coturn's clients authenticate correctly: no failures expected" + why
    assert stats["refused peers"] == 0, "the echo peers are allow-listed: no refusals expected" + why
