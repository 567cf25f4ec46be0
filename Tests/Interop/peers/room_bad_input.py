#!/usr/bin/env python3
"""Bad input against `sfu serve` while a call is going on.

Room "main" holds a call: `caller` (aiortc) publishes a 440 Hz Opus tone, `listener` (aiortc)
subscribes to it. Then, one after another, clients misbehave (bad tokens, bad JSON, bad
envelopes, oversized frames, requests before join, unusable offers, too many tracks, publishing
without the grant, a flood of candidates, a flood of messages). For each case the script records
what the server answered (error codes and ids, bye, close code) and whether the call survived:
the listener's decoded tone frames keep growing. At the end a fresh participant joins and
publishes, and the listener must receive it.

Prints `RESULT {json}` with `cases: {name: facts}`; test_room_bad_input.py holds the expectations.
"""
import argparse
import asyncio
import json
import logging
import sys
import time

from aiortc import RTCRtpSender

from room_client import (AiortcParticipant, RoomClient, ToneTrack, cli_token, craft_token,
                         emit_result)

ROOM = "main"


class Ctx:
    def __init__(self, args):
        self.ws = args.ws
        self.http = args.http
        self.n = 0
        self.caller = None
        self.listener = None
        self.track_id = None

    def ident(self, base):
        self.n += 1
        return f"{base}-{self.n}"

    async def client(self, label):
        c = RoomClient(self.ws, label)
        await c.open()
        return c

    async def joined_client(self, label, room=ROOM, **token_kw):
        c = await self.client(label)
        r = await c.join(cli_token(room, self.ident(label), **token_kw))
        if not r or r.get("type") != "joined":
            raise RuntimeError(f"{label}: join failed: {r!r}")
        return c, r


async def ping_ok(c, timeout=3.0):
    if c.closed.is_set():
        return "closed"
    try:
        r = await c.request("ping", timeout=timeout)
    except Exception as e:
        return f"send failed: {e!r}"
    return (r or {}).get("type") or "no reply"


def facts(c, **extra):
    """What the server did on this connection: errors, bye, close."""
    d = {
        "errors": c.errors(),
        "bye": [m.get("reason") for m in c.of_type("bye")],
        "closed": c.closed.is_set(),
        "closeCode": c.close_code,
        "types": [m.get("type") for m in c.messages],
    }
    d.update(extra)
    return d


async def fatal_join(ctx, label, token, **join_extra):
    c = await ctx.client(label)
    r = await c.join(token, timeout=5, **join_extra)
    await c.wait_closed(5)
    f = facts(c, reply=(r or {}).get("type"), replyId=(r or {}).get("id"))
    await c.close()
    return f


# ------------------------------------------------------------------------------------ cases

async def case_no_token(ctx):
    return await fatal_join(ctx, "no-token", None)


async def case_expired_token(ctx):
    return await fatal_join(ctx, "expired", craft_token(ROOM, ctx.ident("expired"), exp_in=-900))


async def case_forged_token(ctx):
    return await fatal_join(ctx, "forged", craft_token(ROOM, ctx.ident("forged"), secret="not-the-server-secret-0123456789abcdef"))


async def case_malformed_token(ctx):
    return await fatal_join(ctx, "malformed-token", "this.is-not-a.jwt")


async def case_wrong_algorithm(ctx):
    return await fatal_join(ctx, "hs512", craft_token(ROOM, ctx.ident("hs512"), algorithm="HS512"))


async def case_unknown_key(ctx):
    return await fatal_join(ctx, "unknown-key", craft_token(ROOM, ctx.ident("unknown-key"), key="nokey"))


async def case_alg_none(ctx):
    """An unsigned token (`alg: none`)."""
    import base64
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"iss": "devkey", "sub": ctx.ident("alg-none"), "room": ROOM, "iat": now, "exp": now + 600,
              "grants": {"publish": True, "subscribe": True}}
    return await fatal_join(ctx, "alg-none", f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'devkey'})}.{b64(claims)}.")


