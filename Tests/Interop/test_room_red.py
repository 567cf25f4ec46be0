"""Redundant audio (RFC 2198) passed through (issue 14's loss repair): a Chromium listener that
loses 15 % of the SFU's packets to it conceals far less of a Chromium speaker's audio with RED
than the same call through a server started with --no-audio-red (peers/room_red.py;
docs/benchmarks.md, "Redundant audio under loss")."""
import json
import os

from conftest import RoomServer


def run(testhost, extra_args):
    server = RoomServer(testhost, extra_args=extra_args).start()
    try:
        r = server.run_peer("room_red.py", ["--loss", os.environ.get("SFU_RED_LOSS", "15")], timeout=180)
        why = server.why(r, lines=30)
        assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
        return r["window"], why
    finally:
        server.stop()


def test_red_covers_a_listeners_losses(testhost):
    with_red, why = run(testhost, [])
    without, why_without = run(testhost, ["--no-audio-red"])
    print(json.dumps({"with RED": with_red, "without": without}, indent=1))
    assert without["lossRatio"] >= 0.08, f"the loss did not bite: {without}" + why_without
    assert with_red["lossRatio"] >= 0.08, f"the loss did not bite: {with_red}" + why
    assert without["concealedRatio"] >= 0.05, f"without RED, little was concealed: {without}" + why_without
    assert with_red["concealedRatio"] <= without["concealedRatio"] * 0.5, \
        f"RED did not halve the concealed audio: with {with_red}, without {without}" + why
