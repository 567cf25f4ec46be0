"""`sfu serve` facing bad input while a call goes on (docs/signaling.md, "Error codes").

peers/room_bad_input.py runs every case once against one server (module-scoped: one run, many
verdicts); each test below checks one case: the documented error code, fatal or not (bye and
close, or the connection still answering `ping`), the close code where one is documented, and
that the call in room "main" (an aiortc tone publisher and an aiortc listener) kept flowing.
"""
import json

import pytest

from conftest import RoomServer, make_testhost


@pytest.fixture(scope="module")
def bad_input_run(tmp_path_factory):
    with make_testhost(tmp_path_factory.mktemp("room-bad-input")) as host:
        server = RoomServer(host).start()
        try:
            res = server.run_peer("room_bad_input.py", timeout=240)
            yield res, server.why(res, lines=60), server
        finally:
            server.stop()


def error_codes(f):
    return [e.get("code") for e in f.get("errors") or []]


def fatal(f, code, close=1008):
    return [
        (code in error_codes(f), f"expected error {code}, got {error_codes(f)}"),
        (f.get("bye") == [code], f"a fatal error must be followed by bye ({code}); got bye {f.get('bye')}, "
                                 f"messages {f.get('types')}"),
        (f.get("closed"), "connection not closed after a fatal error"),
        (f.get("closeCode") == close, f"close code {f.get('closeCode')}, wanted {close}"),
    ]


def nonfatal(f, codes, key="code"):
    got = f.get(key)
    return [
        (got == codes, f"expected {codes!r}, got {got!r} (all errors {f.get('errors')})"),
        (f.get("pingAfter") == "pong", f"connection not usable after a non-fatal error: ping got {f.get('pingAfter')!r}"),
        (not f.get("bye"), f"non-fatal error followed by bye {f.get('bye')}"),
    ]


EXPECT = {
    "no-token": lambda f: fatal(f, "token-missing"),
    "expired-token": lambda f: fatal(f, "token-expired"),
    "forged-token": lambda f: fatal(f, "token-invalid"),
    "malformed-token": lambda f: fatal(f, "token-invalid"),
    "wrong-algorithm": lambda f: fatal(f, "token-invalid"),
    "unknown-key": lambda f: fatal(f, "token-invalid"),
    "alg-none": lambda f: fatal(f, "token-invalid"),
    "missing-exp": lambda f: fatal(f, "token-invalid"),
    "token-room": lambda f: [
        (f.get("reply") == "joined", f"join with a valid token for room other-side: {f.get('reply')!r}, errors {f.get('errors')}"),
        (f.get("room") == "other-side", f"joined.room {f.get('room')!r}: a token for other-side must join other-side"),
        (not any(p in ("listener", "caller") for p in f.get("participants") or []),
         f"joined.participants lists main's participants: {f.get('participants')}"),
        (not f.get("seenInMain"), "main's participants were told about the other-side participant"),
        (f.get("leave") == "bye", f"leave answered {f.get('leave')!r}"),
        (f.get("closeCodeAfterLeave") == 1000, f"close code after leave {f.get('closeCodeAfterLeave')}, wanted 1000"),
    ],
    "bad-json": lambda f: nonfatal(f, ["bad-json", "bad-json"], key="codes"),
    "binary-frame": lambda f: nonfatal(f, "bad-json"),
    "missing-version": lambda f: nonfatal(f, "unsupported-version") + [
        (f.get("reply") == "error", f"no reply carrying the request's id nv-1 (got {f.get('reply')!r})")],
    "missing-type": lambda f: nonfatal(f, "bad-request") + [
        (f.get("reply") == "error", f"no reply carrying the request's id nt-1 (got {f.get('reply')!r})")],
    "unknown-type": lambda f: nonfatal(f, "unknown-type") + [
        (f.get("errorId") == "u-1", f"error id {f.get('errorId')!r}, wanted the request's id u-1")],
    "wrong-version": lambda f: nonfatal(f, "unsupported-version") + [
        (f.get("reply") == "error", f"no reply carrying the request's id v-2 (got {f.get('reply')!r})")],
    "oversized-before-join": lambda f: [
        ("message-too-large" in error_codes(f), f"expected error message-too-large, got {error_codes(f)}"),
        (f.get("bye") == ["message-too-large"], f"want bye message-too-large; got bye {f.get('bye')}, messages {f.get('types')}"),
        (f.get("closeCode") == 1009, f"close code {f.get('closeCode')}, wanted 1009"),
    ],
    "oversized": lambda f: [
        ("message-too-large" in error_codes(f), f"expected error message-too-large, got {error_codes(f)}"),
        (f.get("bye") == ["message-too-large"], f"want bye message-too-large; got bye {f.get('bye')}, messages {f.get('types')}"),
        (f.get("closeCode") == 1009, f"close code {f.get('closeCode')}, wanted 1009"),
    ],
    # docs/signaling.md: "a single frame over twice the larger limit is cut off by the WebSocket
    # layer with close 1009 and no `error`".
    "oversized-huge": lambda f: [
        (f.get("closeCode") == 1009, f"close code {f.get('closeCode')}, wanted 1009"),
        (not error_codes(f), f"errors {error_codes(f)}: the spec says none for a frame over 131072 bytes"),
    ],
    "before-join": lambda f: [
        (f.get("codes") == ["not-joined", "not-joined"], f"publish/mute before join got {f.get('codes')}, wanted not-joined"),
        (f.get("joinAfter") == "joined", f"join after not-joined (non-fatal) got {f.get('joinAfter')!r}"),
        (f.get("pingBefore") == "pong", f"ping before join got {f.get('pingBefore')!r}: ping is answered in any state"),
    ],
    "already-joined": lambda f: nonfatal(f, "already-joined"),
    "bad-request": lambda f: nonfatal(f, ["bad-request", "bad-request"], key="codes"),
    "bad-sdp": lambda f: nonfatal(f, "bad-sdp"),
    "unknown-track": lambda f: nonfatal(f, "unknown-track"),
    "no-usable-codec": lambda f: nonfatal(f, "no-usable-codec"),
    "too-many-tracks": lambda f: nonfatal(f, "too-many-tracks"),
    "no-publish-grant": lambda f: nonfatal(f, "not-allowed") + [
        ((f.get("grants") or {}).get("publish") is False, f"joined.grants {f.get('grants')} for a --no-publish token")],
    "bad-candidate": lambda f: nonfatal(f, "bad-candidate") + [
        (f.get("published") == "published", f"publish before the candidate: {f.get('published')!r}")],
    "candidate-flood": lambda f: [
        (f.get("published") == "published", f"publish before the flood: {f.get('published')!r}"),
        (f.get("errorCodes") == ["too-many-candidates"], f"error codes {f.get('errorCodes')}, wanted only too-many-candidates"),
        ((f.get("firstErrorAfterCandidate") or 0) > 200,
         f"first error after candidate {f.get('firstErrorAfterCandidate')}: the limit is 200"),
        (f.get("pingAfter") == "pong", f"connection not usable after too-many-candidates: {f.get('pingAfter')!r}"),
        (f.get("republished") == "published" and f.get("errorsAfterRepublish") == [],
         f"after a new successful publish the count restarts: publish {f.get('republished')!r}, "
         f"errors for 10 more candidates {f.get('errorsAfterRepublish')}"),
    ],
    "message-flood": lambda f: [
        ("rate-limited" in error_codes(f), f"expected error rate-limited, got {error_codes(f)}"),
        (f.get("bye") == ["rate-limited"], f"want bye rate-limited; got bye {f.get('bye')}, messages {f.get('types')}"),
        (f.get("closeCode") == 1008, f"close code {f.get('closeCode')}, wanted 1008"),
    ],
}


