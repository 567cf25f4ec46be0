"""Calls through `sfu serve --dev` whose media is relayed by its bundled TURN server.

`joined.iceServers` carries the relay's STUN and TURN URLs with a per-participant TURN REST
credential (docs/signaling.md). Here every client uses relay candidates only, with the TURN URL
and credential from its own `joined`:
- Chromium, two demo pages, with `rtcConfig: {iceTransportPolicy: 'relay'}` (the page URL
  carries it; peers/relay_chromium.py applies it to the client's `rtcConfig` option) and only
  the `turn:...?transport=udp` URL, then only the `?transport=tcp` one (with both, Chromium
  may pick either allocation, so each variant keeps one);
- aiortc, two participants, with `RTCConfiguration(iceTransportPolicy=RELAY)`: one with the
  UDP TURN URL, the other with the TCP one.

Evidence that the relay carried the media: in the test host every process shares one network
namespace, so host candidates would work too; what rules them out is the clients' own view of
the path. The selected pair (Chromium: getStats' selected candidate pair; aiortc: aioice's
nominated pair) of every publisher and subscriber connection has a `relay` local candidate over
the expected TURN transport, whose relayed address is the relay's (HOST_ADDR, a port in the relay
range 51000-59999), paired with the SFU's media port (ROOM_MEDIA_PORTS), and the clients
gathered no other kind of candidate, while media flows both ways (video frames decoded and audio
packets received growing; each aiortc participant hears the other's tone). Besides, when the
server's shutdown log has the relay's statistics line, it must show media-sized traffic both ways.
"""
import re

from conftest import HOST_ADDR, ROOM_MEDIA_PORTS
import test_room_chromium  # for check_growth (a module import, so its test is not collected here)

RELAY_PORTS = range(51000, 60000)
MEDIA_PORTS = range(int(ROOM_MEDIA_PORTS.split("-")[0]), int(ROOM_MEDIA_PORTS.split("-")[1]) + 1)
TURN_PORT = 3478
STATS = re.compile(r"statistics=.*?packets to peers=(\d+) to clients=(\d+) bytes to peers=(\d+) to clients=(\d+)")


def turn_urls(ice_servers):
    return [u for s in ice_servers or [] for u in ([s["urls"]] if isinstance(s.get("urls"), str) else s.get("urls") or [])]


def check_joined_servers(servers, why):
    urls = turn_urls(servers)
    for want in (f"turn:{HOST_ADDR}:{TURN_PORT}?transport=udp", f"turn:{HOST_ADDR}:{TURN_PORT}?transport=tcp"):
        assert want in urls, f"joined.iceServers lacks {want}: {servers}" + why
    turn = [s for s in servers if any(u.startswith("turn:") for u in turn_urls([s]))]
    assert all(s.get("username") and ":" in s["username"] for s in turn), \
        f"TURN entries without a REST username (expiry:id): {servers}" + why


def signal_note(signal):
    """The server's signalled candidates per client, for failure messages."""
    return ("\nserver candidates seen by each client (trickled per target; `a=candidate` lines in "
            f"subscriber-offers): {signal}")


def check_remote_is_sfu(remote, where, why):
    # Chromium hides the address of a peer-reflexive remote candidate (""), the port stays.
    address_ok = remote.get("address") == HOST_ADDR or (remote.get("candidateType") == "prflx" and not remote.get("address"))
    assert address_ok and remote.get("port") in MEDIA_PORTS, \
        f"{where}: remote candidate {remote}, wanted the SFU's media address {HOST_ADDR}:{ROOM_MEDIA_PORTS}" + why


def check_relay_stats(room_server, why):
    """Stop the server; if its log has the relay's statistics line, media went through it both ways."""
    room_server.stop()
    m = None
    for m in STATS.finditer(room_server.stderr_tail(400)):
        pass
    if m is None:
        return None
    to_peers, to_clients = int(m.group(3)), int(m.group(4))
    assert to_peers > 50_000 and to_clients > 50_000, \
        f"relay statistics show little traffic (bytes to peers {to_peers}, to clients {to_clients}): {m.group(0)}" + why
    return m.group(0)


