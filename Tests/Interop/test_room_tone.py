"""`sfu serve`: an aiortc participant's Opus tone reaches another aiortc participant intact."""


def test_tone_through_room(room_server):
    r = room_server.run_peer("room_tone.py", ["--hz", "440", "--seconds", "3"], timeout=90)
    why = room_server.why(r)
    assert r["phase"] == "done", f"stopped at phase {r['phase']}: {r['notes']}" + why
    assert r["trackOwner"] == r["pubParticipantId"], "subscriber-offer maps the track to another participant" + why
    audio = r["audio"]
    assert r["framesDecoded"] >= 150, f"subscriber decoded only {r['framesDecoded']} audio frames" + why
    assert audio["dominantHz"] is not None and abs(audio["dominantHz"] - 440) <= 10, \
        f"dominant frequency {audio['dominantHz']} Hz, wanted 440±10" + why
    assert audio["rms"] > 100, f"tone nearly silent (RMS {audio['rms']})" + why
    assert r["pubLeave"] == "bye", f"leave answered {r['pubLeave']!r}, wanted bye" + why
    left = r["subSawLeft"]
    assert left and left.get("reason") == "left", f"subscriber's participant-left: {left!r}, wanted reason left" + why
