"""Interop test plumbing: a network-namespace test host per test, and peer-script runners.

Every test that opens media sockets runs the probe and its peers inside its own test host: a
network namespace with loopback and a veth pair v0/v1 (10.213.0.1/24 and fd00:213::1/64 on v0,
default route via 10.213.0.2), so no WebRTC stack ever gathers or sends on the machine's real interfaces. The
namespace and every process in it are removed after the test, pass or fail.

Peer scripts (peers/*.py) start `sfu probe` themselves (so it inherits the namespace), talk JSON
lines to it, and print `RESULT {json}` as their last line.
"""
import contextlib
import itertools
import json
import re
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

INTEROP_DIR = Path(__file__).resolve().parent
REPO = INTEROP_DIR.parent.parent
PEERS = INTEROP_DIR / "peers"
HOST_ADDR = "10.213.0.1"
# The test host's IPv6 address (RFC 4193 unique-local; DAD off so it is usable at once).
HOST_ADDR6 = "fd00:213::1"
PROBE_MISSING_EXIT = 3

_counter = itertools.count()


def sfu_bin():
    return os.path.abspath(os.environ.get("SFU_BIN") or str(REPO / ".build" / "debug" / "sfu"))


def _run(cmd, timeout=20, check=True):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
    return p


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return "(none)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


class PeerResult:
    def __init__(self, name, returncode, stdout, stderr, workdir, elapsed):
        self.name = name
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.workdir = Path(workdir)
        self.elapsed = elapsed
        self.data = None
        for line in reversed(stdout.splitlines()):
            if line.startswith("RESULT "):
                self.data = json.loads(line[len("RESULT "):])
                break

    @property
    def probe(self):
        return (self.data or {}).get("probe") or {}

    def __getitem__(self, key):
        return (self.data or {})[key]

    def get(self, key, default=None):
        return (self.data or {}).get(key, default)

    def describe(self):
        """Everything needed to understand a failure."""
        d = dict(self.data or {})
        probe = dict(d.pop("probe", {}) or {})
        for k in ("answer",):
            probe.pop(k, None)
        return (
            f"\n--- {self.name}: exit {self.returncode} after {self.elapsed:.1f}s\n"
            f"--- result:\n{json.dumps(d, indent=1, default=str)[:6000]}\n"
            f"--- probe:\n{json.dumps(probe, indent=1, default=str)[:6000]}\n"
            f"--- probe stderr (tail):\n{tail(self.workdir / 'probe.stderr')}\n"
            f"--- peer stderr (tail):\n{chr(10).join(self.stderr.splitlines()[-30:])}\n"
        )


