"""`sfu probe` facing bad input: broken SDP, a wrong fingerprint, wrong ICE credentials, junk UDP."""
import json

import pytest

from test_aiortc import assert_clean_exit, assert_clean_session


@pytest.mark.parametrize("sdp", [
    "this is not SDP at all",
    "v=0\r\nm=audio x\r\n\x00\x01\x02 garbage \xff\r\n",
], ids=["text", "broken-lines"])
def test_garbage_sdp(testhost, sdp):
    r = testhost.run_peer("raw_probe.py", ["--send", json.dumps([{"type": "offer", "sdp": sdp}]), "--wait", "10"])
    why = r.describe()
    p = r.probe
    codes = [e["code"] for e in p["errors"]]
    assert "bad-sdp" in codes, f"expected error bad-sdp, got {codes}" + why
    assert not p["answer"], "probe answered a garbage offer" + why
    assert r["closedByItself"], "probe did not close after the fatal error" + why
    assert p["exitCode"] == 0, f"probe exit code {p['exitCode']}" + why
    assert not p["killedAfterClose"], "probe had to be killed" + why


def test_not_json_then_close(testhost):
    """A line that is not JSON must not kill the probe; close still works."""
    r = testhost.run_peer("raw_probe.py", ["--send", json.dumps(["{not json", {"type": "close"}]), "--wait", "10"])
    p = r.probe
    assert p["closed"] is not None, "probe never printed closed" + r.describe()
    assert p["exitCode"] == 0, f"probe exit code {p['exitCode']}" + r.describe()


def test_fingerprint_mismatch(testhost):
    r = testhost.run_peer("aiortc_peer.py", ["--mutate", "fingerprint", "--connect-timeout", "15"], timeout=60)
    why = r.describe()
    p = r.probe
    codes = [e["code"] for e in p["errors"]]
    assert "fingerprint-mismatch" in codes, f"expected error fingerprint-mismatch, got {codes}" + why
    assert "connected" not in p["dtlsStates"], "DTLS connected despite a wrong fingerprint" + why
    assert r["framesReceived"]["audio"] == 0 and r["framesReceived"]["video"] == 0, "media flowed" + why
    assert_clean_exit(r)


def test_wrong_ice_password(testhost):
    r = testhost.run_peer("aiortc_peer.py", ["--mutate", "ice-pwd", "--connect-timeout", "25",
                                             "--probe-args=--consent-timeout-ms 5000 --handshake-timeout-ms 8000"], timeout=75)
    why = r.describe()
    p = r.probe
    assert not {"connected", "ready"} & set(p["iceStates"]), "ICE connected with a wrong ice-pwd" + why
    assert "connected" not in p["dtlsStates"], "DTLS connected with a wrong ice-pwd" + why
    assert r["framesReceived"]["audio"] == 0 and r["framesReceived"]["video"] == 0, "media flowed" + why
    assert_clean_exit(r)


def test_junk_udp_during_session(testhost):
    r = testhost.run_peer("aiortc_peer.py", ["--blast", "--duration", "3"], timeout=75)
    why = r.describe()
    blast = r.get("blast") or {}
    assert blast.get("target"), "no probe candidate to aim at" + why
    assert sum(blast.get("viaIce", {}).values()) > 0, "nothing sent through aiortc's ICE socket" + why
    p = r.probe
    assert not p["errors"], f"probe reported errors {p['errors']}" + why
    assert "failed" not in p["dtlsStates"] and "closed" not in p["dtlsStates"][:-1], "DTLS broke" + why
    before, after = r["statsBeforeBlast"], r["statsRequested"]
    assert before and after, "missing stats" + why
    # Junk through aiortc's nominated pair reaches the transport (junk from an unknown address is
    # dropped inside libnice). Each kind lands in its own counter: bad SRTP/SRTCP fails
    # authentication, RTP-looking datagrams shorter than a header are unknown, DTLS-looking
    # records go to the DTLS session, which discards them (RFC 6347 4.1.2.7). Random garbage may
    # add to any of them, so these are lower bounds.
    sent = blast["viaIce"]
    delta = {k: after[k] - before[k] for k in ("unprotectFailures", "unknownDatagrams", "dtlsDatagramsReceived")}
    bad_auth = sent.get("rtp-bad-auth", 0) + sent.get("rtcp-bad-auth", 0)
    assert delta["unprotectFailures"] >= bad_auth, f"bad SRTP not all counted: {delta}, sent {sent}" + why
    assert delta["unknownDatagrams"] >= sent.get("rtp-truncated", 0), f"truncated RTP not all counted: {delta}, sent {sent}" + why
    assert delta["dtlsDatagramsReceived"] >= sent.get("dtls-junk", 0), f"DTLS junk not all seen: {delta}, sent {sent}" + why
    assert after["parseFailures"] == 0, "a packet that passed SRTP authentication failed to parse" + why
    assert after["rtpPacketsReceived"] > before["rtpPacketsReceived"] + 50, "media stopped after the junk" + why
    f0, f1 = r["framesAfterBlastSent"], r["framesReceived"]
    assert f1["audio"] - f0["audio"] > 50, "aiortc audio stopped after the junk" + why
    assert f1["video"] - f0["video"] > 10, "aiortc video stopped after the junk" + why
    assert_clean_exit(r)
