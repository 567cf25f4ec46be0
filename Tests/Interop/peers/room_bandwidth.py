#!/usr/bin/env python3
"""One subscriber's link limited while others are not: the SFU's bandwidth estimate for that
subscriber (its transport-wide feedback, probes) moves it to a lower simulcast layer, and back
up when the limit lifts; the other subscriber is not touched.

Three demo pages in one Chromium: A captures 1280x720 (`?video=1280x720`), so sfu-client sends
three layers (320, 640 and 1280 wide); B and C both show A's tile 1280 px wide, so both want the
top layer. Once A sends all three and B and C decode A at 1280 (at most `--settle` seconds), what
the SFU sends C's receiving connection goes through an htb class of `--kbits` on lo (matched by
the connection's ports; a burst of two datagrams, like a link of that speed rather than a shaper
that lets bursts through) for `--limited` seconds; then the class is removed and C is watched for
`--recover` seconds. Every `--poll` seconds B's and C's stream of A is read (frameWidth,
framesDecoded, freezeCount, totalFreezesDuration): when C went below 1280, when it was back,
every freeze (count and duration added between two polls), and B's width and frame rate
throughout. The SFU's /stats gives C's estimate at each poll. Prints `RESULT {json}`.
"""
import json
import sys
import time
import urllib.request

from room_browser import Browser, finish, peer_arguments, wait_until
from room_client import emit_result
from room_quality import QUALITY, limit_rate, page_url, sent, unlimit_rate
from room_simulcast import INBOUND_OF, SET_WIDTH

TOP = 1280


