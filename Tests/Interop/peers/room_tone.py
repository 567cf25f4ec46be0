#!/usr/bin/env python3
"""Two aiortc participants through `sfu serve`: one publishes a known Opus tone, the other
subscribes (answers the server's subscriber-offer), decodes it and measures its frequency.

Prints `RESULT {json}`: the subscriber's dominant frequency of the publisher's audio track, the
frames it decoded, both clients' views.
"""
import argparse
import asyncio
import logging
import sys
import time

from room_client import AiortcParticipant, ToneTrack, cli_token, dominant_frequency, emit_result


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="tone")
    ap.add_argument("--hz", type=float, default=440.0)
    ap.add_argument("--seconds", type=float, default=3.0, help="audio to analyse once it flows")
    ap.add_argument("--timeout", type=float, default=25.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    pub = AiortcParticipant(args.ws, cli_token(args.room, "tone-pub", "Tone"), "pub")
    sub = AiortcParticipant(args.ws, cli_token(args.room, "tone-sub", "Listener"), "sub")
    try:
        # The subscriber joins first, so the track reaches it through a subscriber-offer.
        r = await sub.join()
        result["subJoined"] = {k: r.get(k) for k in ("type", "code", "room", "participantId", "participants")} if r else None
        if not r or r.get("type") != "joined":
            raise RuntimeError(f"subscriber join: {r!r}")
        r = await pub.join()
        result["pubJoined"] = {k: r.get(k) for k in ("type", "code", "room", "participantId")} if r else None
        if not r or r.get("type") != "joined":
            raise RuntimeError(f"publisher join: {r!r}")
        result["phase"] = "joined"
        r = await pub.publish([ToneTrack(args.hz)])
        result["published"] = {k: r.get(k) for k in ("type", "code", "message", "tracks")} if r else None
        if not r or r.get("type") != "published":
            raise RuntimeError(f"publish: {r!r}")
        track_id = r["tracks"][0]["id"]
        result["trackId"] = track_id
        result["phase"] = "published"
        # Wait until the subscriber decoded enough of the tone (1 s warm-up + the analysed part).
        need = int((1.0 + args.seconds) * 50)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and sub.frames.get(track_id, 0) < need:
            await asyncio.sleep(0.1)
        result["framesDecoded"] = sub.frames.get(track_id, 0)
        result["audioAfter"] = round(time.monotonic() - t0, 2)
        samples = sub.audio_samples(track_id)
        hz, rms = dominant_frequency(samples[-int(args.seconds * 48000):])
        result["audio"] = {"dominantHz": hz, "rms": rms, "samples": int(len(samples))}
        result["trackOwner"] = sub.owners.get(track_id)
        result["pubParticipantId"] = pub.participant_id
        result["phase"] = "measured"
        result["pubLeave"] = (await pub.leave() or {}).get("type")
        left = await sub.client.wait(lambda m: m.get("type") == "participant-left"
                                     and m.get("participantId") == pub.participant_id, 5)
        result["subSawLeft"] = left
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        result["pub"] = pub.summary()
        result["sub"] = sub.summary()
        await pub.close()
        await sub.leave()
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    asyncio.run(main())
