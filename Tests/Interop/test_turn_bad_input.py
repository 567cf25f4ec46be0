"""`sfu turn` facing bad input (RFC 8489, RFC 8656, RFC 6156), each case while a good allocation
keeps relaying.

Every test gets its own relay (`turn_server`: every address of its test host, UDP/TCP 3478, no
--allowed-peer-ip) and a witness: peers/stun_client.py `relay` holds an allocation from
10.213.0.1 and sends a numbered packet every 10 ms (ChannelData and Send indications in turn) to
turnutils_peer, an echo, at 198.51.100.7:3480. That TEST-NET-2 address is put on the test host's
loopback after the relay started, so the relay does not count it among its own addresses and its
default peer policy allows it. At the end of each test the witness must have lost nothing, its
Refresh must still succeed, the relay must be alive and answer a Binding, and its statistics line
(printed at SIGTERM) must count what the test did.

The test's own STUN/TURN clients (peers/stun_client.py) run in this process with sockets made
inside the test host's namespace (conftest.NetnsSockets). Every unauthenticated answer they get
over UDP is recorded (request size, response size) and summed up at the end of the module.
"""
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

from conftest import (HOST_ADDR, PEERS, TURN_PASSWORD, TURN_PORT, TURN_REALM, TURN_SECRET, TURN_USER, tail)

sys.path.insert(0, str(PEERS))
import stun_client as sc  # noqa: E402

SERVER = (HOST_ADDR, TURN_PORT)
ECHO_PEER = ("198.51.100.7", 3480)
LEAK_PORT = 40001
WITNESS_MIN_S = 1.0


# ------------------------------------------------------------------------------ the test bed

