#!/usr/bin/env python3
"""Two aiortc participants through `sfu serve`, each using relay candidates only.

Each participant takes the TURN URL and REST credential from its own `joined.iceServers` and
builds its peer connections with `RTCConfiguration(iceServers=[that URL], iceTransportPolicy=
RELAY)` (aiortc 1.16 passes the policy to aioice, which then gathers no host or
server-reflexive candidate at all). aiortc uses one TURN URL per connection, so each participant
picks one transport: by default A relays over UDP, B over TCP.

Both publish an Opus tone (A 440 Hz, B 660 Hz) and a small video pattern and subscribe to the
other. Reported: frames decoded per direction, the dominant frequency each heard, and per peer
connection (publisher, subscriber) the aioice view: local candidates and the nominated pair
(local candidate type, relayed address, TURN client protocol), and what the server signalled
(trickled candidates per target, candidates inside subscriber offers).
Prints `RESULT {json}`.
"""
import argparse
import asyncio
import logging
import sys
import time

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcconfiguration import RTCIceTransportPolicy

from room_client import AiortcParticipant, PatternTrack, ToneTrack, cli_token, dominant_frequency, emit_result


def turn_url(ice_servers, transport):
    """(url, username, credential) of the first `turn:` URL with ?transport=`transport`."""
    for s in ice_servers or []:
        urls = s.get("urls")
        for u in ([urls] if isinstance(urls, str) else urls or []):
            if u.startswith("turn:") and f"transport={transport}" in u:
                return u, s.get("username"), s.get("credential")
    return None, None, None


