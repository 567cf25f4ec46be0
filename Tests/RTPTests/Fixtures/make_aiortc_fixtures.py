#!/usr/bin/env python3
"""Produce real RTP/RTCP packets with aiortc 1.16, offline, for the RTPTests fixtures.

Every packet is written as Fixtures/aiortc/<name>.bin; Fixtures/aiortc/manifest.json lists the
field values the Swift tests expect. The output is deterministic (seeded random, no os.urandom)
so regenerating it gives the same bytes.

    python3 Tests/RTPTests/Fixtures/make_aiortc_fixtures.py
"""
import fractions
import json
import os
import random
from pathlib import Path

import av
import numpy
import aiortc.rtp as rtp
from aiortc.codecs import get_encoder
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpParameters,
)

random.seed(7)
rtp.os.urandom = lambda n: bytes(n)  # padding bytes: zeros instead of random, for stable files

OUT = Path(__file__).resolve().parent / "aiortc"
OUT.mkdir(exist_ok=True)
manifest = []

# Chrome's usual extmap ids.
EXTMAP = {
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level": 1,
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": 2,
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01": 3,
    "urn:ietf:params:rtp-hdrext:sdes:mid": 4,
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id": 10,
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id": 11,
}
extensions_map = rtp.HeaderExtensionsMap()
extensions_map.configure(
    RTCRtpParameters(
        headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for u, i in EXTMAP.items()]
    )
)


def write(name, data, kind, expect):
    (OUT / f"{name}.bin").write_bytes(data)
    manifest.append({"file": f"{name}.bin", "kind": kind, "length": len(data), "expect": expect})


def rtp_expect(p, exts):
    return {
        "payloadType": p.payload_type,
        "marker": bool(p.marker),
        "sequenceNumber": p.sequence_number,
        "timestamp": p.timestamp,
        "ssrc": p.ssrc,
        "csrcs": list(p.csrc),
        "payloadLength": len(p.payload),
        "paddingLength": p.padding_size,
        "extensions": exts,
    }


# --- Opus audio -------------------------------------------------------------------------------
opus = get_encoder(RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111))
seq = 4000
for i in range(3):
    t = numpy.arange(960) + i * 960
    samples = (numpy.sin(2 * numpy.pi * 440 * t / 48000) * 8000).astype(numpy.int16)
    frame = av.AudioFrame.from_ndarray(numpy.repeat(samples, 2).reshape(1, -1), format="s16", layout="stereo")
    frame.sample_rate = 48000
    frame.pts = i * 960
    frame.time_base = fractions.Fraction(1, 48000)
    payloads, timestamp = opus.encode(frame)
    for payload in payloads:
        p = rtp.RtpPacket(payload_type=111, marker=1 if i == 0 else 0, sequence_number=seq,
                          timestamp=timestamp, ssrc=0x11223344, payload=payload)
        p.extensions.audio_level = (True, 30 + i)
        p.extensions.mid = "0"
        p.extensions.abs_send_time = 0x123456 + i
        p.extensions.transport_sequence_number = 100 + i
        write(f"rtp-opus-{i}", p.serialize(extensions_map), "rtp", rtp_expect(p, {
            "audioLevel": {"id": 1, "voice": True, "level": 30 + i},
            "mid": {"id": 4, "value": "0"},
            "absSendTime": {"id": 2, "value": 0x123456 + i},
            "transportSequenceNumber": {"id": 3, "value": 100 + i},
        }))
        seq += 1

# --- VP8 video, packetized over several packets, with padding and CSRCs on one ---------------
vp8 = get_encoder(RTCRtpCodecParameters(mimeType="video/vp8", clockRate=90000, payloadType=96))
image = numpy.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=numpy.uint8)  # noise: several packets
vframe = av.VideoFrame.from_ndarray(image, format="bgr24")
vframe.pts = 0
vframe.time_base = fractions.Fraction(1, 90000)
payloads, timestamp = vp8.encode(vframe, force_keyframe=True)
seq = 30000
for i, payload in enumerate(payloads[:4]):
    last = i == len(payloads) - 1
    p = rtp.RtpPacket(payload_type=96, marker=1 if last else 0, sequence_number=seq,
                      timestamp=timestamp, ssrc=0xCAFEBABE, payload=payload)
    exts = {}
    if i != 1:
        p.extensions.mid = "1"
        p.extensions.transport_sequence_number = (65534 + i) & 0xFFFF
        p.extensions.rtp_stream_id = "h"
        exts = {"mid": {"id": 4, "value": "1"},
                "transportSequenceNumber": {"id": 3, "value": (65534 + i) & 0xFFFF},
                "rtpStreamId": {"id": 10, "value": "h"}}
    if i == 2:
        p.csrc = [0x01020304, 0x0A0B0C0D]
        p.padding_size = 13
    write(f"rtp-vp8-{i}", p.serialize(extensions_map), "rtp", rtp_expect(p, exts))
    if i == 3:
        x = rtp.wrap_rtx(p, payload_type=97, sequence_number=500, ssrc=0xDEADBEEF)
        data = x.serialize(extensions_map)
        e = rtp_expect(x, exts)
        e["rtxOriginalSequenceNumber"] = seq
        write("rtp-vp8-rtx", data, "rtp", e)
    seq += 1

