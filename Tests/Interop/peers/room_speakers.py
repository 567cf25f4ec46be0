#!/usr/bin/env python3
"""Two aiortc participants through `sfu serve`, each publishing an Opus tone whose loudness the
script switches (aiortc stamps each packet with its RFC 6464 audio level): who speaks, as the
server's `active-speakers` messages tell both, and how soon after each change.

Phases: both silent; A at -53 dBov (room noise: nobody speaks); A at -11 dBov (A speaks); A
silent and B loud (B takes the floor); both silent (nobody). Prints `RESULT {json}` with each
phase's delay in seconds and every `active-speakers` message each client got.
"""
import argparse
import asyncio
import logging
import sys
import time

from room_client import AiortcParticipant, ToneTrack, cli_token, emit_result

LOUD = 12000     # a sine of this amplitude: RMS 8485, -11.7 dBov
NOISE = 100      # RMS 71, -53 dBov: below the SFU's -40 dBov
PHASE_TIMEOUT = 5.0


def speaker_messages(participant, since=0):
    return [m for m in participant.client.messages[since:] if m.get("type") == "active-speakers"]


async def until(participant, pred, since, start=None):
    """Seconds from `start` (now) until `participant` got an active-speakers message matching
    pred, or None."""
    start = start if start is not None else time.monotonic()
    m = await participant.client.wait(lambda m: m.get("type") == "active-speakers" and pred(m.get("speakers") or []),
                                      PHASE_TIMEOUT, since=since)
    return round(time.monotonic() - start, 3) if m is not None else None


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="speakers")
    ap.add_argument("--hold", type=float, default=3.0, help="seconds each phase holds its loudness")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    a = AiortcParticipant(args.ws, cli_token(args.room, "speaker-a", "A"), "a")
    b = AiortcParticipant(args.ws, cli_token(args.room, "speaker-b", "B"), "b")
    tone_a, tone_b = ToneTrack(440, amplitude=0), ToneTrack(660, amplitude=0)
    try:
        for p, tone in ((a, tone_a), (b, tone_b)):
            r = await p.join()
            if not r or r.get("type") != "joined":
                raise RuntimeError(f"{p.label} join: {r!r}")
            r = await p.publish([tone])
            if not r or r.get("type") != "published":
                raise RuntimeError(f"{p.label} publish: {r!r}")
        result["ids"] = {"a": a.participant_id, "b": b.participant_id}
        result["phase"] = "published"
        await asyncio.sleep(args.hold)
        result["silence"] = [m["speakers"] for p in (a, b) for m in speaker_messages(p)]

        # Room noise: nobody speaks.
        mark = len(b.client.messages)
        tone_a.amplitude = NOISE
        await asyncio.sleep(args.hold)
        result["noise"] = [m["speakers"] for m in speaker_messages(b, mark)]

        # A speaks: both are told, A first.
        marks = {p.label: len(p.client.messages) for p in (a, b)}
        tone_a.amplitude = LOUD
        delays = await asyncio.gather(*(until(p, lambda s: s[:1] == [a.participant_id], marks[p.label]) for p in (a, b)))
        result["aStarts"] = {"a": delays[0], "b": delays[1]}
        await asyncio.sleep(args.hold)
        result["whileASpeaks"] = [m["speakers"] for m in speaker_messages(b, marks["b"])]
        result["phase"] = "a-spoke"

        # A falls silent, B speaks: B takes the floor, then speaks alone.
        mark = len(a.client.messages)
        tone_a.amplitude, tone_b.amplitude = 0, LOUD
        switched = time.monotonic()
        result["bDominant"], result["bAlone"] = await asyncio.gather(
            until(a, lambda s: s[:1] == [b.participant_id], mark, switched),
            until(a, lambda s: s == [b.participant_id], mark, switched))
        await asyncio.sleep(args.hold)
        result["phase"] = "b-spoke"

        # Both silent: nobody.
        mark = len(a.client.messages)
        tone_b.amplitude = 0
        result["nobody"] = await until(a, lambda s: s == [], mark)
        result["all"] = {p.label: [(m["_t"], m["speakers"]) for m in speaker_messages(p)] for p in (a, b)}
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        result["a"] = a.summary()
        result["b"] = b.summary()
        await a.leave()
        await b.leave()
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