class TestHost:
    """One network namespace shaped like an ordinary host."""

    def __init__(self, name, workdir):
        self.name = name
        self.addr = HOST_ADDR
        self.addr6 = HOST_ADDR6
        self.workdir = Path(workdir)
        self._procs = []

    def create(self):
        _run(["ip", "netns", "add", self.name])
        self.exec(["sh", "-c",
                   "ip link set lo up && ip link add v0 type veth peer name v1 && "
                   f"ip addr add {self.addr}/24 dev v0 && ip -6 addr add {self.addr6}/64 dev v0 nodad && "
                   "ip link set v0 up && ip link set v1 up && "
                   "ip route add default via 10.213.0.2 dev v0"])

    def argv(self, cmd):
        return ["ip", "netns", "exec", self.name, *cmd]

    def exec(self, cmd, timeout=20, check=True):
        """Run a command inside the test host; returns CompletedProcess (text)."""
        return _run(self.argv(cmd), timeout=timeout, check=check)

    def popen(self, cmd, **kw):
        """Start a command inside the test host in its own process group (killed at teardown)."""
        p = subprocess.Popen(self.argv(cmd), start_new_session=True, **kw)
        self._procs.append(p)
        return p

    def run_python(self, code, timeout=30):
        """Run Python source inside the test host."""
        return self.exec([sys.executable, "-c", code], timeout=timeout, check=False)

    def run_peer(self, script, args=(), timeout=60, env=None):
        """Run peers/<script> inside the test host; returns a PeerResult. Fails the test clearly
        if the probe binary is missing or the peer printed no result."""
        binary = sfu_bin()
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            pytest.fail(f"sfu binary not found at {binary}: build it (swift build) or set SFU_BIN", pytrace=False)
        full_env = dict(os.environ, SFU_BIN=binary, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
        full_env.update(env or {})
        cmd = [sys.executable, str(PEERS / script), "--workdir", str(self.workdir), *args]
        t0 = time.monotonic()
        p = self.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env,
                       cwd=str(self.workdir))
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(p)
            out, err = p.communicate(timeout=10)
            res = PeerResult(script, p.returncode, out, err, self.workdir, time.monotonic() - t0)
            pytest.fail(f"{script} did not finish within {timeout}s" + res.describe(), pytrace=False)
        res = PeerResult(script, p.returncode, out, err, self.workdir, time.monotonic() - t0)
        if p.returncode == PROBE_MISSING_EXIT:
            pytest.fail(f"{script}: {res.get('error')}" + res.describe(), pytrace=False)
        if res.data is None:
            pytest.fail(f"{script} printed no RESULT line" + res.describe(), pytrace=False)
        probe = res.probe
        if probe and not probe.get("messageTypes"):
            pytest.fail(f"sfu probe printed no JSON message (exit code {probe.get('exitCode')}, "
                        f"non-JSON stdout {probe.get('unparsableLines')}): is `{binary} probe` implemented?"
                        + res.describe(), pytrace=False)
        return res

    def pids(self):
        p = _run(["ip", "netns", "pids", self.name], check=False)
        return [int(x) for x in p.stdout.split() if x.strip().isdigit()]

    def destroy(self):
        for p in self._procs:
            _kill_group(p)
        # Anything else still living in the namespace was started by this test: end it by id.
        for _ in range(3):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        _run(["ip", "netns", "del", self.name], check=False)


