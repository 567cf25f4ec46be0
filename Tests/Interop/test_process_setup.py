"""`sfu serve` sets its process up for a long life (issue 15): the soft descriptor limit is
raised to the hard one (a service default of 1 024 let idle connections lock everyone out), and
a closed log pipe does not kill it (SIGPIPE ignored)."""
import os
import subprocess
import time
from pathlib import Path

from conftest import sfu_bin

PORT = 8090


def soft_nofile(pid):
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return None


def healthz(testhost, port):
    p = testhost.run_python(
        "import urllib.request\n"
        f"print(urllib.request.urlopen('http://127.0.0.1:{port}/healthz', timeout=2).read().decode())", timeout=10)
    return p.returncode == 0


def start(testhost, stdout, stderr, port):
    cmd = ["prlimit", "--nofile=1024:8192", sfu_bin(), "serve", "--dev", "--host", "127.0.0.1", "--port", str(port),
           "--bind", testhost.addr, "--no-turn", "--media-ports", "52000-52099"]
    p = testhost.popen(cmd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and p.poll() is None:
        if healthz(testhost, port):
            return p
        time.sleep(0.2)
    return p


def test_descriptor_soft_limit_is_raised_to_the_hard_limit(testhost):
    log = open(testhost.workdir / "serve.stderr", "wb")
    p = start(testhost, subprocess.DEVNULL, log, PORT)
    try:
        assert p.poll() is None, f"sfu serve exited {p.returncode}: {(testhost.workdir / 'serve.stderr').read_text()[-2000:]}"
        # `ip netns exec` and prlimit exec: the pid is the server's.
        assert soft_nofile(p.pid) == 8192, f"soft descriptor limit {soft_nofile(p.pid)}, wanted the hard limit 8192"
        assert "descriptor limit" in (testhost.workdir / "serve.stderr").read_text()
    finally:
        p.terminate()
        p.wait(timeout=15)
        log.close()


def test_a_closed_log_pipe_does_not_kill_the_server(testhost):
    r, w = os.pipe()
    os.close(r)   # nobody will ever read what the server logs
    p = start(testhost, w, w, PORT + 1)
    os.close(w)
    try:
        time.sleep(1.0)
        assert p.poll() is None, f"sfu serve died writing to a closed pipe (exit {p.returncode}; -13 is SIGPIPE)"
        assert healthz(testhost, PORT + 1), "sfu serve stopped answering /healthz"
    finally:
        p.terminate()
        p.wait(timeout=15)
        assert p.returncode in (0, -15), f"exit status {p.returncode} after SIGTERM"
