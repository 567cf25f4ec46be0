#!/usr/bin/env python3
"""Spatial layers (SVC) through the SFU: one Chromium publisher sending VP9 or AV1 as one stream
of three spatial layers, two subscribers rendering it at different sizes, then forced switches.

Three demo pages in one Chromium: A captures 1280x720 with `?codec=` VP9 or AV1, so sfu-client
publishes one stream in `L3T3_KEY` (spatial layers 320, 640 and 1280 wide); B shows A's tile
1280 px wide, C 150 px wide. Once the SFU's /stats shows three spatial layers and both decode A,
B must decode 1280 and C 320: the SFU leaves A's upper spatial layers out for C. Then C's tile
alternates between 1280 and 150 px `--switches` times each way; after each change C must decode
the new width within `--switch-timeout` seconds (going up waits for a keyframe, which the SFU
asks A for). C's freezes, dropped frames, keyframes and PLIs are read before and after.
Prints `RESULT {json}`.
"""
import sys
import time

from room_browser import Browser, finish, peer_arguments, video_layers, wait_until
from room_client import emit_result
from room_quality import page_url
from room_simulcast import INBOUND_OF, SET_WIDTH

# The publisher's outbound video: scalability mode, size, bitrate counters, codec.
OUTBOUND = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  if (!c || !c.publisher) return done(null);
  const stats = await c.publisher.getStats();
  const codecs = {};
  stats.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
  const out = [];
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video') {
      out.push({ scalabilityMode: s.scalabilityMode || null, frameWidth: s.frameWidth || 0, bytesSent: s.bytesSent || 0,
                 codec: codecs[s.codecId] || null, qualityLimitationReason: s.qualityLimitationReason || null });
    }
  });
  done(out);
})().catch((e) => done({ error: String(e) }));
"""

# The codec of the inbound video on this page.
INBOUND_CODEC = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  if (!c || !c.subscriber) return done(null);
  const stats = await c.subscriber.getStats();
  const codecs = {};
  stats.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
  let codec = null;
  stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') codec = codecs[s.codecId] || codec; });
  done(codec);
})().catch((e) => done(null));
"""


def main():
    ap = peer_arguments("svc")
    ap.add_argument("--codec", default="VP9")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--settle", type=float, default=45.0)
    ap.add_argument("--switches", type=int, default=10)
    ap.add_argument("--switch-timeout", type=float, default=5.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "codec": args.codec}
    t0 = time.monotonic()
    b = None
    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A") + f"&video=1280x720&codec={args.codec}")
        b.open("B", page_url(args.http, args.room, "B") + "&video=off")
        b.open("C", page_url(args.http, args.room, "C") + "&video=off")
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = ids

        def inbound(page):
            b.use(page)
            return b.driver.execute_async_script(INBOUND_OF, ids["A"]) or {}

        def set_width(page, width):
            b.use(page)
            return b.driver.execute_script(SET_WIDTH, ids["A"], width)

        def server_layer():
            """A's video stream as the SFU's /stats shows it."""
            layers = video_layers(args.http, args.room, ids["A"])
            if isinstance(layers, dict) or not layers:
                return layers or {}
            return {k: layers[0].get(k) for k in ("bitrateBitsPerSecond", "spatialLayers", "spatialLayerWidths", "temporalLayers", "width")}

        if not wait_until(lambda: all(inbound(p).get("framesDecoded", 0) > 0 for p in ("B", "C")), args.media_timeout, 1.0):
            b.use("A")
            result["published"] = b.driver.execute_async_script(OUTBOUND)
            result["server"] = server_layer()
            result["settled"] = {"B": inbound("B"), "C": inbound("C")}
            raise RuntimeError("B and C do not both decode A's video")
        if not (set_width("B", 1280) and set_width("C", 150)):
            raise RuntimeError("no tile of A on B or C")
        result["phase"] = "decoding"
        decoding_at = time.monotonic()
        state = {}

        def settled():
            state["server"] = server_layer()
            state["B"], state["C"] = inbound("B"), inbound("C")
            return (state["server"].get("spatialLayers") == 3 and state["B"].get("frameWidth") == 1280
                    and state["C"].get("frameWidth") == 320)
        wait_until(settled, args.settle, 0.5)
        result["settledAfter"] = round(time.monotonic() - decoding_at, 1)
        b.use("A")
        result["published"] = b.driver.execute_async_script(OUTBOUND)
        result["server"] = state.get("server")
        result["settled"] = {"B": state.get("B"), "C": state.get("C")}
        b.use("B")
        result["codecB"] = b.driver.execute_async_script(INBOUND_CODEC)
        b.use("C")
        result["codecC"] = b.driver.execute_async_script(INBOUND_CODEC)
        result["phase"] = "settled"

        before = inbound("C")
        switches = []
        for i in range(args.switches * 2):
            width, expected = (1280, 1280) if i % 2 == 0 else (150, 320)
            set_width("C", width)
            started = time.monotonic()
            seen = None
            while time.monotonic() - started < args.switch_timeout:
                seen = inbound("C").get("frameWidth")
                if seen == expected:
                    break
                time.sleep(0.05)
            switches.append({"to": expected, "seen": seen, "seconds": round(time.monotonic() - started, 2)})
            time.sleep(0.5)
        after = inbound("C")
        result["switches"] = {
            "count": len(switches),
            "failed": [s for s in switches if s["seen"] != s["to"]],
            "up": sorted(s["seconds"] for s in switches if s["to"] == 1280),
            "down": sorted(s["seconds"] for s in switches if s["to"] == 320),
            "before": before, "after": after,
        }
        result["B"] = inbound("B")
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result)


if __name__ == "__main__":
    sys.exit(main())
