"""`sfu serve` stopped with SIGTERM mid-call: every session gets `bye`, the process exits 0."""
import json
import os
import subprocess
import sys
import time

from conftest import PEERS, PeerResult, sfu_bin


def test_sigterm_says_bye(room_server, testhost):
    env = dict(os.environ, SFU_BIN=sfu_bin(), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1")
    p = testhost.popen([sys.executable, str(PEERS / "room_watch.py"), "--workdir", str(testhost.workdir),
                        "--ws", room_server.ws, "--http", room_server.http, "--wait", "20"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(testhost.workdir))
    t0 = time.monotonic()
    line = ""
    while time.monotonic() - t0 < 30 and p.poll() is None:
        line = p.stdout.readline()
        if line.startswith("JOINED") or line.startswith("RESULT"):
            break
    joined = line.startswith("JOINED")
    t_term = time.monotonic()
    room_server.stop(grace=10.0)
    stop_seconds = round(time.monotonic() - t_term, 2)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=5)
    res = PeerResult("room_watch.py", p.returncode, line + out, err, testhost.workdir, time.monotonic() - t0)
    why = room_server.why(res) + f"\n--- server exit code {room_server.exit_code} after {stop_seconds}s; {room_server.stop_note}\n"
    assert joined, "participants never got into the call" + why
    assert room_server.stop_note is None and room_server.exit_code == 0, \
        f"sfu serve after SIGTERM: exit code {room_server.exit_code}, {room_server.stop_note}" + why
    for who in ("pub", "plain"):
        v = res[who]
        assert v["bye"], f"{who} got no bye before the close: {json.dumps(v)}" + why
        assert v["closed"], f"{who}'s connection still open after the server stopped" + why