@pytest.mark.parametrize("case", list(EXPECT))
def test_bad_input(bad_input_run, case):
    res, why, _ = bad_input_run
    assert res.get("phase") in ("cases", "fresh-join", "done"), \
        f"the run stopped at {res.get('phase')}: {res.get('notes')}" + why
    f = (res.get("cases") or {}).get(case)
    assert f is not None, f"case {case} did not run" + why
    view = f"\n--- case {case}: {json.dumps(f, default=str)}\n"
    assert "exception" not in f, f"case raised {f['exception']}" + view + why
    failed = [msg for ok, msg in EXPECT[case](f) if not ok]
    call = f["call"]
    if not call["flowing"]:
        failed.append(f"the call in room main stopped: listener frames {call['framesBefore']} -> {call['framesAfter']}")
    if not (call["callerOpen"] and call["listenerOpen"]):
        failed.append(f"a participant of the call lost its connection: {call}")
    assert not failed, "; ".join(failed) + view + why


def test_fresh_join_after_bad_input(bad_input_run):
    res, why, server = bad_input_run
    fr = res.get("fresh")
    assert fr, f"no fresh join (phase {res.get('phase')}, notes {res.get('notes')})" + why
    assert fr["join"] == "joined" and fr["publish"] == "published", f"fresh participant: {fr}" + why
    assert fr["listenerFramesFromFresh"] >= 25, f"listener decoded {fr['listenerFramesFromFresh']} frames of the fresh participant" + why
    assert fr["call"]["flowing"], f"call stopped: {fr['call']}" + why
    assert server.alive(), "sfu serve exited" + why


def test_join_timeout(bad_input_run):
    """A connection that never sends `join` is closed after 10 s."""
    res, why, _ = bad_input_run
    idle = res.get("idle")
    assert idle, f"idle connection not checked (phase {res.get('phase')})" + why
    assert idle["closed"] and idle["closedAfter"] is not None and 9.5 <= idle["closedAfter"] <= 12.5, \
        f"a connection without join still open or closed early/late (want ~10 s): {idle}" + why
    assert idle["bye"] == ["join-timeout"] and idle["closeCode"] == 1008, \
        f"join timeout: bye {idle['bye']}, close {idle['closeCode']}; wanted bye join-timeout, close 1008" + why