class RelayParticipant(AiortcParticipant):
    """AiortcParticipant whose peer connections use only relay candidates of the TURN URL
    (with ?transport=`turn_transport`) from its `joined` message."""

    def __init__(self, url, token, label, turn_transport, hint=None):
        super().__init__(url, token, label)
        self.turn_transport = turn_transport
        self.hint = hint
        self.turn = None
        self.config = None

    async def join(self, timeout=10.0):
        reply = await super().join(timeout)
        if reply and reply.get("type") == "joined":
            url, user, cred = turn_url(reply.get("iceServers"), self.turn_transport)
            if url is None:
                raise RuntimeError(f"{self.label}: no turn: URL with transport={self.turn_transport} "
                                   f"in joined.iceServers {reply.get('iceServers')!r}")
            self.turn = {"url": url, "username": user}
            self.config = RTCConfiguration(
                iceServers=[RTCIceServer(urls=[url], username=user, credential=cred)],
                iceTransportPolicy=RTCIceTransportPolicy.RELAY,
                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        return reply

    # The base class creates each connection on first use; create it first with our config.
    async def publish(self, tracks, **kw):
        if self.pub is None:
            self.pub = RTCPeerConnection(self.config)
        return await super().publish(tracks, **kw)

    async def _on_subscriber_offer(self, msg):
        if self.sub is None:
            self.sub = RTCPeerConnection(self.config)
            self.sub.on("track", self._on_track)
            if self.hint:  # diagnostic only, see --hint-subscriber-candidate
                host, port = self.hint.rsplit(":", 1)
                self._pending["subscriber"].append(f"candidate:1 1 udp 2015363327 {host} {port} typ host")
        await super()._on_subscriber_offer(msg)


def _cand(c):
    return None if c is None else {"type": c.type, "transport": c.transport, "host": c.host, "port": c.port}


def ice_view(pc):
    """aioice's view of a peer connection: its Connection's candidates and nominated pair."""
    if pc is None:
        return None
    conn = None
    for t in pc.getTransceivers():
        dtls = t.receiver.transport or t.sender.transport
        if dtls is not None:
            conn = dtls.transport.iceGatherer._connection
            break
    if conn is None:
        return {"connection": None}
    nominated = {}
    for comp, pair in getattr(conn, "_nominated", {}).items():
        transport = getattr(pair.protocol, "transport", None)
        inner = getattr(transport, "_TurnTransport__inner_protocol", None)
        nominated[comp] = {"local": _cand(pair.local_candidate), "remote": _cand(pair.remote_candidate),
                           "turnClient": repr(inner) if inner is not None else None}
    return {
        "policy": str(getattr(conn, "_transport_policy", None)),
        "turnServer": list(conn.turn_server) if conn.turn_server else None,
        "turnTransport": getattr(conn, "turn_transport", None),
        "localCandidates": [_cand(c) for c in conn.local_candidates],
        "nominated": nominated,
        "state": pc.connectionState,
    }


def signal_view(p):
    """What the server signalled: trickled candidates per target, candidates inside offers."""
    v = {"trickle": {"publisher": 0, "subscriber": 0}, "endOfCandidates": {"publisher": 0, "subscriber": 0},
         "subscriberOffers": 0, "subscriberOfferCandidates": 0}
    for m in p.client.messages:
        if m.get("type") == "trickle" and m.get("target") in v["trickle"]:
            v["trickle" if m.get("candidate") else "endOfCandidates"][m["target"]] += 1
        elif m.get("type") == "subscriber-offer":
            v["subscriberOffers"] += 1
            v["subscriberOfferCandidates"] += sum(1 for l in (m.get("sdp") or "").splitlines() if l.startswith("a=candidate:"))
    return v


def track_ids(published):
    return {t.get("kind"): t.get("id") for t in (published or {}).get("tracks") or []}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="relay-aiortc")
    ap.add_argument("--a-transport", default="udp", choices=["udp", "tcp"])
    ap.add_argument("--b-transport", default="tcp", choices=["udp", "tcp"])
    ap.add_argument("--a-hz", type=float, default=440.0)
    ap.add_argument("--b-hz", type=float, default=660.0)
    ap.add_argument("--seconds", type=float, default=2.0, help="audio to analyse once it flows")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--hint-subscriber-candidate", metavar="ADDR:PORT",
                    help="diagnostic, not used by the tests: add this host candidate to each subscriber "
                         "connection, so its TURN allocation gets a permission for ADDR even when the server "
                         "trickles no subscriber candidate (the SFU's own checks then come through)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    a = RelayParticipant(args.ws, cli_token(args.room, "relay-a", "A"), "A", args.a_transport,
                         args.hint_subscriber_candidate)
    b = RelayParticipant(args.ws, cli_token(args.room, "relay-b", "B"), "B", args.b_transport,
                         args.hint_subscriber_candidate)
    parts = {"A": a, "B": b}
    hz = {"A": args.a_hz, "B": args.b_hz}
    try:
        for n, p in parts.items():
            r = await p.join()
            if not r or r.get("type") != "joined":
                raise RuntimeError(f"{n} join: {r!r}")
            result.setdefault("iceServers", {})[n] = [{k: s.get(k) for k in ("urls", "username")}
                                                      for s in r.get("iceServers") or []]
            result.setdefault("turn", {})[n] = p.turn
        result["phase"] = "joined"
        tracks = {}
        for n, p in parts.items():
            r = await p.publish([ToneTrack(hz[n]), PatternTrack()])
            if not r or r.get("type") != "published":
                raise RuntimeError(f"{n} publish: {r!r}")
            tracks[n] = track_ids(r)
        result["tracks"] = tracks
        result["phase"] = "published"

        other = {"A": "B", "B": "A"}
        need = int((1.0 + args.seconds) * 50)

        def enough():
            return all(parts[n].frames.get(tracks[other[n]]["audio"], 0) >= need
                       and parts[n].frames.get(tracks[other[n]]["video"], 0) >= 15 for n in parts)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not enough():
            if any(p.client.closed.is_set() for p in parts.values()):
                result["notes"].append("a session ended while waiting for media: " + ", ".join(
                    f"{n} {p.server_states[-3:]}" for n, p in parts.items()))
                break
            await asyncio.sleep(0.1)
        result["mediaAfter"] = round(time.monotonic() - t0, 2)
        heard = {}
        for n, p in parts.items():
            o = other[n]
            samples = p.audio_samples(tracks[o]["audio"])
            f, rms = dominant_frequency(samples[-int(args.seconds * 48000):])
            heard[n] = {"from": o, "wantHz": hz[o], "dominantHz": f, "rms": rms,
                        "audioFrames": p.frames.get(tracks[o]["audio"], 0),
                        "videoFrames": p.frames.get(tracks[o]["video"], 0)}
        result["heard"] = heard
        result["ice"] = {n: {"publisher": ice_view(p.pub), "subscriber": ice_view(p.sub)} for n, p in parts.items()}
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        if "ice" not in result:
            try:
                result["ice"] = {n: {"publisher": ice_view(p.pub), "subscriber": ice_view(p.sub)} for n, p in parts.items()}
            except Exception as e:
                result["notes"].append(f"ice view: {e!r}")
        for n, p in parts.items():
            result[n] = p.summary()
            result.setdefault("signal", {})[n] = signal_view(p)
        for p in parts.values():
            await p.leave()
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
