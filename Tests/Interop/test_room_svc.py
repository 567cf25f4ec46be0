"""Spatial layers (SVC) in real browsers (issue 14): a Chromium publisher sends VP9 or AV1 as one
stream of three spatial layers (sfu-client's `L3T3_KEY`); two Chromium subscribers rendering it
at different sizes receive different layers of it, and one switching back and forth between
sizes gets each new size without a freeze (peers/room_svc.py; docs/benchmarks.md, "Spatial
layers")."""
import json

import pytest


@pytest.mark.parametrize("codec", ["VP9", "AV1"])
def test_subscribers_rendering_at_different_sizes_get_different_spatial_layers(room_server, codec):
    r = room_server.run_peer("room_svc.py", ["--codec", codec], timeout=240)
    why = room_server.why(r, lines=30)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    summary = json.dumps({k: r.get(k) for k in ("settledAfter", "published", "server", "settled", "codecB", "codecC", "switches", "B")},
                         indent=1)
    print(summary)
    published = r["published"] or []
    assert any(p.get("scalabilityMode") == "L3T3_KEY" and p.get("codec") == f"video/{codec}" for p in published), \
        f"A does not send {codec} in L3T3_KEY: {published}" + why
    server = r["server"] or {}
    assert server.get("spatialLayers") == 3 and server.get("spatialLayerWidths") == [320, 640, 1280], \
        f"the SFU does not see three spatial layers: {server}" + why
    assert r["codecB"] == r["codecC"] == f"video/{codec}", f"B and C receive {r['codecB']}, {r['codecC']}" + why
    settled = r["settled"]
    assert settled["B"].get("frameWidth") == 1280 and settled["C"].get("frameWidth") == 320, \
        f"B and C decode {settled['B'].get('frameWidth')} and {settled['C'].get('frameWidth')} px, not 1280 and 320\n{summary}" + why
    switches = r["switches"]
    assert switches["count"] == 20 and not switches["failed"], f"switches not seen within 5 s: {switches['failed']}\n{summary}" + why
    before, after = switches["before"], switches["after"]
    assert after["freezeCount"] == before["freezeCount"], f"C froze while switching\n{summary}" + why
    assert after["framesDecoded"] > before["framesDecoded"] + 100, f"C decoded too little while switching\n{summary}" + why
    assert r["B"].get("frameWidth") == 1280 and r["B"].get("freezeCount", 0) == settled["B"].get("freezeCount", 0), \
        f"B left 1280 px or froze\n{summary}" + why