async def case_missing_exp(ctx):
    return await fatal_join(ctx, "no-exp", craft_token(ROOM, ctx.ident("no-exp"), drop=("exp",)))


async def case_token_room(ctx):
    """A token for room "other" joins "other": never "main", whatever the client wants."""
    before = len(ctx.listener.client.messages)
    ident = ctx.ident("other-room")
    c = await ctx.client("other-room")
    r = await c.join(cli_token("other-side", ident), room=ROOM)  # an extra `room` field must be ignored
    await asyncio.sleep(0.5)
    seen = [m for m in ctx.listener.client.messages[before:] if m.get("type") == "participant-joined"
            and (m.get("participant") or {}).get("identity") == ident]
    f = facts(c, reply=(r or {}).get("type"), room=(r or {}).get("room"),
              participants=[p.get("identity") for p in (r or {}).get("participants") or []],
              seenInMain=bool(seen), leave=None)
    f["leave"] = ((await c.leave()) or {}).get("type")
    f["closeCodeAfterLeave"] = c.close_code
    await c.close()
    return f


async def case_bad_json(ctx):
    c, _ = await ctx.joined_client("bad-json")
    await c.send_raw("{not json")
    e1 = await c.wait("error", 3)
    n = len(c.messages)
    await c.send_raw("[1, 2, 3]")
    e2 = await c.wait("error", 3, since=n)
    f = facts(c, codes=[(e1 or {}).get("code"), (e2 or {}).get("code")], pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_binary_frame(ctx):
    c, _ = await ctx.joined_client("binary")
    await c.ws.send(b'{"v": 1, "type": "ping", "id": "bin"}')
    e = await c.wait("error", 3)
    f = facts(c, code=(e or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_missing_version(ctx):
    c, _ = await ctx.joined_client("no-v")
    await c.send_raw(json.dumps({"type": "ping", "id": "nv-1"}))
    e = await c.wait(lambda m: m.get("id") == "nv-1", 3)
    f = facts(c, reply=(e or {}).get("type"), code=(e or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_missing_type(ctx):
    c, _ = await ctx.joined_client("no-type")
    await c.send({"id": "nt-1"})
    e = await c.wait(lambda m: m.get("id") == "nt-1", 3)
    f = facts(c, reply=(e or {}).get("type"), code=(e or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_unknown_type(ctx):
    c, _ = await ctx.joined_client("unknown-type")
    await c.send({"type": "frobnicate", "id": "u-1"})
    e = await c.wait("error", 3)
    f = facts(c, code=(e or {}).get("code"), errorId=(e or {}).get("id"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_wrong_version(ctx):
    c, _ = await ctx.joined_client("wrong-v")
    await c.send({"v": 2, "type": "ping", "id": "v-2"})
    e = await c.wait(lambda m: m.get("id") == "v-2", 3)
    f = facts(c, reply=(e or {}).get("type"), code=(e or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def send_oversized(c, msg_id, pad):
    """Sends a ping padded with `pad` bytes and waits for the close; the facts of the exchange."""
    msg = json.dumps({"v": 1, "type": "ping", "id": msg_id, "pad": "x" * pad})
    try:
        await c.send_raw(msg)
    except Exception as e:
        c.handler_errors.append(f"send: {e!r}")
    await c.wait_closed(5)
    f = facts(c, bytes=len(msg))
    await c.close()
    return f


async def case_oversized_before_join(ctx):
    """70000 bytes before join: over the 65536 limit: error, then close 1009."""
    return await send_oversized(await ctx.client("oversized-before-join"), "big", 70000)


async def case_oversized(ctx):
    """1.1 MB after join: over the joined limit (1 MiB), under the transport's frame cap (2 MiB):
    error, then close 1009."""
    c, _ = await ctx.joined_client("oversized")
    return await send_oversized(c, "big", 1_100_000)


async def case_oversized_huge(ctx):
    """3 MB, over the frame cap: the WebSocket layer may cut it off with close 1009 alone."""
    c, _ = await ctx.joined_client("oversized-huge")
    return await send_oversized(c, "huge", 3_000_000)


async def case_before_join(ctx):
    c = await ctx.client("before-join")
    r0 = await c.request("ping", timeout=3)
    r1 = await c.request("publish", timeout=3, sdp="v=0\r\n")
    r2 = await c.request("mute", timeout=3, trackId="x", muted=True)
    r3 = await c.join(cli_token(ROOM, ctx.ident("before-join")), timeout=5)
    f = facts(c, codes=[(r1 or {}).get("code"), (r2 or {}).get("code")],
              replies=[(r1 or {}).get("type"), (r2 or {}).get("type")], joinAfter=(r3 or {}).get("type"),
              pingBefore=(r0 or {}).get("type"))
    await c.leave()
    await c.close()
    return f


async def case_already_joined(ctx):
    c, _ = await ctx.joined_client("twice")
    r = await c.join(cli_token(ROOM, ctx.ident("twice")), timeout=3)
    f = facts(c, reply=(r or {}).get("type"), code=(r or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_bad_request(ctx):
    c, _ = await ctx.joined_client("bad-request")
    r1 = await c.request("publish", timeout=3)                       # no sdp
    r2 = await c.request("mute", timeout=3, trackId=5, muted="yes")  # wrong types
    f = facts(c, codes=[(r1 or {}).get("code"), (r2 or {}).get("code")], pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_bad_sdp(ctx):
    c, _ = await ctx.joined_client("bad-sdp")
    r = await c.request("publish", timeout=5, sdp="this is not SDP\r\nm=audio x\r\n")
    f = facts(c, code=(r or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def case_unknown_track(ctx):
    c, _ = await ctx.joined_client("unknown-track")
    r = await c.request("mute", timeout=3, trackId="no-such-track", muted=True)
    f = facts(c, code=(r or {}).get("code"), pingAfter=await ping_ok(c))
    await c.leave()
    await c.close()
    return f


async def aiortc_client(ctx, label, **token_kw):
    p = AiortcParticipant(ctx.ws, cli_token(ROOM, ctx.ident(label), **token_kw), label)
    r = await p.join()
    if not r or r.get("type") != "joined":
        raise RuntimeError(f"{label}: join failed: {r!r}")
    return p, r


async def case_no_usable_codec(ctx):
    """An offer whose only audio codecs are PCMU and PCMA (G.711): nothing the SFU forwards."""
    p, _ = await aiortc_client(ctx, "g711")

    def prepare(pc):
        tr = pc.addTransceiver(ToneTrack(300), direction="sendonly")
        caps = RTCRtpSender.getCapabilities("audio").codecs
        tr.setCodecPreferences([c for c in caps if c.mimeType.lower() in ("audio/pcmu", "audio/pcma")])
    r = await p.publish([], prepare=prepare, timeout=5)
    offer = p.pub.localDescription.sdp
    f = facts(p.client, reply=(r or {}).get("type"), code=(r or {}).get("code"),
              offerRtpmaps=[l for l in offer.splitlines() if l.startswith("a=rtpmap")],
              pingAfter=await ping_ok(p.client))
    await p.leave()
    return f


async def case_too_many_tracks(ctx, n=10):
    p, _ = await aiortc_client(ctx, "many-tracks")
    r = await p.publish([ToneTrack(200 + 10 * i) for i in range(n)], timeout=8)
    mlines = sum(1 for l in p.pub.localDescription.sdp.splitlines() if l.startswith("m="))
    f = facts(p.client, reply=(r or {}).get("type"), code=(r or {}).get("code"), mLines=mlines,
              pingAfter=await ping_ok(p.client))
    await p.leave()
    return f


async def case_no_publish_grant(ctx):
    p, joined = await aiortc_client(ctx, "no-publish", no_publish=True)
    r = await p.publish([ToneTrack(500)], timeout=5)
    f = facts(p.client, grants=joined.get("grants"), reply=(r or {}).get("type"), code=(r or {}).get("code"),
              pingAfter=await ping_ok(p.client))
    await p.leave()
    return f


async def case_bad_candidate(ctx):
    p, _ = await aiortc_client(ctx, "bad-cand")
    r = await p.publish([ToneTrack(550)], timeout=8)
    n = len(p.client.messages)
    await p.client.send({"type": "trickle", "id": "bc-1", "target": "publisher", "candidate": "candidate:garbage here"})
    e = await p.client.wait("error", 3, since=n)
    f = facts(p.client, published=(r or {}).get("type"), code=(e or {}).get("code"), errorId=(e or {}).get("id"),
              pingAfter=await ping_ok(p.client))
    await p.leave()
    return f


async def case_candidate_flood(ctx, count=215, per_second=100):
    """More than 200 trickle candidates on one publisher connection, paced under the rate limit."""
    p, _ = await aiortc_client(ctx, "flood")
    r = await p.publish([ToneTrack(600)], timeout=8)
    n0 = len(p.client.messages)
    first_error_at = None
    for i in range(count):
        cand = f"candidate:{1000 + i} 1 udp {2122260223 - i} 10.213.0.{100 + i % 100} {40000 + i} typ host"
        await p.client.send({"type": "trickle", "target": "publisher", "candidate": cand})
        if first_error_at is None and any(m.get("type") == "error" for m in p.client.messages[n0:]):
            first_error_at = i + 1
        await asyncio.sleep(1 / per_second)
    await asyncio.sleep(0.5)
    errs = [m for m in p.client.messages[n0:] if m.get("type") == "error"]
    ping = await ping_ok(p.client)
    # The count restarts with a successful publish (a new ICE generation may follow).
    r2 = await p.publish([ToneTrack(650)], timeout=8)
    n1 = len(p.client.messages)
    for i in range(10):
        cand = f"candidate:{5000 + i} 1 udp {2122000000 - i} 10.213.0.{200 + i} {45000 + i} typ host"
        await p.client.send({"type": "trickle", "target": "publisher", "candidate": cand})
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    errs2 = [m.get("code") for m in p.client.messages[n1:] if m.get("type") == "error"]
    f = facts(p.client, published=(r or {}).get("type"), sent=count, errorCodes=sorted({m.get("code") for m in errs}),
              errorCount=len(errs), firstErrorAfterCandidate=first_error_at, pingAfter=ping,
              republished=(r2 or {}).get("type"), errorsAfterRepublish=errs2)
    await p.leave()
    return f


async def case_message_flood(ctx, count=400):
    """400 pings at once: past the burst of 200: rate-limited, close 1008."""
    c, _ = await ctx.joined_client("ping-flood")
    for i in range(count):
        try:
            await c.send({"type": "ping", "id": f"p{i}"})
        except Exception:
            break
    await c.wait_closed(5)
    f = facts(c, sent=count, pongs=len(c.of_type("pong")))
    f["types"] = sorted(set(f["types"]))
    await c.close()
    return f


CASES = [
    ("no-token", case_no_token),
    ("expired-token", case_expired_token),
    ("forged-token", case_forged_token),
    ("malformed-token", case_malformed_token),
    ("wrong-algorithm", case_wrong_algorithm),
    ("unknown-key", case_unknown_key),
    ("alg-none", case_alg_none),
    ("missing-exp", case_missing_exp),
    ("token-room", case_token_room),
    ("bad-json", case_bad_json),
    ("binary-frame", case_binary_frame),
    ("missing-version", case_missing_version),
    ("missing-type", case_missing_type),
    ("unknown-type", case_unknown_type),
    ("wrong-version", case_wrong_version),
    ("oversized-before-join", case_oversized_before_join),
    ("oversized", case_oversized),
    ("oversized-huge", case_oversized_huge),
    ("before-join", case_before_join),
    ("already-joined", case_already_joined),
    ("bad-request", case_bad_request),
    ("bad-sdp", case_bad_sdp),
    ("unknown-track", case_unknown_track),
    ("no-usable-codec", case_no_usable_codec),
    ("too-many-tracks", case_too_many_tracks),
    ("no-publish-grant", case_no_publish_grant),
    ("bad-candidate", case_bad_candidate),
    ("candidate-flood", case_candidate_flood),
    ("message-flood", case_message_flood),
]


async def call_alive(ctx, timeout=4.0, need=15):
    """The listener keeps decoding the caller's tone (`need` more frames within `timeout`)."""
    before = ctx.listener.frames.get(ctx.track_id, 0)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ctx.listener.frames.get(ctx.track_id, 0) >= before + need:
            break
        await asyncio.sleep(0.05)
    after = ctx.listener.frames.get(ctx.track_id, 0)
    return {"framesBefore": before, "framesAfter": after, "flowing": after >= before + need,
            "callerOpen": not ctx.caller.client.closed.is_set(), "listenerOpen": not ctx.listener.client.closed.is_set()}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--only", default="", help="comma-separated case names")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": [], "cases": {}}
    t0 = time.monotonic()
    ctx = Ctx(args)
    idle = None
    try:
        # A connection that never joins: the server must close it after 10 s (checked at the end).
        idle = await ctx.client("idle")
        ctx.listener = AiortcParticipant(args.ws, cli_token(ROOM, "listener"), "listener")
        ctx.caller = AiortcParticipant(args.ws, cli_token(ROOM, "caller"), "caller")
        for p in (ctx.listener, ctx.caller):
            r = await p.join()
            if not r or r.get("type") != "joined":
                raise RuntimeError(f"{p.label} join: {r!r}")
        r = await ctx.caller.publish([ToneTrack(440)])
        if not r or r.get("type") != "published":
            raise RuntimeError(f"caller publish: {r!r}")
        ctx.track_id = r["tracks"][0]["id"]
        result["phase"] = "call-set-up"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and ctx.listener.frames.get(ctx.track_id, 0) < 25:
            await asyncio.sleep(0.1)
        result["callUpAfter"] = round(time.monotonic() - t0, 2)
        if ctx.listener.frames.get(ctx.track_id, 0) < 25:
            raise RuntimeError("the listener decodes no audio from the caller: no call to protect")
        result["phase"] = "cases"
        only = {x for x in args.only.split(",") if x}
        for name, fn in CASES:
            if only and name not in only:
                continue
            c0 = time.monotonic()
            try:
                f = await asyncio.wait_for(fn(ctx), 30)
            except Exception as e:
                f = {"exception": repr(e)}
            f["seconds"] = round(time.monotonic() - c0, 2)
            f["call"] = await call_alive(ctx)
            result["cases"][name] = f
        # A fresh participant still gets in, publishes, and is heard.
        result["phase"] = "fresh-join"
        fresh = AiortcParticipant(args.ws, cli_token(ROOM, "fresh"), "fresh")
        fr = {"join": ((await fresh.join()) or {}).get("type")}
        pr = await fresh.publish([ToneTrack(880)])
        fr["publish"] = (pr or {}).get("type")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and ctx.listener.frames_from(fresh.participant_id) < 25:
            await asyncio.sleep(0.1)
        fr["listenerFramesFromFresh"] = ctx.listener.frames_from(fresh.participant_id)
        fr["leave"] = ((await fresh.leave()) or {}).get("type")
        fr["call"] = await call_alive(ctx)
        result["fresh"] = fr
        # The connection that never joined.
        await idle.wait_closed(max(0.0, 12.5 - (time.monotonic() - idle.t0)))
        result["idle"] = facts(idle, closedAfter=idle.closed_at)
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        for p in (ctx.caller, ctx.listener):
            if p is not None:
                result[p.label] = p.summary()
                result[p.label].pop("client", None) if p.label == "caller" else None
        for p in (ctx.caller, ctx.listener):
            if p is not None:
                await p.leave()
        if idle is not None:
            await idle.close()
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