def main():
    ap = peer_arguments("bandwidth")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--settle", type=float, default=60.0)
    ap.add_argument("--kbits", type=float, default=300)
    ap.add_argument("--limited", type=float, default=30.0)
    ap.add_argument("--recover", type=float, default=30.0)
    ap.add_argument("--poll", type=float, default=0.25)
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "kbits": args.kbits}
    t0 = time.monotonic()
    b = None
    try:
        b = Browser(args.workdir)
        b.open("A", page_url(args.http, args.room, "A") + "&video=1280x720")
        b.open("B", page_url(args.http, args.room, "B") + "&video=off")
        b.open("C", page_url(args.http, args.room, "C") + "&video=off")
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = ids

        def inbound(page):
            b.use(page)
            return b.driver.execute_async_script(INBOUND_OF, ids["A"]) or {}

        def estimate(page):
            try:
                with urllib.request.urlopen(f"{args.http}/stats/rooms/{args.room}", timeout=2) as response:
                    room = json.load(response)
            except Exception:
                return None
            for p in room.get("participants", []):
                if p.get("id") == ids[page]:
                    bw = p.get("bandwidth") or {}
                    return [bw.get("estimatedBitsPerSecond"), bw.get("acknowledgedBitsPerSecond"), bw.get("delaySignal"),
                            round(bw.get("lossRatio") or 0, 3), bw.get("probesSent"), bw.get("probesSucceeded"),
                            p.get("retransmissionsSent"), p.get("bitrateOutBitsPerSecond"), p.get("nacksReceived"),
                            p.get("retransmissionsRefused")]
            return None

        if not wait_until(lambda: all(inbound(p).get("framesDecoded", 0) > 0 for p in ("B", "C")), args.media_timeout, 1.0):
            raise RuntimeError("B and C do not both decode A's video")
        for page in ("B", "C"):
            b.use(page)
            if not b.driver.execute_script(SET_WIDTH, ids["A"], TOP):
                raise RuntimeError(f"no tile of A on {page}")
        result["phase"] = "decoding"
        decoding_at = time.monotonic()

        def three_layers_at_top():
            b.use("A")
            first = b.driver.execute_async_script(QUALITY)
            time.sleep(0.5)
            streams = (sent(first, b.driver.execute_async_script(QUALITY), "publisher") or {}).get("streams") or []
            result["published"] = streams
            return sum(1 for s in streams if s["bitrate"] > 0 and s["frameWidth"] > 0) >= 3 and \
                all(inbound(p).get("frameWidth") == TOP for p in ("B", "C"))
        if not wait_until(three_layers_at_top, args.settle, 0.5):
            raise RuntimeError(f"not settled on three layers with B and C at {TOP}: B {inbound('B')}, C {inbound('C')}")
        result["settledAfter"] = round(time.monotonic() - decoding_at, 1)
        result["estimateBefore"] = estimate("C")  # [estimate, acknowledged, signal, loss, probes, found room, resends, bitrate out, NACKs, resends refused]
        result["phase"] = "settled"

        b.use("C")
        pair = next((pc["pair"] for pc in b.driver.execute_async_script(QUALITY)["pcs"] if pc["role"] == "subscriber"), None)
        if not pair or not pair.get("localPort"):
            raise RuntimeError(f"no selected pair for C's receiving connection: {pair}")

        def watch(seconds, since, timeline):
            """Polls B and C for `seconds`; appends (t, B, C, C's estimate) rows."""
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                row = {"t": round(time.monotonic() - since, 2), "B": inbound("B"), "C": inbound("C")}
                if len(timeline) % 4 == 0:
                    row["estimateC"] = estimate("C")
                timeline.append(row)
                time.sleep(args.poll)

        baseline = []
        watch(5.0, time.monotonic(), baseline)
        # A burst of two datagrams: like a link of that speed, not a shaper that lets bursts through.
        result["rule"] = limit_rate(args.kbits, pair, towards_page=True, burst=3000, cburst=3000)
        limited_at = time.monotonic()
        limited = []
        watch(args.limited, limited_at, limited)
        unlimit_rate()
        lifted_at = time.monotonic()
        recovered = []
        watch(args.recover, lifted_at, recovered)
        result["phase"] = "watched"

        def freezes(rows, page):
            out = []
            for a, z in zip(rows, rows[1:]):
                count = z[page].get("freezeCount", 0) - a[page].get("freezeCount", 0)
                if count > 0:
                    seconds = z[page].get("totalFreezesDuration", 0) - a[page].get("totalFreezesDuration", 0)
                    out.append({"t": z["t"], "count": count, "seconds": round(seconds, 3)})
            return out

        def fps(rows, page):
            if len(rows) < 2:
                return None
            frames = rows[-1][page].get("framesDecoded", 0) - rows[0][page].get("framesDecoded", 0)
            return round(frames / max(1e-3, rows[-1]["t"] - rows[0]["t"]), 1)

        lower = next((r["t"] for r in limited if 0 < r["C"].get("frameWidth", 0) < TOP), None)
        back = next((r["t"] for r in recovered if r["C"].get("frameWidth") == TOP), None)
        result["limitedPhase"] = {
            "lowerLayerAfter": lower,
            "widthsC": sorted({r["C"].get("frameWidth") for r in limited}),
            "widthsB": sorted({r["B"].get("frameWidth") for r in limited}),
            "freezesC": freezes(limited, "C"), "freezesB": freezes(limited, "B"),
            "fpsB": fps(limited, "B"), "fpsC": fps(limited, "C"),
            "estimatesC": [(r["t"], r["estimateC"]) for r in limited if "estimateC" in r],
            # The switch down as C saw it: width, frames decoded, freezes and their seconds, PLIs,
            # NACKs and keyframes sent and decoded, kilobytes received.
            "earlyC": [(r["t"], r["C"].get("frameWidth"), r["C"].get("framesDecoded"), r["C"].get("freezeCount"),
                        round(r["C"].get("totalFreezesDuration") or 0, 3), r["C"].get("pliCount"), r["C"].get("nackCount"),
                        r["C"].get("keyFramesDecoded"), (r["C"].get("bytesReceived") or 0) // 1000)
                       for r in limited if r["t"] <= 6],
        }
        result["baseline"] = {"fpsB": fps(baseline, "B"), "fpsC": fps(baseline, "C"),
                              "widthsB": sorted({r["B"].get("frameWidth") for r in baseline})}
        result["recoveredPhase"] = {
            "topLayerAfter": back,
            "widthsC": sorted({r["C"].get("frameWidth") for r in recovered}),
            "widthsB": sorted({r["B"].get("frameWidth") for r in recovered}),
            "freezesC": freezes(recovered, "C"), "freezesB": freezes(recovered, "B"),
            "fpsB": fps(recovered, "B"),
            "estimatesC": [(r["t"], r["estimateC"]) for r in recovered if "estimateC" in r],
        }
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        finish(result, b, t0, emit_result, cleanup=unlimit_rate)


if __name__ == "__main__":
    sys.exit(main())
