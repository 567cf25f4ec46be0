"""Simulcast in real browsers (issue 14): a Chromium publisher's three layers, two subscribers
rendering it at different sizes, and forced switches between its smallest and largest layer
(peers/room_simulcast.py; docs/benchmarks.md, "Simulcast")."""
import json
import os


# One run of the peer serves both tests (it takes a minute or two); a test run alone makes its own.
_runs = {}


def simulcast_run(room_server):
    if "result" not in _runs:
        switches = os.environ.get("SFU_SIMULCAST_SWITCHES", "50")
        r = room_server.run_peer("room_simulcast.py", ["--switches", switches], timeout=400)
        _runs["result"], _runs["why"] = r, room_server.why(r, lines=30)
    return _runs["result"], _runs["why"]


def test_subscribers_rendering_at_different_sizes_get_different_layers_and_switch_cleanly(room_server):
    r, why = simulcast_run(room_server)
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


def test_layers_no_subscriber_needs_are_paused_at_the_publisher_and_resumed_on_demand(room_server):
    """The same run, after the switches: once B and C both show A 150 px wide, no one needs A's 640 and 1280 px
    layers; the server tells A (`layers`, 5 s after the need fell) and A's encoder stops sending
    them, while B and C keep decoding the 320 px one. When B shows A 1280 px wide again, the
    layers resume and B decodes 1280 within 5 s."""
    r, why = simulcast_run(room_server)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    pause = r["pause"]
    print(json.dumps(pause, indent=1))
    assert pause.get("pausedAfter") is not None, f"A still sends layers no one needs: {pause}" + why
    assert pause["serverAfter"].get("f", [0, False])[1] and pause["serverAfter"].get("h", [0, False])[1], \
        f"the SFU's stats do not show A's 640 and 1280 px layers paused: {pause['serverAfter']}" + why
    assert not pause["serverAfter"].get("q", [0, True])[1], f"A's smallest layer is paused: {pause['serverAfter']}" + why
    for page in ("B", "C"):
        view = pause["decodingWhilePaused"][page] or {}
        assert view.get("frameWidth") == 320, f"{page} does not decode A's 320 px layer while the others are paused: {view}" + why
    assert pause.get("resumedAfter") is not None and pause["resumedAfter"] <= 5.0, \
        f"B did not get A's 1280 px layer back within 5 s of asking: {pause}" + why
    assert pause["sentResumed"].get("f", 0) > 0, f"A's 1280 px layer did not resume: {pause['sentResumed']}" + why