# --- RTCP ------------------------------------------------------------------------------------
ri = rtp.RtcpReceiverInfo(ssrc=0xCAFEBABE, fraction_lost=25, packets_lost=-3, highest_sequence=0x0001_7531,
                          jitter=1234, lsr=0x12345678, dlsr=0x00010000)
ri_expect = {"ssrc": ri.ssrc, "fractionLost": ri.fraction_lost, "cumulativeLost": ri.packets_lost,
             "extendedHighestSequenceNumber": ri.highest_sequence, "jitter": ri.jitter,
             "lastSenderReport": ri.lsr, "delaySinceLastSenderReport": ri.dlsr}
si = rtp.RtcpSenderInfo(ntp_timestamp=0xE8F1_2345_8000_0000, rtp_timestamp=123456789, packet_count=1000, octet_count=160000)
sr = rtp.RtcpSrPacket(ssrc=0x11223344, sender_info=si, reports=[ri])
write("rtcp-sr", bytes(sr), "rtcp", [{"type": "sr", "ssrc": sr.ssrc, "ntpTimestamp": si.ntp_timestamp,
                                     "rtpTimestamp": si.rtp_timestamp, "packetCount": si.packet_count,
                                     "octetCount": si.octet_count, "reports": [ri_expect]}])
rr = rtp.RtcpRrPacket(ssrc=0x55667788, reports=[ri, rtp.RtcpReceiverInfo(1, 0, 0, 10, 0, 0, 0)])
rr_expect = {"type": "rr", "ssrc": rr.ssrc, "reports": [ri_expect, {
    "ssrc": 1, "fractionLost": 0, "cumulativeLost": 0, "extendedHighestSequenceNumber": 10, "jitter": 0,
    "lastSenderReport": 0, "delaySinceLastSenderReport": 0}]}
write("rtcp-rr", bytes(rr), "rtcp", [rr_expect])
sdes = rtp.RtcpSdesPacket(chunks=[rtp.RtcpSourceInfo(ssrc=0x11223344, items=[(1, b"{b7f2c1d9-cname}")]),
                                  rtp.RtcpSourceInfo(ssrc=0xCAFEBABE, items=[(1, b"abc")])])
sdes_expect = {"type": "sdes", "chunks": [{"ssrc": 0x11223344, "cname": "{b7f2c1d9-cname}"},
                                          {"ssrc": 0xCAFEBABE, "cname": "abc"}]}
write("rtcp-sdes", bytes(sdes), "rtcp", [sdes_expect])
bye = rtp.RtcpByePacket(sources=[0x11223344, 0xCAFEBABE])
write("rtcp-bye", bytes(bye), "rtcp", [{"type": "bye", "sources": bye.sources}])
lost = [30000, 30001, 30005, 30016, 30017, 30040, 65534, 65535]
nack = rtp.RtcpRtpfbPacket(fmt=rtp.RTCP_RTPFB_NACK, ssrc=0x55667788, media_ssrc=0xCAFEBABE, lost=lost)
write("rtcp-nack", bytes(nack), "rtcp", [{"type": "nack", "senderSSRC": nack.ssrc, "mediaSSRC": nack.media_ssrc, "lost": lost}])
pli = rtp.RtcpPsfbPacket(fmt=rtp.RTCP_PSFB_PLI, ssrc=0x55667788, media_ssrc=0xCAFEBABE)
write("rtcp-pli", bytes(pli), "rtcp", [{"type": "pli", "senderSSRC": pli.ssrc, "mediaSSRC": pli.media_ssrc}])
fir_fci = (0xCAFEBABE).to_bytes(4, "big") + bytes([7, 0, 0, 0])  # RFC 5104 4.3.1.1: SSRC, seq nr, reserved
fir = rtp.RtcpPsfbPacket(fmt=rtp.RTCP_PSFB_FIR, ssrc=0x55667788, media_ssrc=0, fci=fir_fci)
write("rtcp-fir", bytes(fir), "rtcp", [{"type": "fir", "senderSSRC": fir.ssrc, "entries": [{"ssrc": 0xCAFEBABE, "sequenceNumber": 7}]}])
remb = rtp.RtcpPsfbPacket(fmt=rtp.RTCP_PSFB_APP, ssrc=0x55667788, media_ssrc=0,
                          fci=rtp.pack_remb_fci(2_500_000, [0xCAFEBABE, 0x11223344]))
write("rtcp-remb", bytes(remb), "rtcp", [{"type": "remb", "senderSSRC": remb.ssrc, "bitrate": 2_500_000,
                                          "ssrcs": [0xCAFEBABE, 0x11223344]}])
# A compound packet as aiortc sends it: RR + SDES, then a BYE.
write("rtcp-compound", bytes(rr) + bytes(sdes) + bytes(bye), "rtcp",
      [rr_expect, sdes_expect, {"type": "bye", "sources": bye.sources}])

(OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
print(f"wrote {len(manifest)} packets to {OUT}")
