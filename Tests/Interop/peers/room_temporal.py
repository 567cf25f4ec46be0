#!/usr/bin/env python3
"""A viewer whose link cannot carry even the publisher's smallest simulcast layer: the SFU leaves
out that layer's upper temporal layers (VP8 TIDs) for it, so the picture keeps moving at a lower
frame rate instead of freezing, and the frame rate comes back when the link does.

Two demo pages in one Chromium: A captures 1280x720 and publishes VP8 simulcast (three layers;
Chromium encodes each with three temporal layers); C has no camera (`?video=off`) and shows A's
tile 150 px wide, so it wants the smallest layer. After `--warmup` s, what the SFU sends C's
receiving connection goes through an htb class of `--kbits` on lo for `--limited` seconds, then
the limit is lifted for `--recovery` seconds. Every second: C's stream of A (framesDecoded,
freezes, width, bytes), C's estimate and the packets the SFU left out for C
(`temporalLayerPacketsDropped`), and A's layers as the SFU receives them (rid, bitrate,
temporalLayers). Prints `RESULT {json}`.
"""
import json
import sys
import time
import urllib.request

from room_browser import Browser, finish, peer_arguments, wait_until
from room_client import emit_result
from room_quality import QUALITY, limit_rate, page_url, unlimit_rate
from room_simulcast import INBOUND_OF, SET_WIDTH


def rate(rows, key, scale=1.0):
    """Per second over `rows` (timeline rows with `t` and C's figures)."""
    if len(rows) < 2:
        return None
    seconds = max(1e-3, rows[-1]["t"] - rows[0]["t"])
    return round((rows[-1]["C"].get(key, 0) - rows[0]["C"].get(key, 0)) * scale / seconds, 1)


def summary(rows):
    if len(rows) < 2:
        return None
    first, last = rows[0], rows[-1]
    return {
        "fpsC": rate(rows, "framesDecoded"), "kbitsC": rate(rows, "bytesReceived", 8 / 1000),
        "freezesC": last["C"].get("freezeCount", 0) - first["C"].get("freezeCount", 0),
        "freezeSecondsC": round(last["C"].get("totalFreezesDuration", 0) - first["C"].get("totalFreezesDuration", 0), 3),
        "widthC": last["C"].get("frameWidth"),
        "droppedForC": (last.get("droppedC") or 0) - (first.get("droppedC") or 0),
        "estimateC": last.get("estimateC"),
    }


def main():
    ap = peer_arguments("temporal")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--warmup", type=float, default=15.0)
    ap.add_argument("--kbits", type=float, default=130)
    ap.add_argument("--limited", type=float, default=40.0)
    ap.add_argument("--recovery", type=float, default=30.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "kbits": args.kbits}
    t0 = time.monotonic()
    b = None
    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A") + "&video=1280x720")
        b.open("C", page_url(args.http, args.room, "C") + "&video=off")
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = ids

        def inbound():
            b.use("C")
            return b.driver.execute_async_script(INBOUND_OF, ids["A"]) or {}

        def server():
            try:
                with urllib.request.urlopen(f"{args.http}/stats/rooms/{args.room}", timeout=2) as response:
                    room = json.load(response)
            except Exception:
                return {}
            by_id = {p.get("id"): p for p in room.get("participants", [])}
            a, c = by_id.get(ids["A"]) or {}, by_id.get(ids["C"]) or {}
            layers = [{"rid": layer.get("rid"), "kbits": round(layer.get("bitrateBitsPerSecond", 0) / 1000),
                       "fps": layer.get("framesPerSecond"), "width": layer.get("width"),
                       "temporalLayers": layer.get("temporalLayers"), "paused": layer.get("paused")}
                      for track in a.get("tracks", []) if track.get("kind") == "video" for layer in track.get("layers", [])]
            return {"layersA": layers, "estimateC": (c.get("bandwidth") or {}).get("estimatedBitsPerSecond"),
                    "droppedC": c.get("temporalLayerPacketsDropped")}

        def sample(start):
            row = {"C": inbound(), **server()}
            row["t"] = round(time.monotonic() - start, 1)
            return row

        def watch(seconds):
            start, rows = time.monotonic(), []
            while time.monotonic() - start < seconds:
                rows.append(sample(start))
                time.sleep(max(0.0, 1.0 - (time.monotonic() - start - rows[-1]["t"])))
            return rows

        if not wait_until(lambda: inbound().get("framesDecoded", 0) > 0, args.media_timeout, 1.0):
            raise RuntimeError("C does not decode A's video")
        b.use("C")
        if not b.driver.execute_script(SET_WIDTH, ids["A"], 150):
            raise RuntimeError("no tile of A on C")
        warm = watch(args.warmup)
        result["before"] = summary(warm[len(warm) // 2:])
        result["layersA"] = warm[-1].get("layersA")
        b.use("A")
        result["sentA"] = [{"rid": s["rid"], "scalabilityMode": s["scalabilityMode"], "width": s["frameWidth"],
                            "fps": s["framesPerSecond"]}
                           for pc in b.driver.execute_async_script(QUALITY)["pcs"] if pc["role"] == "publisher" for s in pc["outbound"]]
        result["phase"] = "warm"

        b.use("C")
        pair = next((pc["pair"] for pc in b.driver.execute_async_script(QUALITY)["pcs"] if pc["role"] == "subscriber"), None)
        if not pair or not pair.get("localPort"):
            raise RuntimeError(f"no selected pair for C's receiving connection: {pair}")
        result["rule"] = limit_rate(args.kbits, pair, towards_page=True, burst=3000, cburst=3000)
        limited = watch(args.limited)
        unlimit_rate()
        result["phase"] = "limited"
        result["limited"] = [(r["t"], r["C"].get("framesDecoded"), r["C"].get("freezeCount"), r["C"].get("frameWidth"),
                              r.get("estimateC"), r.get("droppedC"), r["C"].get("nackCount"), r["C"].get("pliCount"),
                              r["C"].get("keyFramesDecoded")) for r in limited]
        result["secondHalf"] = summary([r for r in limited if r["t"] >= args.limited / 2])
        recovery = watch(args.recovery)
        result["recovery"] = [(r["t"], r["C"].get("framesDecoded"), r["C"].get("freezeCount"), r.get("estimateC"),
                               r.get("droppedC")) for r in recovery]
        result["recovered"] = summary(recovery[len(recovery) // 2:])
        # The first second from which C's frame rate is back to 80 % of what it was before.
        target = 0.8 * ((result["before"] or {}).get("fpsC") or 0)
        result["fpsBackAfter"] = next((recovery[i]["t"] for i in range(len(recovery) - 3)
                                       if (rate(recovery[i:i + 4], "framesDecoded") or 0) >= target), None)
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result, cleanup=unlimit_rate)


if __name__ == "__main__":
    sys.exit(main())
