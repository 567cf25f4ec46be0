#!/usr/bin/env python3
"""A browser killed mid-call: `sfu serve` must clean it up and tell the others.

An aiortc observer joins room R and subscribes. A headless Chromium (its own chromedriver and
browser process) opens the demo page in R and publishes camera and microphone. Once the observer
decodes the page's audio and video, every Chromium process is killed with SIGKILL at once: no
WebSocket close frame, no DTLS close_notify, no pagehide `leave` (the kernel still closes the
TCP connection). The observer waits (up to --left-timeout s) for `participant-left` about the
page, and for a `subscriber-offer` without its tracks; /healthz must drop back to one session.
Prints `RESULT {json}`.
"""
import argparse
import asyncio
import logging
import sys
import time
import urllib.parse

from room_browser import Browser, console_tail, per_owner
from room_client import AiortcParticipant, cli_token, emit_result, http_json


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="kill")
    ap.add_argument("--left-timeout", type=float, default=45.0)
    ap.add_argument("--hold", type=float, default=0.0, help="seconds of call before the kill")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    loop = asyncio.get_running_loop()
    observer = AiortcParticipant(args.ws, cli_token(args.room, "observer", "Observer"), "observer")
    b = None
    try:
        r = await observer.join()
        if not r or r.get("type") != "joined":
            raise RuntimeError(f"observer join: {r!r}")
        b = await loop.run_in_executor(None, Browser, args.workdir, "victim")
        url = f"{args.http}/?{urllib.parse.urlencode({'room': args.room, 'name': 'victim'})}"
        await loop.run_in_executor(None, b.open, "victim", url)
        result["phase"] = "page-opened"
        pj = await observer.client.wait(lambda m: m.get("type") == "participant-joined", 20)
        if not pj:
            raise RuntimeError("observer never saw the page join")
        victim = pj["participant"]["id"]
        result["victim"] = victim
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (observer.frames_from(victim, "video") >= 20
                                                    and observer.frames_from(victim, "audio") >= 50):
            await asyncio.sleep(0.2)
        result["beforeKill"] = {"video": observer.frames_from(victim, "video"), "audio": observer.frames_from(victim, "audio")}
        if result["beforeKill"]["video"] < 20 or result["beforeKill"]["audio"] < 50:
            snap = await loop.run_in_executor(None, b.snapshot, "victim")
            result["victimView"] = {k: snap.get(k) for k in ("state", "status", "notice", "pcs")}
            raise RuntimeError("the observer does not receive the page's media: not mid-call")
        if args.hold:
            await asyncio.sleep(args.hold)
            result["afterHold"] = {"video": observer.frames_from(victim, "video"), "audio": observer.frames_from(victim, "audio")}
        result["healthBefore"] = await loop.run_in_executor(None, http_json, f"{args.http}/healthz")
        result["phase"] = "mid-call"

        mark = len(observer.client.messages)
        result["killedPids"] = len(b.kill_hard())
        t_kill = time.monotonic()
        result["phase"] = "killed"
        left = await observer.client.wait(lambda m: m.get("type") == "participant-left"
                                          and m.get("participantId") == victim, args.left_timeout, since=mark)
        result["leftAfter"] = round(time.monotonic() - t_kill, 2) if left else None
        result["left"] = left
        offer = await observer.client.wait(
            lambda m: m.get("type") == "subscriber-offer"
            and not any(t.get("participantId") == victim for t in m.get("tracks") or []), 5, since=mark)
        result["offerWithoutVictim"] = offer is not None
        result["otherMessages"] = [m.get("type") for m in observer.client.messages[mark:]]
        health = None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            health = await loop.run_in_executor(None, http_json, f"{args.http}/healthz")
            if health.get("participants", health.get("sessions")) == 1:
                break
            await asyncio.sleep(0.2)
        result["healthAfter"] = health
        result["observerStillConnected"] = not observer.client.closed.is_set()
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        result["observer"] = observer.summary()
        await observer.leave()
        if b is not None:
            await loop.run_in_executor(None, b.quit)
            result["console"] = console_tail(b)
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
