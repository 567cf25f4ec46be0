"""The publisher capped by what its subscribers can take (issue 14, REMB): a Chromium publisher
of one VP9 stream whose only viewer's link is limited to 300 kbit/s brings its encoder's target
under the limit, and the viewer keeps decoding (peers/room_publish_cap.py; docs/benchmarks.md,
"A publisher capped by its only viewer's link")."""
import json
import os


def test_a_single_stream_publisher_fits_its_only_viewers_thin_link(room_server):
    r = room_server.run_peer("room_publish_cap.py", ["--kbits", os.environ.get("SFU_CAP_KBITS", "300")], timeout=240)
    why = room_server.why(r, lines=30)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    print(json.dumps({k: r.get(k) for k in ("before", "targetUnderLimitAfter", "secondHalf")}, indent=1))
    print("timeline:", [(row["t"], row["A"]["target"], row["A"]["bitrate"], row.get("capA"), row.get("estimateC"),
                         row["C"].get("frameWidth"), row["C"].get("freezeCount")) for row in r["timeline"]])
    limit = r["kbits"] * 1000
    assert (r["before"]["A"]["target"] or 0) > limit, f"A's target was under the limit already: {r['before']}" + why
    assert r["targetUnderLimitAfter"] is not None and r["targetUnderLimitAfter"] <= 10, \
        f"A's encoder target not under {limit:g} within 10 s of the limit: {r['timeline']}" + why
    half = r["secondHalf"]
    assert half["targetA"] < limit, f"A's target went back over the limit: {half}" + why
    assert half["fpsC"] >= 5, f"C decodes A at {half['fpsC']} fps in the second half of the limit: {half}" + why
    assert half["freezeSecondsC"] <= 1.0, f"C froze {half['freezeSecondsC']} s in the second half of the limit: {half}" + why
