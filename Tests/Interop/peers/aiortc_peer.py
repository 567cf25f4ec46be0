#!/usr/bin/env python3
"""aiortc peer against one `sfu probe` (run inside a test host network namespace).

aiortc offers audio (Opus, a 440 Hz tone) and video (VP8, a moving pattern), both sendrecv, to the
probe it starts; it applies the answer and any trickled candidates, counts the frames it decodes
on the remote tracks (the probe echoes our media back, or sends its own tone), asks the probe for
stats and closes. The last stdout line is `RESULT {json}`.

Options for the failure tests: --mutate fingerprint|ice-pwd edits the offer the probe sees (aiortc
keeps its real certificate and password); --blast sends junk UDP at the probe's candidate during
the session, both from a fresh socket and through aiortc's own ICE socket.
"""
import argparse
import asyncio
import logging
import os
import random
import shlex
import socket
import sys
import time

import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp

from probe_client import (PROBE_MISSING_EXIT, ProbeClient, ProbeMissing, candidate_address,
                          emit_result, payload_types, sdp_candidates)

# The tone and pattern sources and the frequency finder are the room client's (one copy).
from room_client import SAMPLE_RATE, PatternTrack, ToneTrack, dominant_frequency


def mutate_offer(sdp, what):
    lines = sdp.split("\r\n")
    out = []
    for line in lines:
        if what == "fingerprint" and line.startswith("a=fingerprint:"):
            algo, fp = line[len("a=fingerprint:"):].split(" ", 1)
            first, rest = fp.split(":", 1)
            line = f"a=fingerprint:{algo} {int(first, 16) ^ 0xFF:02X}:{rest}"
        elif what == "ice-pwd" and line.startswith("a=ice-pwd:"):
            pwd = line[len("a=ice-pwd:"):]
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
            line = "a=ice-pwd:" + "".join(alphabet[(alphabet.find(c) + 7) % len(alphabet)] for c in pwd)
        out.append(line)
    mutated = "\r\n".join(out)
    if mutated == sdp:
        raise RuntimeError(f"mutation {what} changed nothing")
    return mutated


