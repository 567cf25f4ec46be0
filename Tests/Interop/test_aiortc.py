"""aiortc (an independent Python WebRTC stack) against `sfu probe`."""
import pytest

PROFILES = ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"]


def assert_clean_session(r, profile=None):
    why = r.describe()
    p = r.probe
    assert "connected" in p["iceStates"] or "ready" in p["iceStates"], "ICE never connected" + why
    assert "connected" in p["dtlsStates"], "DTLS never connected" + why
    if profile:
        assert p["srtpProfile"] == profile, f"SRTP profile {p['srtpProfile']!r}, wanted {profile}" + why
    assert not p["errors"], f"probe reported errors {p['errors']}" + why
    stats = r["statsRequested"]
    assert stats, "probe answered no stats request" + why
    assert stats["unprotectFailures"] == 0, "SRTP unprotect failures" + why
    assert stats["parseFailures"] == 0, "RTP parse failures" + why
    opus = r["offerPayloadTypes"]["opus"][0]
    vp8 = r["offerPayloadTypes"]["vp8"][0]
    pts = stats.get("payloadTypes") or {}
    assert pts.get(opus, 0) > 20, f"probe got too few Opus (PT {opus}) packets: {pts}" + why
    assert pts.get(vp8, 0) > 20, f"probe got too few VP8 (PT {vp8}) packets: {pts}" + why
    assert stats["rtpPacketsSent"] > 0, "probe sent no RTP" + why
    # A host pair: media leaves on the pair's own socket, not through the libnice agent.
    pair = stats.get("selectedPair") or {}
    assert pair.get("direct") is True, f"selected pair {pair} not sent on directly" + why
    assert r["framesReceived"]["audio"] > 20, "aiortc decoded too few audio frames" + why
    assert r["framesReceived"]["video"] > 5, "aiortc decoded too few video frames" + why
    assert_clean_exit(r)


def assert_clean_exit(r):
    p = r.probe
    why = r.describe()
    assert p["closed"] is not None, "probe never printed closed" + why
    assert p["exitCode"] == 0, f"probe exit code {p['exitCode']}" + why
    assert not p["killedAfterClose"], "probe had to be killed after close" + why
    assert not p["unparsableLines"], "probe printed non-JSON lines on stdout" + why
    assert r.returncode == 0, "peer script failed" + why


@pytest.mark.parametrize("profile", PROFILES)
def test_echo_with_srtp_profile(testhost, profile):
    r = testhost.run_peer("aiortc_peer.py", [f"--probe-args=--srtp-profiles {profile}", "--duration", "4"])
    assert_clean_session(r, profile)
    # The echo is our own 440 Hz tone coming back.
    hz = (r.get("audio") or {}).get("dominantHz")
    assert hz is not None and abs(hz - 440) <= 10, f"echoed audio's dominant frequency {hz}, wanted 440" + r.describe()


def test_tone(testhost):
    r = testhost.run_peer("aiortc_peer.py", ["--probe-args=--tone 1000", "--duration", "4"])
    assert_clean_session(r)
    audio = r.get("audio") or {}
    hz = audio.get("dominantHz")
    assert hz is not None and abs(hz - 1000) <= 10, f"received audio's dominant frequency {hz}, wanted 1000±10" + r.describe()
    assert audio["rms"] > 100, "received tone is (nearly) silent" + r.describe()


def test_trickle(testhost):
    r = testhost.run_peer("aiortc_peer.py", ["--probe-args=--trickle", "--duration", "3"])
    why = r.describe()
    p = r.probe
    assert p["candidates"], "probe trickled no candidates" + why
    assert p["endOfCandidates"], "probe never sent end-of-candidates" + why
    assert any(c.split()[4] == testhost.addr for c in p["candidates"] if len(c.split()) > 5), \
        f"no trickled candidate on {testhost.addr}" + why
    assert_clean_session(r)
