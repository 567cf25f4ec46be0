"""Video quality in real browsers through the SFU, against the same browser's direct call in the
same run (issue 14's unconstrained-link acceptance; docs/benchmarks.md, "Browser video quality").

Two Chromium pages on the demo page publish their fake cameras to each other through `sfu serve`;
a third page of the same browser sends the same camera over a direct peer-to-peer call. After the
congestion controllers settle, each page must receive at least 90 % of the direct call's video
bitrate at the same frame width, and no publisher's encoder may be limited by bandwidth: without
transport-wide feedback from the SFU a publisher stays at its start rate (~30 kbit/s, 320 px)."""


def describe(r):
    d = r.get("direct") or {}
    lines = [f"direct: received {d.get('received')}, sent {d.get('sent')}"]
    for page, view in (r.get("sfu") or {}).items():
        lines.append(f"{page}: received {view.get('received')}, sent {view.get('sent')}")
    return "\n".join(lines)


def test_two_chromium_pages_through_the_sfu_match_a_direct_call(room_server):
    r = room_server.run_peer("room_quality.py", timeout=150)
    why = room_server.why(r, lines=30)
    assert r["phase"] == "done", f"phase {r['phase']}: {r['notes']}" + why
    direct = r["direct"]["received"]
    # The baseline itself must be a real video call, or every comparison below passes vacuously.
    assert direct and direct["bitrate"] >= 300_000 and direct["frameWidth"] >= 320, \
        f"the direct call is no baseline: {direct}" + why
    summary = describe(r)
    print(summary)  # the figures docs/benchmarks.md quotes (pytest -s shows them)
    for page in ("A", "B"):
        received = r["sfu"][page]["received"]
        assert received, f"{page} received no video through the SFU\n{summary}" + why
        assert received["bitrate"] >= 0.9 * direct["bitrate"], \
            f"{page} receives {received['bitrate']} bit/s through the SFU, under 90 % of the direct call's " \
            f"{direct['bitrate']}\n{summary}" + why
        assert received["frameWidth"] == direct["frameWidth"], \
            f"{page} receives {received['frameWidth']} px wide video, the direct call {direct['frameWidth']}\n{summary}" + why
        sent = r["sfu"][page]["sent"]
        assert sent and sent["qualityLimitationReason"] != "bandwidth", \
            f"{page}'s encoder is limited by bandwidth: {sent}\n{summary}" + why
