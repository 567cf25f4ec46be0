"""Headless Chromium (libwebrtc) against `sfu probe`, candidates trickled both ways."""
from test_aiortc import assert_clean_exit


# Chromium's names for the SRTP profiles in getStats' transport.srtpCipher.
CHROME_SRTP_NAMES = {
    "AEAD_AES_128_GCM": "SRTP_AEAD_AES_128_GCM",
    "AES_CM_128_HMAC_SHA1_80": "SRTP_AES128_CM_HMAC_SHA1_80",
}


def test_chromium_echo(testhost):
    # The probe offers both profiles (GCM first); Chromium 156 has been seen to negotiate only
    # AES_CM_128_HMAC_SHA1_80 (even with itself), so only agreement is asserted here.
    r = testhost.run_peer("chromium_peer.py", [], timeout=90)
    why = r.describe()
    p = r.probe
    chrome = r.get("chrome") or {}
    assert r.get("phase") == "media-flowing", f"media never flowed (phase {r.get('phase')})" + why
    assert any(t.get("dtlsState") == "connected" for t in chrome.get("transports", [])), "Chromium DTLS not connected" + why
    assert p["srtpProfile"] in CHROME_SRTP_NAMES, f"probe reports SRTP profile {p['srtpProfile']!r}" + why
    assert r.get("srtpCipher") == CHROME_SRTP_NAMES[p["srtpProfile"]], \
        f"Chromium reports srtpCipher {r.get('srtpCipher')!r}, probe {p['srtpProfile']!r}" + why
    assert any(isinstance(c, str) for c in r["candidatesSentToProbe"]), "Chromium trickled no candidates to the probe" + why
    assert r["candidatesFromProbe"], "probe trickled no candidates that Chromium accepted" + why
    inbound = chrome.get("inbound", [])
    audio = [x for x in inbound if x.get("kind") == "audio"]
    video = [x for x in inbound if x.get("kind") == "video"]
    assert audio and audio[0]["packetsReceived"] > 0, "Chromium received no audio back" + why
    assert video and video[0]["framesDecoded"] > 0, "Chromium decoded no video back" + why
    assert not p["errors"], f"probe reported errors {p['errors']}" + why
    stats = r["statsRequested"]
    assert stats, "probe answered no stats request" + why
    assert stats["unprotectFailures"] == 0 and stats["parseFailures"] == 0, "probe failures" + why
    opus, vp8 = r["offerPayloadTypes"]["opus"][0], r["offerPayloadTypes"]["vp8"][0]
    pts = stats.get("payloadTypes") or {}
    assert pts.get(opus, 0) > 0 and pts.get(vp8, 0) > 0, f"probe payload types {pts}, wanted {opus} and {vp8}" + why
    assert_clean_exit(r)


def test_chromium_ice_restart(testhost):
    # RFC 8445 9 / RFC 8839 4.4.1.1.1: Chromium's restartIce() offers a new ufrag; the probe
    # answers with new credentials of its own, ICE reconnects and the echoed video keeps being
    # decoded on the same DTLS association.
    r = testhost.run_peer("chromium_peer.py", ["--ice-restart"], timeout=120)
    why = r.describe()
    p = r.probe
    assert r.get("phase") == "restarted", f"phase {r.get('phase')}, restart {r.get('restart')}" + why
    ufrags = r["answerUfrags"]
    assert len(ufrags) == 2 and ufrags[0] != ufrags[1], f"answer ufrags {ufrags}: wanted two different ones" + why
    restart = r["restart"]
    assert restart["framesAfter"] >= restart["framesBefore"] + 30, f"video stalled after the restart: {restart}" + why
    assert len([m for m in p["messageTypes"] if m == "answer"]) == 2, "probe answered the restart offer once" + why
    assert p["dtlsStates"].count("connected") == 1, f"DTLS renegotiated: {p['dtlsStates']}" + why
    assert not p["errors"], f"probe reported errors {p['errors']}" + why
    assert_clean_exit(r)