def _kill_group(p):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            p.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the group may outlive its leader
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture
def testhost(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("interop tests need root (network namespaces): sudo bash scripts/test.sh", pytrace=False)
    name = f"sfut-{os.getpid()}-{next(_counter)}"
    host = TestHost(name, tmp_path)
    try:
        host.create()
        yield host
    finally:
        host.destroy()


# ------------------------------------------------------------------------------ sfu serve

ROOM_PORT = 8080
ROOM_MEDIA_PORTS = "50000-50999"


class ServerProcess:
    """An `sfu` server command inside a test host: its process, stdout and stderr files, and a
    graceful stop. RoomServer (`sfu serve`) and TurnServer (`sfu turn`) add how to start and what
    to read."""

    def __init__(self, host, name):
        self.host = host
        self.stdout_path = host.workdir / f"{name}.stdout"
        self.stderr_path = host.workdir / f"{name}.stderr"
        self.proc = None
        self.exit_code = None
        self.stop_note = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def launch(self, cmd):
        """Start `cmd` in the test host with stdout and stderr to files. `ip netns exec` execs the
        command: the Popen pid is the server's pid (for /proc)."""
        binary = sfu_bin()
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            pytest.fail(f"sfu binary not found at {binary}: build it (swift build) or set SFU_BIN", pytrace=False)
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = self.host.popen(cmd, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def state(self):
        """"running" or "exited with N", for failure messages."""
        return "running" if self.alive() else f"exited with {self.proc.returncode if self.proc else None}"

    def stderr_tail(self, lines=40):
        try:
            self._err.flush()
        except Exception:
            pass
        return tail(self.stderr_path, lines)

    def stop(self, grace=10.0):
        """SIGTERM (graceful), then SIGKILL after `grace` seconds. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.stop_note = f"did not exit within {grace}s of SIGTERM: killed"
                self.proc.kill()
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.exit_code = self.proc.returncode
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f and not f.closed:
                f.close()
        # SFU_KEEP_LOGS=DIR keeps each server's stderr after the test host is gone, named by test.
        keep = os.environ.get("SFU_KEEP_LOGS")
        if keep and self.stderr_path.exists():
            test = re.sub(r"[^A-Za-z0-9_.-]+", "_", os.environ.get("PYTEST_CURRENT_TEST", "test").split(" ")[0])
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"{test}.{self.stderr_path.name}").write_bytes(self.stderr_path.read_bytes())
        return self.exit_code


class RoomServer(ServerProcess):
    """`sfu serve --dev` inside a test host, listening on 127.0.0.1:ROOM_PORT of its namespace."""

    def __init__(self, host, port=ROOM_PORT, media_ports=ROOM_MEDIA_PORTS, extra_args=()):
        super().__init__(host, "sfu-serve")
        self.port = port
        self.media_ports = media_ports
        # SFU_SERVE_ARGS adds flags to every `sfu serve` (e.g. "--log-level debug").
        self.extra_args = list(extra_args) + shlex.split(os.environ.get("SFU_SERVE_ARGS", ""))

    @property
    def http(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self):
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout=30.0):
        self.launch([sfu_bin(), "serve", "--dev", "--host", "127.0.0.1", "--port", str(self.port),
                     "--bind", self.host.addr, "--media-ports", self.media_ports, *self.extra_args])
        # Wait for GET /healthz inside the namespace: one poller process with its own deadline.
        poll = (
            "import json, sys, time, urllib.request\n"
            f"deadline = time.monotonic() + {timeout}\n"
            "last = None\n"
            "while time.monotonic() < deadline:\n"
            "    try:\n"
            f"        with urllib.request.urlopen('{self.http}/healthz', timeout=2) as r:\n"
            "            print(r.read().decode()); sys.exit(0)\n"
            "    except Exception as e:\n"
            "        last = e\n"
            "    time.sleep(0.1)\n"
            "print(repr(last)); sys.exit(1)\n"
        )
        poller = self.host.popen([sys.executable, "-c", poll], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while True:
            try:
                out, _ = poller.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if self.proc.poll() is not None:
                    _kill_group(poller)
                    out = "(server exited)"
                    break
        if poller.returncode != 0 or self.proc.poll() is not None:
            self.stop()
            pytest.fail(f"sfu serve did not answer GET /healthz within {timeout}s "
                        f"(exit code {self.exit_code}; poller: {out.strip()})" + self.why(), pytrace=False)
        self.started_health = out.strip()
        return self

    def healthz(self, timeout=5):
        p = self.host.run_python(
            "import urllib.request\n"
            f"print(urllib.request.urlopen('{self.http}/healthz', timeout={timeout}).read().decode())",
            timeout=timeout + 10)
        if p.returncode != 0:
            raise RuntimeError(f"GET /healthz failed: {p.stderr.strip()[-500:]}")
        return json.loads(p.stdout)

    def rss_kb(self):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return None

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def why(self, res=None, lines=40):
        """Failure context: the peer's view (if any) and the server's stderr tail."""
        state = self.state()
        text = ""
        if res is not None:
            d = dict(res.data or {})
            text += (f"\n--- {res.name}: exit {res.returncode} after {res.elapsed:.1f}s\n"
                     f"--- client view:\n{json.dumps(d, indent=1, default=str)[:12000]}\n"
                     f"--- peer stderr (tail):\n{chr(10).join(res.stderr.splitlines()[-30:])}\n")
        text += f"\n--- sfu serve ({state}) stderr, last {lines} lines:\n{self.stderr_tail(lines)}\n"
        return text

    def run_peer(self, script, args=(), timeout=120, env=None):
        """testhost.run_peer with the server's URLs, pid and stderr tail on failure."""
        full = ["--ws", self.ws, "--http", self.http, "--server-pid", str(self.pid), *args]
        try:
            return self.host.run_peer(script, full, timeout=timeout, env=env)
        except pytest.fail.Exception as e:
            pytest.fail(str(e) + self.why(), pytrace=False)


@pytest.fixture
def room_server(testhost):
    """`sfu serve --dev` in this test's test host; stopped (SIGTERM, then SIGKILL) at teardown."""
    server = RoomServer(testhost).start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def make_testhost(workdir):
    """A test host outside the function-scoped fixture (for module-scoped runs)."""
    if os.geteuid() != 0:
        pytest.fail("interop tests need root (network namespaces): sudo bash scripts/test.sh", pytrace=False)
    host = TestHost(f"sfut-{os.getpid()}-{next(_counter)}", workdir)
    try:
        host.create()
        yield host
    finally:
        host.destroy()


# ------------------------------------------------------------------------------ sfu turn

TURN_REALM = "turn.test"
TURN_USER = "alice"
TURN_PASSWORD = "alice-turn-password"
# The TURN REST API shared secret (sfu turn wants at least 16 bytes).
TURN_SECRET = "interop-rest-secret-0123456789"
TURN_PORT = 3478
TURN_TLS_PORT = 5349
TURN_RELAY_PORTS = (50000, 50999)


class NetnsSockets:
    """Makes sockets inside a test host's network namespace from the pytest process itself.

    setns(2) with CLONE_NEWNET moves only the calling thread, so each socket is made by a short-
    lived helper thread that joined the namespace first; a socket belongs to the namespace it was
    made in for life, so the test then uses it from any thread. Pass an instance as
    `sock_factory` to peers/stun_client.py's transports."""

    CLONE_NEWNET = 0x40000000

    def __init__(self, netns_name):
        self.path = f"/run/netns/{netns_name}"

    def __call__(self, family=None, type=None, proto=0):
        import ctypes
        import socket
        import threading

        family = socket.AF_INET if family is None else family
        type = socket.SOCK_DGRAM if type is None else type
        out = {}

        def make():
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    if libc.setns(fd, self.CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({self.path}): {os.strerror(err)}")
                finally:
                    os.close(fd)
                out["sock"] = socket.socket(family, type, proto)
            except BaseException as e:  # handed to the caller's thread
                out["error"] = e

        worker = threading.Thread(target=make, name="netns-socket")
        worker.start()
        worker.join()
        if "error" in out:
            raise out["error"]
        return out["sock"]


class TurnServer(ServerProcess):
    """`sfu turn` inside a test host: every interface address of the namespace (10.213.0.1,
    fd00:213::1, 127.0.0.1, ::1), UDP and TCP port 3478 (TLS 5349 when --cert/--pkey are given),
    static user TURN_USER, REST secret TURN_SECRET, realm TURN_REALM, relay ports
    TURN_RELAY_PORTS. `extra_args` are appended (e.g. --allowed-peer-ip, --nonce-lifetime).

    Ready when it prints "sfu turn: listening udp [...] tcp [...] tls [...] realm R" on stdout;
    at SIGTERM it prints its statistics on stderr ("sfu turn: allocations=... auth failures=N ...")."""

    def __init__(self, host, extra_args=(), name="sfu-turn"):
        super().__init__(host, name)
        self.extra_args = [str(a) for a in extra_args]
        self.listening = None
        self.sockets = NetnsSockets(host.name)

    def command(self):
        return [sfu_bin(), "turn", "--realm", TURN_REALM, "--user", f"{TURN_USER}:{TURN_PASSWORD}",
                "--static-auth-secret", TURN_SECRET, "--min-port", str(TURN_RELAY_PORTS[0]),
                "--max-port", str(TURN_RELAY_PORTS[1]), *self.extra_args]

    def start(self, timeout=20.0):
        self.launch(self.command())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self._listening_line()
            if line:
                self.listening = self._parse_listening(line)
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        state = "exited with %s" % self.proc.returncode if self.proc.poll() is not None else "still running"
        self.stop()
        pytest.fail(f"sfu turn printed no 'sfu turn: listening' line within {timeout}s ({state})\n"
                    f"--- command: {' '.join(self.command())}\n--- stdout:\n{tail(self.stdout_path)}"
                    + self.why(), pytrace=False)

    def _listening_line(self):
        try:
            text = self.stdout_path.read_text(errors="replace")
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith("sfu turn: listening"):
                return line
        return None

    @staticmethod
    def _parse_listening(line):
        import re
        out = {}
        for kind in ("udp", "tcp", "tls"):
            m = re.search(kind + r" \[(.*?)\](?= (?:tcp|tls|realm))", line)
            out[kind] = [a.strip() for a in m.group(1).split(", ")] if m and m.group(1).strip() else []
        m = re.search(r"realm (\S+)", line)
        out["realm"] = m.group(1) if m else None
        out["line"] = line
        return out

    def statistics_line(self):
        """The "sfu turn: allocations=..." line printed at SIGTERM (None before stop or if missing)."""
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError:
            return None
        found = None
        for line in text.splitlines():
            if line.startswith("sfu turn: ") and "allocations=" in line:
                found = line
        return found

    def statistics(self):
        """The statistics line as a dict: {"allocations": 0, "created": 3, "packets to peers": ...,
        "packets to clients": ..., "auth failures": 2, "refused peers": 1, "malformed": ...}."""
        import re
        line = self.statistics_line()
        if line is None:
            return None
        stats = {}
        previous = ""
        for key, value in re.findall(r"([a-z][a-z ]*?)=(\d+)", line[len("sfu turn: "):]):
            key = key.strip()
            if key.startswith("to ") and previous:
                key = previous.split(" ")[0] + " " + key  # "packets to peers=1 to clients=2"
            stats[key] = int(value)
            previous = key
        return stats

    def why(self, lines=40):
        note = f" ({self.stop_note})" if self.stop_note else ""
        return f"\n--- sfu turn ({self.state()}{note}) stderr, last {lines} lines:\n{self.stderr_tail(lines)}\n"


@pytest.fixture
def turn_server(testhost, request):
    """`sfu turn` in this test's test host, stopped (SIGTERM, then SIGKILL) at teardown. Extra
    arguments by indirect parametrization:
    @pytest.mark.parametrize("turn_server", [["--nonce-lifetime", "2"]], indirect=True)"""
    server = TurnServer(testhost, getattr(request, "param", None) or ()).start()
    try:
        yield server
    finally:
        server.stop()


# --- HTTP and Prometheus text helpers (the metrics and load tests) ---

def http_get(server, path, token=None, timeout=5, base=None):
    """GET inside `server`'s test host, at its HTTP address (or `base`); (status, body)."""
    header = f"req.add_header('Authorization', 'Bearer {token}')\n" if token else ""
    code = (
        "import json, urllib.request, urllib.error\n"
        f"req = urllib.request.Request('{base or server.http}{path}')\n"
        + header +
        "try:\n"
        f"    r = urllib.request.urlopen(req, timeout={timeout})\n"
        "    print(json.dumps({'status': r.status, 'body': r.read().decode()}))\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(json.dumps({'status': e.code, 'body': e.read().decode()}))\n")
    p = server.host.run_python(code, timeout=timeout + 10)
    assert p.returncode == 0, f"GET {path} failed: {p.stderr[-500:]}"
    d = json.loads(p.stdout)
    return d["status"], d["body"]


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$')


def parse_exposition(text):
    """{(name, labels): value} of every sample line; the families' TYPE lines."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        samples[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return samples, types


def histogram_quantile(samples, name, q):
    """Upper bound of the bucket holding quantile q (Prometheus histogram_quantile without
    interpolation), from the cumulative buckets of an unlabelled histogram."""
    buckets = []
    for (n, labels), value in samples.items():
        if n == f"{name}_bucket":
            le = re.search(r'le="([^"]+)"', labels).group(1)
            buckets.append((float("inf") if le == "+Inf" else float(le), value))
    buckets.sort()
    total = buckets[-1][1]
    for bound, cumulative in buckets:
        if cumulative >= q * total:
            return bound
    return None


def histogram_count(samples, name, labels=""):
    return samples.get((f"{name}_count", labels), 0)
