"""Temporal layers left out for a thin link (issue 14): a Chromium publisher's VP8 simulcast, a
viewer that wants its smallest layer behind a link that cannot carry it whole; the SFU forwards
fewer frames a second instead of a frozen picture, and all of them again once the link recovers
(peers/room_temporal.py; docs/benchmarks.md, "Temporal layers")."""
import json
import os


def test_a_viewer_below_the_smallest_layer_gets_fewer_frames_not_freezes(room_server):
    r = room_server.run_peer("room_temporal.py", ["--kbits", os.environ.get("SFU_TEMPORAL_KBITS", "130")], timeout=300)
    why = room_server.why(r, lines=30)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    print(json.dumps({k: r.get(k) for k in ("layersA", "sentA", "before", "secondHalf", "recovered", "fpsBackAfter")}, indent=1))
    print("limited:", r["limited"])
    print("recovery:", r["recovery"])
    smallest = min((layer for layer in r["layersA"] if layer.get("width")), key=lambda layer: layer["width"])
    assert (smallest.get("temporalLayers") or 0) >= 2, f"A's smallest layer has no temporal layers: {r['layersA']}" + why
    before, half = r["before"], r["secondHalf"]
    assert before["fpsC"] >= 18, f"C decodes A at {before['fpsC']} fps before the limit: {before}" + why
    assert half["droppedForC"] > 0, f"the SFU left out no temporal layer for C: {half}" + why
    assert half["fpsC"] >= 4, f"C decodes A at {half['fpsC']} fps in the second half of the limit: {half}" + why
    assert half["fpsC"] < before["fpsC"] * 0.8, f"C's frame rate did not fall under the limit: {before} -> {half}" + why
    assert half["freezeSecondsC"] <= 1.0, f"C froze {half['freezeSecondsC']} s in the second half of the limit: {half}" + why
    assert r["fpsBackAfter"] is not None and r["fpsBackAfter"] <= 20, \
        f"C's frame rate not back within 20 s of the link's recovery: {r['recovery']}" + why
