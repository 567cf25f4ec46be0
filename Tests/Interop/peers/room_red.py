#!/usr/bin/env python3
"""Redundant audio (RFC 2198) through the SFU under loss: what a listener hears.

Two demo pages in one Chromium, microphone only (`?video=off`, Chromium's fake microphone): A
publishes; C listens. Once C receives A's audio, `--loss` % of the datagrams the SFU sends C's
receiving connection are dropped (nftables, random) for `--seconds`. Read from C's inbound audio
of A (getStats) over that window: samples received and concealed (the decoder made them up),
packets lost. With RED passed through, a lost packet's audio comes in the next one; without
(`sfu serve --no-audio-red`), it is concealed. Prints `RESULT {json}`.
"""
import sys
import time

from room_browser import Browser, finish, peer_arguments, wait_until
from room_client import emit_result
from room_quality import QUALITY, impair, page_url

AUDIO_OF = r"""
const owner = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  if (!c || !c.subscriber) return done(null);
  let trackId = null;
  for (const [id, rt] of c.remoteTracks) if (rt.participantId === owner && rt.kind === 'audio') trackId = rt.track.id;
  const stats = await c.subscriber.getStats();
  let out = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.trackIdentifier === trackId) {
      out = { packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0,
              totalSamplesReceived: s.totalSamplesReceived || 0, concealedSamples: s.concealedSamples || 0,
              codec: (stats.get(s.codecId) || {}).mimeType || null };
    }
  });
  done(out);
})().catch((e) => done({ error: String(e) }));
"""


def main():
    ap = peer_arguments("red")
    ap.add_argument("--media-timeout", type=float, default=30.0)
    ap.add_argument("--loss", type=float, default=15)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "loss": args.loss}
    t0 = time.monotonic()
    b = None

    def clear():
        import subprocess
        subprocess.run(["nft", "delete", "table", "inet", "sfu_quality"], capture_output=True)

    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A") + "&video=off")
        b.open("C", page_url(args.http, args.room, "C") + "&video=off")
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)

        def audio():
            b.use("C")
            return b.driver.execute_async_script(AUDIO_OF, ids["A"]) or {}

        if not wait_until(lambda: audio().get("totalSamplesReceived", 0) > 48_000, args.media_timeout, 1.0):
            raise RuntimeError(f"C does not receive A's audio: {audio()}")
        time.sleep(2.0)
        b.use("C")
        pair = next((pc["pair"] for pc in b.driver.execute_async_script(QUALITY)["pcs"] if pc["role"] == "subscriber"), None)
        if not pair or not pair.get("localPort"):
            raise RuntimeError(f"no selected pair for C's receiving connection: {pair}")
        result["rule"] = impair("subscriber-loss", args.loss, pair)
        first = audio()
        time.sleep(args.seconds)
        last = audio()
        clear()
        samples = last["totalSamplesReceived"] - first["totalSamplesReceived"]
        concealed = last["concealedSamples"] - first["concealedSamples"]
        received = last["packetsReceived"] - first["packetsReceived"]
        lost = last["packetsLost"] - first["packetsLost"]
        result["window"] = {"samples": samples, "concealed": concealed, "packetsReceived": received, "packetsLost": lost,
                            "concealedRatio": round(concealed / samples, 4) if samples else None,
                            "lossRatio": round(lost / max(1, lost + received), 4), "codec": last.get("codec")}
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result, cleanup=clear)


if __name__ == "__main__":
    sys.exit(main())