def junk_packets(rng):
    """(kind, bytes) junk: random garbage, DTLS-looking, truncated RTP, RTP/RTCP with bad payload."""
    pkts = []
    for _ in range(30):
        pkts.append(("garbage", rng.randbytes(rng.randint(1, 300))))
    for _ in range(30):
        pkts.append(("dtls-junk", bytes([22]) + rng.randbytes(rng.randint(0, 200))))
    for _ in range(40):
        pkts.append(("rtp-truncated", bytes([0x80]) + rng.randbytes(rng.randint(0, 10))))
    for _ in range(60):
        hdr = bytes([0x80, rng.choice([96, 97, 111])]) + rng.randbytes(10)
        pkts.append(("rtp-bad-auth", hdr + rng.randbytes(rng.randint(20, 200))))
    for _ in range(30):
        hdr = bytes([0x81, 200]) + rng.randbytes(6)
        pkts.append(("rtcp-bad-auth", hdr + rng.randbytes(rng.randint(20, 80))))
    rng.shuffle(pkts)
    return pkts


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--probe-args", default="", help="extra `sfu probe` flags, one shell-quoted string")
    ap.add_argument("--duration", type=float, default=4.0, help="seconds of media after connecting")
    ap.add_argument("--connect-timeout", type=float, default=15.0)
    ap.add_argument("--tone", type=float, default=440.0, help="frequency aiortc sends")
    ap.add_argument("--mutate", choices=["fingerprint", "ice-pwd"])
    ap.add_argument("--blast", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    result = {"peer": "aiortc", "phase": "start", "notes": []}
    t0 = time.monotonic()
    try:
        probe = ProbeClient(shlex.split(args.probe_args), os.path.join(args.workdir, "probe.stderr"))
    except ProbeMissing as e:
        result["error"] = f"probe missing: {e}"
        emit_result(result)
        sys.exit(PROBE_MISSING_EXIT)

    pc = RTCPeerConnection()
    frames = {"audio": 0, "video": 0}
    first_frame_at = {}
    audio_samples = []
    pc_states = []
    consumers = []
    remote_set = asyncio.Event()
    pending_candidates = []

    @pc.on("connectionstatechange")
    def _on_state():
        pc_states.append(pc.connectionState)

    async def consume(track):
        try:
            while True:
                frame = await track.recv()
                frames[track.kind] += 1
                first_frame_at.setdefault(track.kind, round(time.monotonic() - t0, 3))
                if track.kind == "audio":
                    arr = frame.to_ndarray().reshape(-1)
                    ch = len(frame.layout.channels)
                    audio_samples.append(arr[::ch].copy() if ch > 1 else arr.copy())
        except MediaStreamError:
            pass
        except Exception as e:  # decoding trouble must show up in the result
            result["notes"].append(f"{track.kind} consumer: {e!r}")

    @pc.on("track")
    def _on_track(track):
        consumers.append(asyncio.ensure_future(consume(track)))

    async def add_candidate(msg):
        cand = msg.get("candidate", "")
        try:
            c = candidate_from_sdp(cand.split(":", 1)[1] if cand.startswith("candidate:") else cand)
            c.sdpMid = msg.get("sdpMid")
            c.sdpMLineIndex = msg.get("sdpMLineIndex")
            await pc.addIceCandidate(c)
        except Exception as e:
            result["notes"].append(f"addIceCandidate({cand!r}): {e!r}")

    async def handle(msg):
        t = msg["type"]
        if t == "answer" and not remote_set.is_set():
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=msg["sdp"], type="answer"))
            except Exception as e:
                result["notes"].append(f"setRemoteDescription: {e!r}")
            remote_set.set()
            for m in pending_candidates:
                await add_candidate(m)
            pending_candidates.clear()
        elif t == "candidate":
            if remote_set.is_set():
                await add_candidate(msg)
            else:
                pending_candidates.append(msg)
        elif t == "end-of-candidates":
            if remote_set.is_set():
                try:
                    await pc.addIceCandidate(None)
                except Exception as e:
                    result["notes"].append(f"end-of-candidates: {e!r}")

    async def pump(until, timeout):
        deadline = time.monotonic() + timeout
        while True:
            while (msg := probe.poll()) is not None:
                await handle(msg)
            if until():
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)

    async def stats_now(timeout=5.0):
        before = len(probe.stats)
        probe.send({"type": "stats"})
        await pump(lambda: len(probe.stats) > before or probe.finished, timeout)
        return probe.stats[-1] if len(probe.stats) > before else None

    try:
        pc.addTrack(ToneTrack(args.tone))
        pc.addTrack(PatternTrack(width=320, height=240))
        await pc.setLocalDescription(await pc.createOffer())
        offer = pc.localDescription.sdp
        result["offerPayloadTypes"] = {"opus": payload_types(offer, "opus"), "vp8": payload_types(offer, "VP8")}
        sent = mutate_offer(offer, args.mutate) if args.mutate else offer
        result["phase"] = "offer-sent"
        probe.send({"type": "offer", "sdp": sent})

        if not await pump(lambda: remote_set.is_set() or probe.finished, 10.0):
            result["notes"].append("no answer within 10 s")
        if remote_set.is_set():
            result["phase"] = "answered"
            result["answerCandidates"] = sdp_candidates(probe.answers[0])
            # wait for DTLS (or for the probe to give up)
            await pump(lambda: probe.connected or probe.finished or bool(probe.errors)
                       or "failed" in probe.ice_states or "failed" in probe.dtls_states,
                       args.connect_timeout)
            result["connectedAfter"] = round(time.monotonic() - t0, 3) if probe.connected else None

        if probe.connected and not probe.finished:
            result["phase"] = "connected"
            if args.blast:
                await pump(lambda: probe.finished, 1.5)
                result["statsBeforeBlast"] = await stats_now()
                result["framesBeforeBlast"] = dict(frames)
                result["blast"] = await blast(pc, probe, result)
                result["framesAfterBlastSent"] = dict(frames)
            await pump(lambda: probe.finished, args.duration)
            result["phase"] = "session-done"
            result["statsRequested"] = await stats_now()
    except Exception as e:
        result["notes"].append(f"peer failure: {e!r}")
    finally:
        result["framesReceived"] = dict(frames)
        result["firstFrameAt"] = first_frame_at
        result["pcStates"] = pc_states
        if audio_samples:
            allsamp = np.concatenate(audio_samples)
            # skip the first 0.5 s (jitter buffer start, Opus warm-up); analyse up to 2 s
            use = allsamp[SAMPLE_RATE // 2:][-2 * SAMPLE_RATE:]
            hz, rms = dominant_frequency(use)
            result["audio"] = {"dominantHz": hz, "rms": rms, "samples": int(len(allsamp))}
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, probe.close, 10.0)
        try:
            await asyncio.wait_for(pc.close(), 5)
        except Exception as e:
            result["notes"].append(f"pc.close: {e!r}")
        for c in consumers:
            c.cancel()
        result["probe"] = probe.summary()
        result["elapsed"] = round(time.monotonic() - t0, 3)
        emit_result(result)


async def blast(pc, probe, result):
    """Junk at the probe: from a fresh socket, and through aiortc's nominated ICE pair."""
    target = None
    for cand in [c for c in probe.candidates] + [f"x 1 udp 1 {a} {p} typ host" for a, p in sdp_candidates(probe.answers[0])]:
        addr = candidate_address(cand)
        if addr and not addr[0].startswith("127."):
            target = addr
            break
    rng = random.Random(7)
    sent = {"target": target, "raw": {}, "viaIce": {}}
    if target:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for i, (kind, data) in enumerate(junk_packets(rng)):
                try:
                    s.sendto(data, target)
                    sent["raw"][kind] = sent["raw"].get(kind, 0) + 1
                except OSError:
                    pass
                if i % 10 == 9:
                    await asyncio.sleep(0.01)
        finally:
            s.close()
    try:
        conn = pc.getTransceivers()[0].receiver.transport.transport._connection
        pair = conn._nominated.get(1)
        if pair is None:
            result["notes"].append("blast: aiortc has no nominated pair")
        else:
            sent["viaIceRemote"] = list(pair.remote_addr)
            for i, (kind, data) in enumerate(junk_packets(rng)):
                pair.protocol.transport.sendto(data, pair.remote_addr)
                sent["viaIce"][kind] = sent["viaIce"].get(kind, 0) + 1
                if i % 10 == 9:
                    await asyncio.sleep(0.01)
    except Exception as e:
        result["notes"].append(f"blast via ICE socket: {e!r}")
    return sent


if __name__ == "__main__":
    asyncio.run(main())
