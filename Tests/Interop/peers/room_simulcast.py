#!/usr/bin/env python3
"""Simulcast through the SFU: one Chromium publisher, two subscribers rendering it at different
sizes, then forced layer switches.

Three demo pages in one Chromium: A captures 1280x720 (`?video=1280x720`), so sfu-client sends
three layers (320, 640 and 1280 wide); B shows A's tile 1280 px wide, C 150 px wide (the test sets
the tile's CSS width; the demo reports the size with `video-size`). Once A sends all three layers
(its congestion controller adds them as its estimate grows; at most `--settle` seconds), B must
decode A at 1280 and C at 320. Then C's tile alternates between 1280 and 150 px `--switches` times
each way; after each change C must decode A at the new layer's width within `--switch-timeout`
seconds. Freezes, dropped frames and PLIs of C's stream of A are read before and after.
Then both B and C show A 150 px wide: no one needs A's 640 and 1280 px layers, and the server
asks A to pause them (`layers`, after 5 s); what A sends before and after, and when, is recorded
with the server's view. Last, B shows A 1280 px wide again: when B decodes 1280 once more.
Prints `RESULT {json}`.
"""
import sys
import time

from room_browser import Browser, finish, peer_arguments, video_layers, wait_until
from room_client import emit_result
from room_quality import QUALITY, page_url, sent

# The inbound video stream of `owner`'s track on this page (via the client's remoteTracks), and
# the page's own sent layers.
INBOUND_OF = r"""
const owner = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  if (!c || !c.subscriber) return done(null);
  let trackId = null;
  for (const [id, rt] of c.remoteTracks) if (rt.participantId === owner && rt.kind === 'video') trackId = rt.track.id;
  const stats = await c.subscriber.getStats();
  let out = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && s.trackIdentifier === trackId) {
      out = { frameWidth: s.frameWidth || 0, framesDecoded: s.framesDecoded || 0, freezeCount: s.freezeCount || 0,
              totalFreezesDuration: s.totalFreezesDuration || 0, framesDropped: s.framesDropped || 0,
              pliCount: s.pliCount || 0, nackCount: s.nackCount || 0, keyFramesDecoded: s.keyFramesDecoded || 0,
              bytesReceived: s.bytesReceived || 0 };
    }
  });
  done(out);
})().catch((e) => done({ error: String(e) }));
"""

# Shows `owner`'s tile `width` CSS pixels wide (the grid no longer sizes it).
SET_WIDTH = r"""
const owner = arguments[0], width = arguments[1];
const tiles = document.getElementById('tiles');
tiles.style.display = 'block';
const li = document.getElementById('tile-' + owner);
if (!li) return false;
li.style.width = width + 'px';
li.style.height = Math.round(width * 9 / 16) + 'px';
return true;
"""


def main():
    ap = peer_arguments("simulcast")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--settle", type=float, default=45.0)
    ap.add_argument("--switches", type=int, default=50)
    ap.add_argument("--switch-timeout", type=float, default=5.0)
    ap.add_argument("--pause-timeout", type=float, default=15.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    b = None
    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A") + "&video=1280x720")
        b.open("B", page_url(args.http, args.room, "B"))
        b.open("C", page_url(args.http, args.room, "C"))
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = ids

        def inbound(page):
            b.use(page)
            return b.driver.execute_async_script(INBOUND_OF, ids["A"])

        def set_width(page, width):
            b.use(page)
            return b.driver.execute_script(SET_WIDTH, ids["A"], width)

        if not wait_until(lambda: all((inbound(p) or {}).get("framesDecoded", 0) > 0 for p in ("B", "C")), args.media_timeout, 1.0):
            raise RuntimeError("B and C do not both decode A's video")
        if not (set_width("B", 1280) and set_width("C", 150)):
            raise RuntimeError("no tile of A on B or C")
        result["phase"] = "decoding"
        decoding_at = time.monotonic()

        def published():
            b.use("A")
            first_a = b.driver.execute_async_script(QUALITY)
            time.sleep(1.0)
            second_a = b.driver.execute_async_script(QUALITY)
            return sent(first_a, second_a, "publisher") or {}
        # The browser adds a layer once its congestion controller's estimate covers it: wait for
        # all three (at most --settle seconds), and for the subscribers to have switched.
        state = {}

        def three_layers():
            state["published"] = published()
            return sum(1 for s in state["published"].get("streams") or [] if s["bitrate"] > 0 and s["frameWidth"] > 0) >= 3
        wait_until(three_layers, args.settle, 0.5)
        result["threeLayersAfter"] = round(time.monotonic() - decoding_at, 1)
        time.sleep(2.0)
        result["published"] = state["published"].get("streams")
        result["publisherEstimate"] = state["published"].get("availableOutgoingBitrate")
        result["settled"] = {"B": inbound("B"), "C": inbound("C")}
        result["phase"] = "settled"

        before = inbound("C")
        switches = []
        for i in range(args.switches * 2):
            width, expected = (1280, 1280) if i % 2 == 0 else (150, 320)
            set_width("C", width)
            started = time.monotonic()
            seen = None
            while time.monotonic() - started < args.switch_timeout:
                now = inbound("C") or {}
                seen = now.get("frameWidth")
                if seen == expected:
                    break
                time.sleep(0.05)
            switches.append({"to": expected, "seen": seen, "seconds": round(time.monotonic() - started, 2)})
            # Rest on the layer a moment: a decoder switching at every keyframe is not what users do.
            time.sleep(0.3)
        after = inbound("C")
        result["switches"] = {
            "count": len(switches),
            "failed": [s for s in switches if s["seen"] != s["to"]],
            "slowest": max((s["seconds"] for s in switches), default=None),
            "median": sorted(s["seconds"] for s in switches)[len(switches) // 2] if switches else None,
            "before": before, "after": after,
        }
        result["phase"] = "switched"

        def server_layers():
            """A's video layers as the SFU's /stats shows them: rid -> (bitrate, paused)."""
            layers = video_layers(args.http, args.room, ids["A"])
            if isinstance(layers, dict):
                return layers
            return {layer.get("rid"): [layer.get("bitrateBitsPerSecond"), layer.get("paused")] for layer in layers}

        def sending():
            streams = published().get("streams") or []
            return {s["rid"]: s["bitrate"] for s in streams}
        pause = {"sentBefore": sending(), "serverBefore": server_layers(), "viewersBefore": {"B": inbound("B"), "C": inbound("C")}}
        set_width("B", 150)
        set_width("C", 150)
        small_at = time.monotonic()
        while time.monotonic() - small_at < args.pause_timeout:
            now = sending()
            if all(bitrate < 5_000 for rid, bitrate in now.items() if rid != "q") and now.get("q", 0) > 0:
                pause["pausedAfter"] = round(time.monotonic() - small_at, 1)
                break
        pause["sentAfter"] = sending()
        pause["serverAfter"] = server_layers()
        pause["decodingWhilePaused"] = {"B": inbound("B"), "C": inbound("C")}
        set_width("B", 1280)
        large_at = time.monotonic()
        while time.monotonic() - large_at < args.pause_timeout:
            if (inbound("B") or {}).get("frameWidth") == 1280:
                pause["resumedAfter"] = round(time.monotonic() - large_at, 2)
                break
            time.sleep(0.05)
        pause["sentResumed"] = sending()
        pause["serverResumed"] = server_layers()
        result["pause"] = pause
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result)


if __name__ == "__main__":
    sys.exit(main())
