"""Interop test plumbing: a network-namespace test host per test, and peer-script runners.

Every test that opens media sockets runs the probe and its peers inside its own test host: a
network namespace with loopback and a veth pair v0/v1 (10.213.0.1/24 on v0, default route via
10.213.0.2), so no WebRTC stack ever gathers or sends on the machine's real interfaces. The
namespace and every process in it are removed after the test, pass or fail.

Peer scripts (peers/*.py) start `sfu probe` themselves (so it inherits the namespace), talk JSON
lines to it, and print `RESULT {json}` as their last line.
"""
import itertools
import json
import os
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
        self.workdir = Path(workdir)
        self._procs = []

    def create(self):
        _run(["ip", "netns", "add", self.name])
        self.exec(["sh", "-c",
                   "ip link set lo up && ip link add v0 type veth peer name v1 && "
                   f"ip addr add {self.addr}/24 dev v0 && ip link set v0 up && ip link set v1 up && "
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