def check_chromium_pairs(pairs, relay_protocol, why):
    """Every page's publisher and subscriber connection: policy relay, relay candidates only, and
    a selected pair from a relayed address on our TURN to the SFU's media port, carrying bytes."""
    for page, view in pairs.items():
        assert not view.get("error"), f"{page}: getStats failed: {view['error']}" + why
        roles = {pc["role"]: pc for pc in view["pcs"] if pc["signaling"] != "closed"}
        assert {"publisher", "subscriber"} <= set(roles), f"{page}: peer connections {list(roles)}" + why
        for role in ("publisher", "subscriber"):
            pc = roles[role]
            where = f"{page} {role}"
            assert pc["iceTransportPolicy"] == "relay", \
                f"{where}: iceTransportPolicy {pc['iceTransportPolicy']!r} (rtcConfig not applied?)" + why
            urls = turn_urls(pc["iceServers"])
            assert urls == [f"turn:{HOST_ADDR}:{TURN_PORT}?transport={relay_protocol}"], \
                f"{where}: ICE server URLs {urls}, wanted only the joined TURN URL for {relay_protocol}" + why
            not_relay = [c for c in pc["localCandidates"] if c["candidateType"] != "relay"]
            assert not not_relay, f"{where}: non-relay local candidates with policy relay: {not_relay}" + why
            sel = pc["selected"]
            assert sel and sel["local"] and sel["remote"], f"{where}: no selected candidate pair ({pc['ice']}, {pc['conn']})" + why
            local = sel["local"]
            assert local["candidateType"] == "relay", f"{where}: selected local candidate {local}" + why
            assert local["relayProtocol"] == relay_protocol, \
                f"{where}: relayProtocol {local['relayProtocol']!r}, wanted {relay_protocol!r}: {local}" + why
            assert local["address"] == HOST_ADDR and local["port"] in RELAY_PORTS, \
                f"{where}: relayed address {local['address']}:{local['port']}, wanted {HOST_ADDR}:51000-59999" + why
            if local.get("url"):
                assert local["url"].startswith(f"turn:{HOST_ADDR}:{TURN_PORT}"), f"{where}: relay candidate from {local['url']}" + why
            check_remote_is_sfu(sel["remote"], where, why)
            assert (sel["bytesSent"] or 0) > 0 and (sel["bytesReceived"] or 0) > 0, f"{where}: selected pair idle: {sel}" + why


def run_chromium(room_server, relay_protocol):
    r = room_server.run_peer("relay_chromium.py", ["--room", f"relay-{relay_protocol}", "--turn-transport", relay_protocol],
                             timeout=90)
    why = room_server.why(r, lines=60)
    views = r.get("pairs") or r.get("pairsWhileWaiting") or r.get("pairsAtFailure") or {}
    signal = {p: (v.get("hook") or {}).get("signal") for p, v in views.items()}
    assert r["phase"] == "done", f"stopped at phase {r['phase']}: {r['notes']}" + signal_note(signal) + why
    hooks = {p: v.get("hook") or {} for p, v in r["pairs"].items()}
    assert all(h.get("applied") for h in hooks.values()), f"rtcConfig hook not applied: {hooks}" + why
    for h in hooks.values():
        check_joined_servers(h.get("joinedIceServers"), why)
    test_room_chromium.check_growth(r["growth"], f"pages relayed over TURN/{relay_protocol}", why)
    check_chromium_pairs(r["pairs"], relay_protocol, why)
    check_relay_stats(room_server, why)


def test_chromium_relay_udp(room_server):
    """Two demo pages, iceTransportPolicy 'relay', the joined `turn:...?transport=udp` URL."""
    run_chromium(room_server, "udp")


def test_chromium_relay_tcp(room_server):
    """Two demo pages, iceTransportPolicy 'relay', the joined `turn:...?transport=tcp` URL."""
    run_chromium(room_server, "tcp")


def test_aiortc_relay(room_server):
    """Two aiortc participants with iceTransportPolicy RELAY: A's TURN URL ?transport=udp, B's
    ?transport=tcp; each hears the other's tone and decodes its video."""
    transports = {"A": "udp", "B": "tcp"}
    r = room_server.run_peer("relay_aiortc.py", ["--a-transport", transports["A"], "--b-transport", transports["B"]],
                             timeout=90)
    why = room_server.why(r, lines=60)
    note = signal_note(r.get("signal"))
    assert r["phase"] == "done", f"stopped at phase {r['phase']}: {r['notes']}" + note + why
    for n, servers in r["iceServers"].items():
        check_joined_servers(servers, why)
    for n, h in r["heard"].items():
        assert h["audioFrames"] >= 100 and h["videoFrames"] >= 15, \
            f"{n} decoded {h['audioFrames']} audio / {h['videoFrames']} video frames of {h['from']} " \
            f"(notes {r['notes']})" + note + why
        assert h["dominantHz"] is not None and abs(h["dominantHz"] - h["wantHz"]) <= 10, \
            f"{n} heard {h['from']} at {h['dominantHz']} Hz, wanted {h['wantHz']}±10" + why
        assert h["rms"] > 100, f"{n}: {h['from']}'s tone nearly silent (RMS {h['rms']})" + why
    for n, views in r["ice"].items():
        for role, v in views.items():
            where = f"{n} {role}"
            assert v and v.get("nominated"), f"{where}: no nominated pair: {v}" + why
            assert "RELAY" in v["policy"], f"{where}: aioice transport policy {v['policy']}" + why
            not_relay = [c for c in v["localCandidates"] if c["type"] != "relay"]
            assert v["localCandidates"] and not not_relay, \
                f"{where}: local candidates {v['localCandidates']}, wanted relay ones only" + why
            for comp, pair in v["nominated"].items():
                local = pair["local"]
                assert local["type"] == "relay", f"{where}: nominated local candidate {local}" + why
                assert local["host"] == HOST_ADDR and local["port"] in RELAY_PORTS, \
                    f"{where}: relayed address {local['host']}:{local['port']}, wanted {HOST_ADDR}:51000-59999" + why
                assert pair["turnClient"] == f"turn/{transports[n]}", \
                    f"{where}: TURN client {pair['turnClient']}, wanted turn/{transports[n]}" + why
                remote = pair["remote"]
                assert remote["host"] == HOST_ADDR and remote["port"] in MEDIA_PORTS, \
                    f"{where}: remote candidate {remote}, wanted the SFU's media address" + why
    check_relay_stats(room_server, why)
