"""`sfu load --target janus`: the same participants against Janus's VideoRoom plugin (Debian's
`janus`, the configuration in Benchmarks/Janus: WebSocket API on 127.0.0.1, media on the test
host's veth only), the counterpart the side-by-side benchmark measures against."""
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import sfu_bin

CONFIG = Path(__file__).resolve().parents[2] / "Benchmarks" / "Janus"


def test_load_against_janus_videoroom(testhost):
    if shutil.which("janus") is None:
        pytest.fail("janus not installed (scripts/install-deps.sh installs it)", pytrace=False)
    janus_log = open(testhost.workdir / "janus.log", "wb")
    janus = testhost.popen(["janus", "--configs-folder", str(CONFIG), "-i", testhost.addr],
                           stdout=janus_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            listening = testhost.exec(["ss", "-tln", "sport = :8188"], check=False).stdout
            if ":8188" in listening:
                break
            assert janus.poll() is None, "janus exited:\n" + (testhost.workdir / "janus.log").read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        out = testhost.workdir / "janus-load.json"
        p = testhost.exec([sfu_bin(), "load", "--target", "janus", "--bind", testhost.addr, "--subscribers", "5",
                           "--duration", "6", "--room", "janus-room", "--json", str(out)], timeout=90, check=False)
        text = p.stdout + p.stderr
        janus_tail = (testhost.workdir / "janus.log").read_text(errors="replace")[-2000:]
        assert p.returncode == 0, f"sfu load against janus exited {p.returncode}:\n{text[-3000:]}\n--- janus:\n{janus_tail}"
        report = json.loads(out.read_text())
        assert report["joined"] == 6 and report["failed"] == 0, report["errors"]
        assert report["packetsExpected"] > 0 and report["packetsLost"] == 0, text
        for o in report["outcomes"]:
            if not o["publishes"]:
                assert o["video"]["packets"] > 500 and o["audio"]["packets"] > 150, o
    finally:
        janus.terminate()
        try:
            janus.wait(timeout=10)
        except subprocess.TimeoutExpired:
            janus.kill()
        janus_log.close()
