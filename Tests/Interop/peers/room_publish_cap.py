#!/usr/bin/env python3
"""A publisher whose only viewer is on a thin link: the SFU's REMB caps what the publisher sends.

Two demo pages in one Chromium: A captures 1280x720 and publishes VP9 as one stream of one size
(`?codec=VP9&layers=off`: no simulcast or spatial layer to fall back on); C has no camera (`?video=off`) and shows A's tile 1280 px
wide. Once C decodes A, A's encoder target and sent bitrate are read; then what the SFU sends C's
receiving connection goes through an htb class of `--kbits` on lo (burst of two datagrams) for
`--limited` seconds. Every second: A's encoder target and sent bitrate, the cap the SFU's /stats
says it told A (`publishCapBitsPerSecond`), C's estimate, and C's stream of A (width,
framesDecoded, freezes). Prints `RESULT {json}`.
"""
import json
import sys
import time
import urllib.request

from room_browser import Browser, finish, peer_arguments, wait_until
from room_client import emit_result
from room_quality import QUALITY, limit_rate, page_url, sent, unlimit_rate
from room_simulcast import INBOUND_OF, SET_WIDTH


def main():
    ap = peer_arguments("cap")
    ap.add_argument("--codec", default="VP9")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--kbits", type=float, default=300)
    ap.add_argument("--limited", type=float, default=30.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "kbits": args.kbits, "codec": args.codec}
    t0 = time.monotonic()
    b = None
    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A", args.codec) + "&video=1280x720&layers=off")
        b.open("C", page_url(args.http, args.room, "C") + "&video=off")
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = ids

        def inbound():
            b.use("C")
            return b.driver.execute_async_script(INBOUND_OF, ids["A"]) or {}

        def publisher():
            b.use("A")
            first = b.driver.execute_async_script(QUALITY)
            time.sleep(1.0)
            out = sent(first, b.driver.execute_async_script(QUALITY), "publisher") or {}
            return {"target": out.get("targetBitrate"), "bitrate": out.get("bitrate"), "width": out.get("frameWidth"),
                    "limitation": out.get("qualityLimitationReason")}

        def server():
            try:
                with urllib.request.urlopen(f"{args.http}/stats/rooms/{args.room}", timeout=2) as response:
                    room = json.load(response)
            except Exception:
                return {}
            by_id = {p.get("id"): p for p in room.get("participants", [])}
            return {"capA": (by_id.get(ids["A"]) or {}).get("publishCapBitsPerSecond"),
                    "estimateC": ((by_id.get(ids["C"]) or {}).get("bandwidth") or {}).get("estimatedBitsPerSecond")}

        if not wait_until(lambda: inbound().get("framesDecoded", 0) > 0, args.media_timeout, 1.0):
            raise RuntimeError("C does not decode A's video")
        b.use("C")
        if not b.driver.execute_script(SET_WIDTH, ids["A"], 1280):
            raise RuntimeError("no tile of A on C")
        time.sleep(args.warmup)
        result["before"] = {"A": publisher(), "C": inbound(), **server()}
        result["phase"] = "warm"

        b.use("C")
        pair = next((pc["pair"] for pc in b.driver.execute_async_script(QUALITY)["pcs"] if pc["role"] == "subscriber"), None)
        if not pair or not pair.get("localPort"):
            raise RuntimeError(f"no selected pair for C's receiving connection: {pair}")
        result["rule"] = limit_rate(args.kbits, pair, towards_page=True, burst=3000, cburst=3000)
        limited_at = time.monotonic()
        timeline = []
        while time.monotonic() - limited_at < args.limited:
            row = {"A": publisher(), "C": inbound(), **server()}
            row["t"] = round(time.monotonic() - limited_at, 1)
            timeline.append(row)
        unlimit_rate()
        result["timeline"] = timeline
        limit = args.kbits * 1000
        result["targetUnderLimitAfter"] = next((r["t"] for r in timeline if (r["A"]["target"] or 0) and r["A"]["target"] < limit), None)
        half = [r for r in timeline if r["t"] >= args.limited / 2]
        if len(half) >= 2:
            first, last = half[0]["C"], half[-1]["C"]
            seconds = max(1e-3, half[-1]["t"] - half[0]["t"])
            result["secondHalf"] = {
                "fpsC": round((last.get("framesDecoded", 0) - first.get("framesDecoded", 0)) / seconds, 1),
                "freezesC": last.get("freezeCount", 0) - first.get("freezeCount", 0),
                "freezeSecondsC": round(last.get("totalFreezesDuration", 0) - first.get("totalFreezesDuration", 0), 3),
                "widthC": last.get("frameWidth"), "targetA": half[-1]["A"]["target"], "bitrateA": half[-1]["A"]["bitrate"],
            }
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result, cleanup=unlimit_rate)


if __name__ == "__main__":
    sys.exit(main())
