#!/usr/bin/env python3
"""Capture aiortc offers as SDP fixtures.

Run inside a network namespace (ICE gathering happens in setLocalDescription):
  ip netns exec sdpcap python3 capture_aiortc.py OUTDIR
"""
import asyncio
import sys

from aiortc import RTCPeerConnection


async def offer(transceivers, datachannel=False):
    pc = RTCPeerConnection()
    for kind, direction in transceivers:
        pc.addTransceiver(kind, direction=direction)
    if datachannel:
        pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


async def main(outdir):
    cases = {
        "aiortc-audio-video-sendrecv.sdp": ([("audio", "sendrecv"), ("video", "sendrecv")], False),
        "aiortc-recvonly.sdp": ([("audio", "recvonly"), ("video", "recvonly")], False),
        "aiortc-datachannel.sdp": ([("audio", "sendrecv")], True),
    }
    for name, (trs, dc) in cases.items():
        sdp = await offer(trs, dc)
        with open(f"{outdir}/{name}", "w", newline="") as f:
            f.write(sdp)
        print("wrote", name)


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "."))
