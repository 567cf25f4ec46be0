"""`sfu serve`: a browser killed mid-call (SIGKILL) is cleaned up and the others are told.

`sfu serve` has no flag for the consent timeout (docs/operations.md: 30 s by default) and keeps a
participant whose WebSocket dropped for 20 s for a resume (docs/signaling.md, "Reconnect"), so
whichever comes first ends the session: `participant-left` with reason `signaling-lost` (the
kernel closed the dead browser's TCP connection) or `media-lost` (consent) within 35 s.
"""

LEFT_WITHIN = 35.0


def test_killed_browser_is_cleaned_up(room_server):
    r = room_server.run_peer("room_kill.py", ["--left-timeout", "45"], timeout=150)
    why = room_server.why(r, lines=60)
    assert r["phase"] in ("killed", "done"), f"never got mid-call (phase {r['phase']}): {r['notes']}" + why
    left = r.get("left")
    assert left, f"observer never got participant-left for the killed page within 45 s; " \
                 f"it got {r.get('otherMessages')}" + why
    assert r["leftAfter"] <= LEFT_WITHIN, f"participant-left {r['leftAfter']} s after the kill, wanted <= {LEFT_WITHIN}" + why
    assert left.get("reason") in ("signaling-lost", "media-lost"), \
        f"participant-left reason {left.get('reason')!r}, wanted signaling-lost or media-lost" + why
    assert r["offerWithoutVictim"], "no subscriber-offer without the killed page's tracks followed" + why
    h = r["healthAfter"] or {}
    assert h.get("participants", h.get("sessions")) == 1, f"/healthz after cleanup: {h} (only the observer should be left)" + why
    assert r["observerStillConnected"], "the observer lost its connection" + why
