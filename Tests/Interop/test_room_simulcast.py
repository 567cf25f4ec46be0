"""Simulcast in real browsers (issue 14): a Chromium publisher's three layers, two subscribers
rendering it at different sizes, and forced switches between its smallest and largest layer
(peers/room_simulcast.py; docs/benchmarks.md, "Simulcast")."""
import json
import os


def test_subscribers_rendering_at_different_sizes_get_different_layers_and_switch_cleanly(room_server):
    switches = os.environ.get("SFU_SIMULCAST_SWITCHES", "50")
    r = room_server.run_peer("room_simulcast.py", ["--switches", switches], timeout=400)
    why = room_server.why(r, lines=30)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    print(json.dumps({k: r.get(k) for k in ("threeLayersAfter", "publisherEstimate", "published", "settled", "switches")}, indent=1))
    layers = sorted((s for s in r["published"] if s["bitrate"] > 0), key=lambda s: s["frameWidth"])
    assert [s["frameWidth"] for s in layers] == [320, 640, 1280], f"A does not send three layers: {r['published']}" + why
    assert r["settled"]["B"]["frameWidth"] == 1280, f"B (tile 1280 px) receives {r['settled']['B']}" + why
    assert r["settled"]["C"]["frameWidth"] == 320, f"C (tile 150 px) receives {r['settled']['C']}" + why
    switches = r["switches"]
    assert not switches["failed"], f"{len(switches['failed'])} of {switches['count']} switches did not happen in time: " \
                                   f"{switches['failed'][:5]}" + why
    before, after = switches["before"], switches["after"]
    assert after["freezeCount"] == before["freezeCount"], f"C froze during the switches: {before} -> {after}" + why
    assert after["framesDecoded"] > before["framesDecoded"], f"C decoded nothing during the switches" + why