class Bed:
    """One relay, its echo peer and its witness allocation; clients made inside the namespace."""

    def __init__(self, host, server):
        self.host = host
        self.server = server
        self.socks = server.sockets
        self.tx_start = len(sc.TRANSACTIONS)
        self.witness = None
        self.witness_result = None
        self.clients = []

    def start(self):
        self.host.exec(["ip", "addr", "add", f"{ECHO_PEER[0]}/32", "dev", "lo"])
        self.peer_log = self.host.workdir / "turnutils_peer.log"
        with open(self.peer_log, "wb") as f:
            self.host.popen(["turnutils_peer", "-L", ECHO_PEER[0], "-p", str(ECHO_PEER[1])],
                            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        time.sleep(0.2)
        self.witness_err = self.host.workdir / "witness.stderr"
        with open(self.witness_err, "wb") as err:
            self.witness = self.host.popen(
                [sys.executable, str(PEERS / "stun_client.py"), "relay", "--server", sc.hostport(*SERVER),
                 "--user", TURN_USER, "--password", TURN_PASSWORD, "--peer", sc.hostport(*ECHO_PEER)],
                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True,
                env=dict(os.environ, PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1"))
        deadline = time.monotonic() + 10
        lines = []
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.witness.stdout], [], [], 0.2)
            if ready:
                line = self.witness.stdout.readline()
                if not line:
                    break
                lines.append(line.strip())
                if line.startswith("READY"):
                    self.witness_ready = time.monotonic()
                    return self
        pytest.fail(f"the witness allocation never relayed an echo: {lines}" + self.why(), pytrace=False)

    # Clients (sockets inside the test host).
    def udp(self, username=TURN_USER, password=TURN_PASSWORD, server=SERVER, local=None, **kw):
        c = sc.TurnClient.udp(server, username, password, local=local, sock_factory=self.socks, **kw)
        self.clients.append(c)
        return c

    def tcp(self, username=TURN_USER, password=TURN_PASSWORD, server=SERVER, **kw):
        c = sc.TurnClient.tcp(server, username, password, sock_factory=self.socks, **kw)
        self.clients.append(c)
        return c

    def stun(self, server=SERVER, local=None):
        c = sc.StunClient(sc.UdpTransport(server, local=local, sock_factory=self.socks))
        self.clients.append(c)
        return c

    def raw_udp(self, server=SERVER, local=None):
        return sc.UdpTransport(server, local=local, sock_factory=self.socks)

    def transactions(self):
        return sc.TRANSACTIONS[self.tx_start:]

    def why(self, extra=""):
        text = f"\n{extra}" if extra else ""
        if self.witness_result is not None:
            text += f"\n--- witness: {json.dumps(self.witness_result)}"
        text += f"\n--- witness stderr:\n{tail(self.witness_err, 15)}" if hasattr(self, "witness_err") else ""
        return text + self.server.why()

    def finish(self):
        """The witness kept relaying, the relay is alive and answers a Binding over UDP and TCP;
        no 401 to an Allocate of 100 bytes or more was larger than the request. Returns the
        relay's statistics (it is stopped)."""
        assert self.server.alive(), "sfu turn died" + self.why()
        # The witness relays for at least WITNESS_MIN_S (most cases take a few milliseconds).
        time.sleep(max(0.0, self.witness_ready + WITNESS_MIN_S - time.monotonic()))
        self.witness.send_signal(signal.SIGTERM)
        try:
            out, _ = self.witness.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.witness.kill()
            out, _ = self.witness.communicate(timeout=5)
        for line in reversed(out.splitlines()):
            if line.startswith("RESULT "):
                self.witness_result = json.loads(line[len("RESULT "):])
                break
        w = self.witness_result
        assert w is not None, f"the witness printed no RESULT: {out[-2000:]}" + self.why()
        print("witness:", json.dumps(w))
        assert not w["errors"], f"the witness hit errors: {w['errors']}" + self.why()
        assert w["sent"] > 50, f"the witness sent only {w['sent']} packets" + self.why()
        assert w["lost"] == 0, f"the good allocation lost {w['lost']} of {w['sent']} packets" + self.why()
        assert w["maxGapMs"] < 1000, f"the good allocation stalled for {w['maxGapMs']} ms" + self.why()
        assert w.get("refreshOk"), f"the good allocation's Refresh failed: {w.get('refreshAtEnd')}" + self.why()
        for make in (lambda: self.stun(), lambda: sc.StunClient(sc.StreamTransport(SERVER, sock_factory=self.socks))):
            client = make()
            r = client.binding()
            assert r is not None and r.cls == sc.SUCCESS, \
                f"no Binding success over {'TCP' if client.transport.reliable else 'UDP'} at the end: {r and r.describe()}" + self.why()
            assert r.xor_address(sc.XOR_MAPPED_ADDRESS) == tuple(client.transport.local), \
                f"Binding mapped {r.xor_address(sc.XOR_MAPPED_ADDRESS)}, client is {client.transport.local}" + self.why()
            client.close()
        assert_no_amplified_401(self.transactions(), self.why())
        self.server.stop()
        stats = self.server.statistics()
        assert self.server.exit_code == 0, f"sfu turn exit code {self.server.exit_code} after SIGTERM" + self.why()
        assert stats is not None, "no statistics line on stderr at SIGTERM" + self.why()
        return stats

    def close(self):
        for c in self.clients:
            try:
                c.close()
            except OSError:
                pass


@pytest.fixture
def bed(testhost, turn_server):
    b = Bed(testhost, turn_server).start()
    try:
        yield b
    finally:
        b.close()


def assert_no_amplified_401(entries, why=""):
    """RFC 8489 16.1.3 / RFC 8656 21.1.3 (reflection): an unauthenticated 401 to an Allocate of
    100 bytes or more must not be larger than the request."""
    bad = [e for e in entries if e["transport"] == "udp" and e["method"] == "Allocate" and e["code"] == 401
           and e["requestBytes"] >= 100 and e["responseBytes"] > e["requestBytes"]]
    assert not bad, f"401 answers larger than their Allocate request: {bad}" + why


@pytest.fixture(scope="module", autouse=True)
def amplification_report(request, tmp_path_factory):
    """At the end of the module: every unauthenticated UDP answer's request and response sizes,
    grouped, on the terminal and in amplification.json under pytest's temporary directory."""
    start = len(sc.TRANSACTIONS)
    yield
    entries = [e for e in sc.TRANSACTIONS[start:] if e["transport"] == "udp" and not e["authenticated"]]
    groups = {}
    for e in entries:
        key = (e["method"], e["responseClass"], e["code"])
        g = groups.setdefault(key, {"count": 0, "pairs": set(), "maxRatio": 0.0})
        g["count"] += 1
        g["pairs"].add((e["requestBytes"], e["responseBytes"]))
        g["maxRatio"] = max(g["maxRatio"], e["responseBytes"] / e["requestBytes"])
    rows = []
    for (method, cls, code), g in sorted(groups.items(), key=lambda kv: str(kv[0])):
        pairs = sorted(g["pairs"])
        rows.append({"method": method, "class": cls, "code": code, "count": g["count"],
                     "requestToResponseBytes": [f"{a}->{b}" for a, b in pairs],
                     "maxRatio": round(g["maxRatio"], 2)})
    path = tmp_path_factory.getbasetemp() / "amplification.json"
    path.write_text(json.dumps(rows, indent=1))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and rows:
        reporter.write_line("")
        reporter.write_line(f"sfu turn: unauthenticated UDP answers (request -> response bytes), also in {path}:")
        for r in rows:
            reporter.write_line(f"  {r['method']} {r['class']} {r['code'] or ''}: {r['count']}x, "
                                f"{', '.join(r['requestToResponseBytes'][:12])}; max ratio {r['maxRatio']}")


def ok(r):
    return r is not None and r.cls == sc.SUCCESS


def desc(r):
    return r.describe() if r is not None else "no answer"


# ------------------------------------------------------------------------------ authentication

def test_wrong_password_401(bed):
    """RFC 8489 9.2.4: a wrong password (and an unknown user) is answered 401 with REALM and a
    NONCE, without MESSAGE-INTEGRITY (there is no key to make one with); the right password then
    works. Each failure is counted."""
    failures = 0
    for username, password in [(TURN_USER, "not-the-password"), (TURN_USER, TURN_PASSWORD + "x"), ("mallory", "x")]:
        c = bed.udp(username, password)
        r = c.allocate()
        failures += 1
        assert r is not None and r.code == 401, f"{username}/{password}: {desc(r)}, wanted 401" + bed.why()
        assert len(c.challenges) == 2, f"expected the challenge 401 and the failure 401, got {len(c.challenges)}" + bed.why()
        assert r.text(sc.REALM) == TURN_REALM and r.text(sc.NONCE), f"401 without REALM/NONCE: {desc(r)}" + bed.why()
        assert not r.authenticated, "a 401 to a wrong password must not carry MESSAGE-INTEGRITY" + bed.why()
    good = bed.udp()
    r = good.allocate()
    assert ok(r), f"the right password after failures: {desc(r)}" + bed.why()
    assert r.check_integrity(good.key), "the Allocate success does not verify with the long-term key" + bed.why()
    assert r.check_fingerprint(), "bad FINGERPRINT on the Allocate success" + bed.why()
    stats = bed.finish()
    assert stats["auth failures"] == failures, f"auth failures={stats['auth failures']}, caused {failures}" + bed.why()


@pytest.mark.parametrize("turn_server", [["--nonce-lifetime", "2"]], indirect=True)
def test_stale_nonce_438(bed, turn_server):
    """RFC 8489 9.2.4: a nonce past its lifetime gets 438 Stale Nonce with a new NONCE (and REALM),
    and the request retried with that nonce succeeds. A stale nonce is not a failed login."""
    c = bed.udp()
    first = c.challenge()
    assert first is not None and first.code == 401, f"challenge: {desc(first)}" + bed.why()
    old_nonce = c.nonce
    time.sleep(3)
    msg, data = c.signed(sc.ALLOCATE, [(sc.REQUESTED_TRANSPORT, sc.requested_transport())])
    r = c.exchange(data, msg.tid)
    assert r is not None and r.code == 438, f"Allocate with a 3 s old nonce (lifetime 2 s): {desc(r)}, wanted 438" + bed.why()
    new_nonce = r.text(sc.NONCE)
    assert new_nonce and new_nonce != old_nonce, f"438 without a fresh NONCE: {desc(r)}" + bed.why()
    assert r.text(sc.REALM) == TURN_REALM, f"438 without REALM: {desc(r)}" + bed.why()
    c._learn(r)
    msg, data = c.signed(sc.ALLOCATE, [(sc.REQUESTED_TRANSPORT, sc.requested_transport())])
    r = c.exchange(data, msg.tid)
    assert ok(r), f"Allocate with the nonce from the 438: {desc(r)}" + bed.why()
    # The witness's nonce went stale too: its Refresh at the end goes through a 438 (see finish).
    stats = bed.finish()
    assert stats["auth failures"] == 0, f"stale nonces counted as failed logins: {stats}" + bed.why()


def test_expired_rest_credential_401(bed):
    """TURN REST credentials: a username whose expiry has passed is refused 401 even with the right
    HMAC password; a current one works, and so does not a wrong HMAC."""
    now = int(time.time())
    expired_user, expired_pw = sc.rest_credentials(TURN_SECRET, "carol", now - 60)
    c = bed.udp(expired_user, expired_pw)
    r = c.allocate()
    assert r is not None and r.code == 401, f"expired REST username {expired_user}: {desc(r)}, wanted 401" + bed.why()
    assert not r.authenticated, "401 with MESSAGE-INTEGRITY" + bed.why()
    current_user, current_pw = sc.rest_credentials(TURN_SECRET, "carol", now + 600)
    r = bed.udp(current_user, "d3Jvbmc=").allocate()
    assert r is not None and r.code == 401, f"current REST username with a wrong HMAC: {desc(r)}, wanted 401" + bed.why()
    good = bed.udp(current_user, current_pw)
    r = good.allocate()
    assert ok(r), f"current REST credential {current_user}: {desc(r)}" + bed.why()
    stats = bed.finish()
    assert stats["auth failures"] == 2, f"auth failures={stats['auth failures']}, caused 2" + bed.why()


NONCE_COOKIE = "obMatJos2"


def announces_password_algorithms(nonce):
    """RFC 8489 9.2 / 18.1: a NONCE starting with the nonce cookie carries the 24-bit security
    feature set in 4 base64 characters; bit 0 (the most significant) is "Password algorithms"."""
    import base64
    if not nonce or not nonce.startswith(NONCE_COOKIE) or len(nonce) < len(NONCE_COOKIE) + 4:
        return False
    features = base64.b64decode(nonce[len(NONCE_COOKIE):len(NONCE_COOKIE) + 4])
    return bool(features[0] & 0x80)


def test_challenges_keep_password_algorithms_with_their_nonce(bed):
    """RFC 8489 9.2.5: a client that gets a 401 or 438 whose NONCE announces "Password algorithms"
    but carries no PASSWORD-ALGORITHMS MUST NOT retry (a bid-down attack looks exactly like it).
    So every 401/438 either includes PASSWORD-ALGORITHMS or has a nonce without that bit: checked
    for an ordinary first Allocate (28 bytes), a wrong password (about 130 bytes) and a 438 for a
    nonce that is not the relay's."""
    c = bed.udp(TURN_USER, "wrong")
    seen = []
    r = c.allocate()  # first Allocate: 401; then the wrong password: 401 again
    assert r is not None and r.code == 401, f"wrong password: {desc(r)}" + bed.why()
    seen.extend(("401 to a %d-byte Allocate" % e["requestBytes"], ch) for e, ch in zip(c.log, c.challenges))
    msg, data = c.signed(sc.ALLOCATE, [(sc.REQUESTED_TRANSPORT, sc.requested_transport())],
                         nonce=NONCE_COOKIE + "gAAA" + "0" * 24)
    r = c.exchange(data, msg.tid)
    assert r is not None and r.code == 438, f"a nonce the relay never issued: {desc(r)}, wanted 438" + bed.why()
    seen.append((f"438 to a {len(data)}-byte Allocate", r))
    problems = [f"{what}: NONCE {m.text(sc.NONCE)!r} announces password algorithms, attributes "
                f"{[hex(t) for t, _ in m.attrs]} lack PASSWORD-ALGORITHMS (0x8002)"
                for what, m in seen if announces_password_algorithms(m.text(sc.NONCE)) and not m.has(sc.PASSWORD_ALGORITHMS)]
    assert not problems, "an RFC 8489 client must give up on these:\n  " + "\n  ".join(problems) + bed.why()
    bed.finish()


def test_sha256_password_algorithm(bed):
    """RFC 8489 9.2: with PASSWORD-ALGORITHMS offered in the 401 (a first Allocate large enough for
    the whole challenge to be sent), a client may pick SHA-256 for the key and protect requests
    with MESSAGE-INTEGRITY-SHA256; the relay answers in kind."""
    c = bed.udp(integrity="sha256")
    first = c.challenge(attrs=[(sc.REQUESTED_TRANSPORT, sc.requested_transport()), (sc.SOFTWARE, b"s" * 160)])
    assert first is not None and first.code == 401, f"challenge: {desc(first)}" + bed.why()
    offered = first.get(sc.PASSWORD_ALGORITHMS)
    assert offered is not None, f"no PASSWORD-ALGORITHMS in a 401 to a 200-byte Allocate: {desc(first)}" + bed.why()
    algorithms = [struct.unpack("!H", offered[i:i + 2])[0] for i in range(0, len(offered), 4)]
    assert sc.PASSWORD_ALGORITHM_SHA256 in algorithms, f"offered algorithms {algorithms}" + bed.why()
    c.algorithm = sc.PASSWORD_ALGORITHM_SHA256
    r = c.authed(sc.ALLOCATE, [(sc.REQUESTED_TRANSPORT, sc.requested_transport())])
    assert ok(r), f"Allocate with a SHA-256 key and MESSAGE-INTEGRITY-SHA256: {desc(r)}" + bed.why()
    assert r.check_integrity_sha256(c.key), "the success does not verify with MESSAGE-INTEGRITY-SHA256" + bed.why()
    stats = bed.finish()
    assert stats["auth failures"] == 0, f"auth failures={stats['auth failures']}" + bed.why()


def test_nonce_unique_per_source_port(bed):
    """RFC 8489 9.2.4: "The server MUST NOT choose the same NONCE for two requests unless they have
    the same source IP address and port." Two clients on one IP, challenged a millisecond apart
    (five times), never get the same nonce."""
    same = []
    for _ in range(5):
        a, b = bed.udp(), bed.udp()
        ra, rb = a.challenge(), b.challenge()
        assert ra is not None and rb is not None and ra.code == rb.code == 401, f"challenges: {desc(ra)}, {desc(rb)}" + bed.why()
        if a.nonce == b.nonce:
            same.append((sc.hostport(*a.transport.local), sc.hostport(*b.transport.local), a.nonce))
        time.sleep(0.1)
    assert not same, f"one NONCE for two source ports: {same}" + bed.why()
    bed.finish()


# ------------------------------------------------------------------------------ unknown attributes

def test_unknown_comprehension_required_attribute_420(bed):
    """RFC 8489 6.3.1.1: an unknown comprehension-required attribute (0x7777) in an authenticated
    Allocate gets 420 with UNKNOWN-ATTRIBUTES listing it, integrity-protected; an unknown
    comprehension-optional one (0xC777) is ignored. A Binding with 0x7777 gets 420 too."""
    c = bed.udp()
    first = c.challenge()
    assert first is not None and first.code == 401, f"challenge: {desc(first)}" + bed.why()
    transport = (sc.REQUESTED_TRANSPORT, sc.requested_transport())
    msg, data = c.signed(sc.ALLOCATE, [transport, (0x7777, b"\x00\x01\x02\x03")])
    r = c.exchange(data, msg.tid)
    assert r is not None and r.code == 420, f"Allocate with attribute 0x7777: {desc(r)}, wanted 420" + bed.why()
    assert r.unknown_attributes == [0x7777], f"UNKNOWN-ATTRIBUTES {r.unknown_attributes}, wanted [0x7777]" + bed.why()
    assert r.check_integrity(c.key), "the 420 to an authenticated request does not verify with the key" + bed.why()
    msg, data = c.signed(sc.ALLOCATE, [transport, (0xC777, b"\x00\x01\x02\x03")])
    r = c.exchange(data, msg.tid)
    assert ok(r), f"Allocate with the optional attribute 0xC777: {desc(r)}, wanted success" + bed.why()
    s = bed.stun()
    m = sc.Message(sc.BINDING, sc.REQUEST).add(0x7777, b"\x00\x00\x00\x00")
    r = s.request(m)
    assert r is not None and r.code == 420 and r.unknown_attributes == [0x7777], \
        f"Binding with 0x7777: {desc(r)}, wanted 420 listing 0x7777" + bed.why()
    bed.finish()


# ------------------------------------------------------------------------------ malformed messages

def _header(method, cls, length, tid):
    return struct.pack("!HHI", sc.message_type(method, cls), length, sc.MAGIC_COOKIE) + tid


def _attr(t, v):
    return sc._attr(t, v)


def truncated_cases():
    """(name, bytes, transaction ID or None) for datagrams that are not well-formed STUN."""
    cases = []
    tid = os.urandom(12)
    body = _attr(sc.SOFTWARE, b"abcd")
    cases.append(("binding-length-beyond-datagram", _header(sc.BINDING, sc.REQUEST, 100, tid) + body, tid))
    tid = os.urandom(12)
    body = _attr(sc.REQUESTED_TRANSPORT, sc.requested_transport())
    cases.append(("allocate-length-beyond-datagram", _header(sc.ALLOCATE, sc.REQUEST, 40, tid) + body, tid))
    tid = os.urandom(12)
    body = _attr(sc.REQUESTED_TRANSPORT, sc.requested_transport()) + struct.pack("!HH", sc.USERNAME, 64)
    cases.append(("allocate-attribute-past-end", _header(sc.ALLOCATE, sc.REQUEST, len(body), tid) + body, tid))
    tid = os.urandom(12)
    body = struct.pack("!HH", sc.SOFTWARE, 200) + b"abcd"
    cases.append(("binding-attribute-past-end", _header(sc.BINDING, sc.REQUEST, len(body), tid) + body, tid))
    tid = os.urandom(12)
    cases.append(("length-not-multiple-of-4", _header(sc.BINDING, sc.REQUEST, 2, tid) + b"\x00\x00", tid))
    tid = os.urandom(12)
    cases.append(("shorter-than-header", _header(sc.BINDING, sc.REQUEST, 0, tid)[:12], None))
    return cases


TRUNCATED = truncated_cases()


@pytest.mark.parametrize("case", TRUNCATED, ids=[c[0] for c in TRUNCATED])
def test_truncated_message(bed, case):
    """RFC 8489 6.3: a message that does not parse is discarded (a server may answer a request
    whose header it could read with 400). Whatever is sent back is a 400 to the same transaction,
    and nothing else is disturbed: the same socket's next request is answered normally."""
    name, data, tid = case
    t = bed.raw_udp()
    t.send(data)
    answer = t.recv(1.0)
    verdict = "silence"
    if answer is not None:
        m = sc.Message.decode(answer)
        verdict = f"{m.code} ({len(data)} -> {len(answer)} bytes)"
        sc.TRANSACTIONS.append({"transport": "udp", "method": sc.METHOD_NAMES.get(m.method, hex(m.method)),
                                "requestBytes": len(data), "responseBytes": len(answer),
                                "responseClass": sc.CLASS_NAMES[m.cls] + f" (malformed: {name})",
                                "code": m.code, "authenticated": m.authenticated})
        assert tid is not None, f"{name}: answered a message without a transaction ID: {m.describe()}" + bed.why()
        assert m.tid == tid and m.cls == sc.ERROR and m.code == 400, \
            f"{name}: answer {m.describe()}, wanted silence or 400 to the same transaction" + bed.why()
    print(f"{name}: {verdict}")
    client = sc.StunClient(t)
    r = client.binding()
    assert ok(r), f"{name}: the next Binding on the same socket: {desc(r)}" + bed.why()
    stats = bed.finish()
    assert stats["malformed"] >= 1 or tid is None, f"{name} not counted as malformed: {stats}" + bed.why()


def test_truncated_over_tcp_keeps_the_stream(bed):
    """An attribute running past the end of a correctly framed message over TCP: 400 or silence,
    and the stream stays in step (the next request on it is answered)."""
    c = bed.tcp()
    tid = os.urandom(12)
    body = _attr(sc.REQUESTED_TRANSPORT, sc.requested_transport()) + struct.pack("!HH", sc.USERNAME, 64)
    c.send_raw(_header(sc.ALLOCATE, sc.REQUEST, len(body), tid) + body)
    answer = c.transport.recv(1.0)
    if answer is not None:
        m = sc.Message.decode(answer)
        assert m.tid == tid and m.code == 400, f"answer {m.describe()}, wanted silence or 400" + bed.why()
    assert not c.transport.closed, "the relay closed the TCP connection over one malformed message" + bed.why()
    r = c.allocate()
    assert ok(r), f"Allocate on the same TCP connection afterwards: {desc(r)}" + bed.why()
    bed.finish()


def test_oversized_datagrams(bed):
    """60000-byte datagrams, STUN-looking (a Binding whose length field claims them all, and junk
    behind a STUN header), and a 60000-byte well-formed Binding over TCP: no crash, and the relay
    keeps serving. What it answers is recorded."""
    seen = {}
    t = bed.raw_udp()
    tid = os.urandom(12)
    big = _header(sc.BINDING, sc.REQUEST, 59980, tid) + _attr(0x8FFF, b"\xab" * 59976)
    assert len(big) == 60000
    junk_tid = os.urandom(12)
    junk = _header(sc.ALLOCATE, sc.REQUEST, 59980, junk_tid) + os.urandom(59980)
    for name, data, want_tid in (("udp-binding-60000", big, tid), ("udp-junk-60000", junk, junk_tid)):
        for _ in range(5):
            t.send(data)
        answers = []
        while True:
            a = t.recv(0.5)
            if a is None:
                break
            answers.append(a)
        seen[name] = [sc.Message.decode(a).describe() for a in answers]
        for a in answers:
            m = sc.Message.decode(a)
            assert m.tid == want_tid, f"{name}: answer to another transaction: {m.describe()}" + bed.why()
            sc.TRANSACTIONS.append({"transport": "udp", "method": sc.METHOD_NAMES.get(m.method, hex(m.method)),
                                    "requestBytes": len(data), "responseBytes": len(a),
                                    "responseClass": sc.CLASS_NAMES[m.cls] + f" ({name})",
                                    "code": m.code, "authenticated": m.authenticated})
        assert bed.server.alive(), f"sfu turn died after {name}" + bed.why()
    s = sc.StunClient(sc.StreamTransport(SERVER, sock_factory=bed.socks))
    tcp_tid = os.urandom(12)
    s.send_raw(_header(sc.BINDING, sc.REQUEST, 59980, tcp_tid) + _attr(0x8FFF, b"\xcd" * 59976))
    a = s.transport.recv(3.0)
    seen["tcp-binding-60000"] = sc.Message.decode(a).describe() if a else ("closed" if s.transport.closed else "silence")
    s.close()
    print(json.dumps(seen))
    assert bed.server.alive(), "sfu turn died after a 60000-byte message over TCP" + bed.why()
    bed.finish()


# ------------------------------------------------------------------------------ peer policy

REFUSED_V4 = ["127.0.0.1", "0.0.0.0", "10.0.0.1", "169.254.169.254"]
REFUSED_V6 = ["::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::", "fd00:213::1"]


def test_refused_peers_403(bed):
    """RFC 8656 21.2.3 (and coturn CVE-2020-26262): without --allowed-peer-ip, CreatePermission and
    ChannelBind to loopback, unspecified, private, link-local (cloud metadata) and the relay's
    own addresses are refused 403 (integrity-protected), in IPv4 and IPv6 allocations; IPv4 inside
    IPv6 is judged as IPv4. A peer of the other family than the allocation is 443 (RFC 8656 9.1,
    11.1). Send indications and ChannelData to those peers never arrive at listeners there, while
    the same client's Send indication to an allowed peer is relayed."""
    host = bed.host
    for addr in ("10.0.0.1/32", "169.254.169.254/32"):  # listeners can sit there; refused as private/link-local
        host.exec(["ip", "addr", "add", addr, "dev", "lo"])
    listen4 = bed.socks(socket.AF_INET, socket.SOCK_DGRAM)
    listen4.bind(("0.0.0.0", LEAK_PORT))
    listen6 = bed.socks(socket.AF_INET6, socket.SOCK_DGRAM)
    listen6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    listen6.bind(("::", LEAK_PORT))
    for s in (listen4, listen6):
        s.setblocking(False)
    # The listeners work: a direct datagram arrives.
    probe = bed.socks(socket.AF_INET, socket.SOCK_DGRAM)
    probe.sendto(b"direct", ("127.0.0.1", LEAK_PORT))
    ready, _, _ = select.select([listen4], [], [], 1.0)
    assert ready and listen4.recv(100) == b"direct", "the leak listener does not receive" + bed.why()
    probe.close()

    refused = 0
    problems = []

    def expect(client, r, code, what):
        nonlocal refused
        if r is None or r.code != code:
            problems.append(f"{what}: {desc(r)}, wanted {code}")
            return
        if not r.check_integrity(client.key):
            problems.append(f"{what}: the {code} does not verify with the long-term key")
        if code == 403:
            refused += 1

    v4 = bed.udp()
    r = v4.allocate()
    assert ok(r), f"IPv4 Allocate: {desc(r)}" + bed.why()
    v6 = bed.udp()
    r = v6.allocate(family=sc.FAMILY_IPV6)
    assert ok(r), f"IPv6 Allocate (REQUESTED-ADDRESS-FAMILY IPv6): {desc(r)}" + bed.why()
    assert ":" in v6.relayed[0], f"IPv6 allocation got relayed address {v6.relayed}" + bed.why()
    print(f"relayed addresses: IPv4 allocation {sc.hostport(*v4.relayed)}, IPv6 allocation {sc.hostport(*v6.relayed)}")
    channel = 0x4000
    plans = [(v4, ip, 403) for ip in REFUSED_V4] + [(v4, "::ffff:127.0.0.1", 443), (v6, "127.0.0.1", 443)] \
        + [(v6, ip, 403) for ip in REFUSED_V6]
    for c, ip, code in plans:
        kind = "IPv6" if c is v6 else "IPv4"
        expect(c, c.create_permission((ip, LEAK_PORT)), code, f"CreatePermission {ip} in the {kind} allocation")
        expect(c, c.channel_bind(channel, (ip, LEAK_PORT)), code, f"ChannelBind {ip} in the {kind} allocation")
        c.send_indication((ip, LEAK_PORT), b"leak via Send to " + ip.encode())
        c.send_channel(channel, b"leak via ChannelData to " + ip.encode())
        channel += 1
    # An allowed peer through the same allocation: relayed, and echoed back as a Data indication.
    r = v4.create_permission(ECHO_PEER)
    assert ok(r), f"CreatePermission to the allowed peer {ECHO_PEER}: {desc(r)}" + bed.why()
    v4.send_indication(ECHO_PEER, b"allowed")
    got = v4.recv_data(2.0)
    assert got is not None and got[2] == b"allowed", f"Send indication to the allowed peer: echo {got}" + bed.why()
    time.sleep(0.5)
    leaked = []
    for s in (listen4, listen6):
        while True:
            try:
                data, src = s.recvfrom(2000)
            except BlockingIOError:
                break
            leaked.append((src[:2], data))
    assert not problems, "peer policy:\n  " + "\n  ".join(problems) + bed.why()
    assert not leaked, f"datagrams reached refused peers: {leaked}" + bed.why()
    stats = bed.finish()
    assert stats["refused peers"] == refused, f"refused peers={stats['refused peers']}, the relay answered {refused} 403s" + bed.why()


# ------------------------------------------------------------------------------ rate limit

def test_failed_logins_rate_limited(bed):
    """Password guessing: after about 20 failures within 10 s the relay stops answering that user
    from that IP (even with the right password), while another user behind the same IP (patients
    behind one hospital NAT) and another IP are still answered; once the window has passed the
    client is answered again."""
    attacker = bed.udp(TURN_USER, "guess", server=("127.0.0.1", TURN_PORT))
    first = attacker.challenge()
    assert first is not None and first.code == 401, f"challenge: {desc(first)}" + bed.why()
    t0 = time.monotonic()
    answered = 0
    silent_after = None
    transport = [(sc.REQUESTED_TRANSPORT, sc.requested_transport())]
    for attempt in range(40):
        msg, data = attacker.signed(sc.ALLOCATE, transport)
        r = attacker.exchange(data, msg.tid, timeout=0.3, retries=1)
        if r is None:
            silent_after = answered
            break
        assert r.code == 401, f"guess {attempt + 1}: {desc(r)}, wanted 401" + bed.why()
        attacker._learn(r)
        answered += 1
    assert silent_after is not None, f"40 wrong passwords in {time.monotonic() - t0:.1f}s were all answered" + bed.why()
    assert 10 <= answered <= 30, f"the relay went silent after {answered} failures, wanted about 20" + bed.why()
    # Silent for that user from that IP: more guesses, and the right password too.
    guess, guess_bytes = attacker.signed(sc.ALLOCATE, transport)
    r = attacker.exchange(guess_bytes, guess.tid, timeout=0.3, retries=1)
    assert r is None, f"another guess from the limited client was answered: {desc(r)}" + bed.why()
    right = bed.udp(server=("127.0.0.1", TURN_PORT))
    r = right.allocate(timeout=0.3, retries=1)
    limited_right_password = desc(r)
    assert r is None or r.code == 401 and r.get(sc.NONCE) is not None and not ok(r), \
        f"the limited user's right password was served: {limited_right_password}" + bed.why()
    # Another user behind the same IP is served.
    neighbour = bed.udp(*sc.rest_credentials(TURN_SECRET, "neighbour", time.time() + 3600), server=("127.0.0.1", TURN_PORT))
    r = neighbour.allocate()
    assert ok(r), f"another user from the limited IP: {desc(r)}" + bed.why()
    # Another client (another IP) is answered and allocates.
    other = bed.udp()
    r = other.allocate()
    assert ok(r), f"another client during the limit: {desc(r)}" + bed.why()
    binding = bed.stun(server=("127.0.0.1", TURN_PORT)).binding()
    print(f"went silent after {answered} failures in {time.monotonic() - t0:.1f}s; right password from the limited IP: "
          f"{limited_right_password}; Binding from it: {desc(binding)}")
    # The window (10 s from the first failure) passes: answered again.
    time.sleep(max(0.0, 10.5 - (time.monotonic() - t0)))
    again = bed.udp(server=("127.0.0.1", TURN_PORT))
    r = again.allocate()
    assert ok(r), f"the limited client 10 s later, right password: {desc(r)}" + bed.why()
    stats = bed.finish()
    assert stats["auth failures"] == answered, f"auth failures={stats['auth failures']}, answered {answered}" + bed.why()


# ------------------------------------------------------------------------------ amplification

def test_unauthenticated_answers_not_larger_than_request(bed):
    """Reflection (RFC 8489 16.1.3, RFC 8656 21.1.3): an answer sent over UDP before
    authentication is no larger than its request, except the minimum an honest client needs
    first: a Binding's XOR-MAPPED-ADDRESS and an Allocate's short 401 (REALM and a nonce without
    the RFC 8489 security-feature cookie, so it owes no PASSWORD-ALGORITHMS). Other tiny
    unauthenticated requests (Refresh, CreatePermission, unknown methods) go unanswered."""
    sizes = []
    # The short 401: header, ERROR-CODE without reason, REALM, a 24-character nonce.
    short_401 = 20 + 8 + 4 + (len(TURN_REALM) + 3) // 4 * 4 + 4 + 24
    c = bed.udp(TURN_USER, "wrong")
    for pad in (0, 72, 100, 172):
        attrs = [(sc.REQUESTED_TRANSPORT, sc.requested_transport())]
        if pad:
            attrs.append((sc.SOFTWARE, b"s" * (pad - 4)))
        m = sc.Message(sc.ALLOCATE, sc.REQUEST, attrs)
        r = c.request(m)
        size = len(m.encode())
        assert r is not None and r.code == 401, f"unauthenticated Allocate of {size} bytes: {desc(r)}" + bed.why()
        sizes.append((size, len(r.raw)))
        assert len(r.raw) <= max(size, short_401), f"401 of {len(r.raw)} bytes to an Allocate of {size}" + bed.why()
        nonce = r.get(sc.NONCE)
        announces = nonce is not None and nonce.startswith(b"obMatJos2")
        if announces:
            assert r.get(sc.PASSWORD_ALGORITHMS) is not None, \
                f"a nonce with the security-feature cookie but no PASSWORD-ALGORITHMS (RFC 8489 9.2.5), {size}-byte request" + bed.why()
        c._learn(r)
    assert sizes[-1][1] > sizes[0][1], f"a large request should get the full challenge: {sizes}" + bed.why()
    msg, data = c.signed(sc.ALLOCATE, [(sc.REQUESTED_TRANSPORT, sc.requested_transport())])
    r = c.exchange(data, msg.tid)
    assert r is not None and r.code == 401, f"wrong password: {desc(r)}" + bed.why()
    sizes.append((len(data), len(r.raw)))
    assert len(r.raw) <= len(data), f"401 of {len(r.raw)} bytes to a {len(data)}-byte request" + bed.why()
    s = bed.stun()
    r = s.request(sc.Message(sc.BINDING, sc.REQUEST))
    assert r is not None and len(r.raw) <= 44, f"Binding: {desc(r)}" + bed.why()
    for request in (sc.Message(sc.REFRESH, sc.REQUEST), sc.Message(sc.CREATE_PERMISSION, sc.REQUEST),
                    sc.Message(0x00B, sc.REQUEST)):
        r = s.request(request)
        assert r is None, f"{request.name} of 20 bytes was answered with {len(r.raw)} bytes" + bed.why()
    padded = sc.Message(sc.REFRESH, sc.REQUEST, [(sc.SOFTWARE, b"r" * 120)])
    r = s.request(padded)
    assert r is not None and r.code == 401 and len(r.raw) <= len(padded.encode()), f"padded Refresh: {desc(r)}" + bed.why()
    print("Allocate -> 401 sizes:", sizes)
    stats = bed.finish()  # asserts: no 401 to an Allocate of >= 100 bytes was larger than it
    assert stats.get("unanswered for size", 0) >= 3, f"unanswered requests not counted: {bed.server.statistics_line()}" + bed.why()


# ------------------------------------------------------------------------------ statistics

def test_statistics_count_failures_and_refusals(bed):
    """The statistics line at SIGTERM counts failed authentications (wrong password, unknown user,
    expired REST credential; not the first 401 challenge), refused peers and malformed messages."""
    for username, password in [(TURN_USER, "wrong"), ("nobody", "x"),
                               sc.rest_credentials(TURN_SECRET, "dave", time.time() - 5)]:
        r = bed.udp(username, password).allocate()
        assert r is not None and r.code == 401, f"{username}: {desc(r)}" + bed.why()
    c = bed.udp()
    assert ok(c.allocate()), "allocation" + bed.why()
    r1 = c.create_permission(("127.0.0.1", 9))
    r2 = c.channel_bind(0x4001, ("169.254.169.254", 80))
    assert r1 is not None and r1.code == 403 and r2 is not None and r2.code == 403, \
        f"refusals: {desc(r1)}, {desc(r2)}" + bed.why()
    t = bed.raw_udp()
    tid = os.urandom(12)
    t.send(_header(sc.BINDING, sc.REQUEST, 100, tid) + _attr(sc.SOFTWARE, b"abcd"))
    t.recv(0.5)
    stats = bed.finish()
    line = bed.server.statistics_line()
    assert stats["auth failures"] == 3, f"auth failures={stats['auth failures']}, caused 3: {line}" + bed.why()
    assert stats["refused peers"] == 2, f"refused peers={stats['refused peers']}, caused 2: {line}" + bed.why()
    assert stats["malformed"] >= 1, f"malformed={stats['malformed']}, sent 1: {line}" + bed.why()
    assert stats["created"] >= 2, f"created={stats['created']}: the witness and this test allocated: {line}" + bed.why()
    assert stats["packets to peers"] > 50 and stats["packets to clients"] > 50, f"witness traffic not counted: {line}" + bed.why()
