#!/usr/bin/env python3
"""Three headless Chromium pages of the demo in one room, one leaves, a fourth joins late.

One Chromium (chromedriver), one window per page, `http://127.0.0.1:PORT/?room=R&name=N`.
1. A, B, C join; each must decode the other two's video (framesDecoded growing between two
   samples 2 s apart) and receive their audio (packetsReceived growing), read with getStats on
   the peer connections the page created (recorded before the page's scripts ran).
2. C clicks Leave: A and B must drop C from `sfuDemo.participants()` and remove its tile within
   2 s (polled every ~100 ms).
3. D joins late: D must decode A's and B's video and receive their audio; A and B must decode D's.
4. D closes its tab: A and B must drop it within 2 s too.
Prints `RESULT {json}`.
"""
import argparse
import sys
import time
import urllib.parse

from room_browser import Browser, console_tail, per_owner, wait_until
from room_client import emit_result


def page_url(http, room, name):
    return f"{http}/?{urllib.parse.urlencode({'room': room, 'name': name})}"


def ready(snap, others):
    """The page is connected and lists `others`, each with received audio and video tracks."""
    if not snap or snap.get("state") != "connected" or not isinstance(snap.get("participants"), list):
        return False
    by_id = {p["id"]: p for p in snap["participants"]}
    for pid in others:
        p = by_id.get(pid)
        if not p:
            return False
        kinds = {t["kind"] for t in p["tracks"] if t.get("received")}
        if kinds != {"audio", "video"}:
            return False
    owners = per_owner(snap)
    return all(owners.get(pid, {}).get("video", 0) > 0 and owners.get(pid, {}).get("audio", 0) > 0 for pid in others)


def growth(b, names, ids, watch, gap=2.0):
    """Two snapshots `gap` s apart; per page, per other participant: video frames and audio packets."""
    first = {n: per_owner(b.snapshot(n)) for n in names}
    time.sleep(gap)
    second = {n: per_owner(b.snapshot(n)) for n in names}
    out = {}
    for n in names:
        out[n] = {}
        for other in watch[n]:
            pid = ids[other]
            a, z = first[n].get(pid, {}), second[n].get(pid, {})
            out[n][other] = {"video": [a.get("video", 0), z.get("video", 0)], "audio": [a.get("audio", 0), z.get("audio", 0)],
                             "ok": z.get("video", 0) > a.get("video", 0) and z.get("audio", 0) > a.get("audio", 0)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="browsers")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    args = ap.parse_args()
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    b = None
    ids = {}
    snaps = {}
    try:
        b = Browser(args.workdir)
        for n in ("A", "B", "C"):
            b.open(n, page_url(args.http, args.room, n))
        result["phase"] = "pages-opened"

        b.wait_joined(ids, snaps)
        result["ids"] = dict(ids)

        def all_ready(names):
            ok = True
            for n in names:
                snaps[n] = b.snapshot(n)
                ok = ready(snaps[n], [ids[o] for o in names if o != n]) and ok
            return ok
        t1 = time.monotonic()
        if not wait_until(lambda: all_ready(["A", "B", "C"]), args.media_timeout, 1.0):
            raise RuntimeError("A, B, C do not all receive each other's audio and video")
        result["threeReadyAfter"] = round(time.monotonic() - t1, 2)
        result["phase"] = "three-ready"
        result["three"] = growth(b, ["A", "B", "C"], ids, {"A": ["B", "C"], "B": ["A", "C"], "C": ["A", "B"]})
        result["phase"] = "three-measured"

        # C leaves with the Leave button; A and B must forget it within 2 s.
        gone = ids["C"]
        b.click("C", "leave")
        t_leave = time.monotonic()
        seen_gone = {}
        presence_log = {"A": [], "B": []}
        while time.monotonic() - t_leave < 5.0 and len(seen_gone) < 2:
            for n in ("A", "B"):
                if n in seen_gone:
                    continue
                p = b.presence(n, gone)
                presence_log[n].append((round(time.monotonic() - t_leave, 3), p))
                if p and p.get("listed") is False and p.get("tile") is False:
                    seen_gone[n] = round(time.monotonic() - t_leave, 3)
            time.sleep(0.05)
        result["leave"] = {"goneAfter": seen_gone, "presence": {k: v[-3:] for k, v in presence_log.items()}}
        snaps["C"] = b.snapshot("C")
        result["leave"]["leaverState"] = snaps["C"].get("state")
        b.close_page("C")
        result["phase"] = "left"

        # D joins late.
        b.open("D", page_url(args.http, args.room, "D"))
        try:
            b.wait_joined(ids, snaps)
        except RuntimeError:
            raise RuntimeError("D did not join") from None
        result["ids"] = dict(ids)
        t2 = time.monotonic()
        if not wait_until(lambda: all_ready(["A", "B", "D"]), args.media_timeout, 1.0):
            raise RuntimeError("A, B, D do not all receive each other's audio and video")
        result["lateReadyAfter"] = round(time.monotonic() - t2, 2)
        result["late"] = growth(b, ["A", "B", "D"], ids, {"D": ["A", "B"], "A": ["D"], "B": ["D"]})
        for n in ("A", "B", "D"):
            snaps[n] = b.snapshot(n)
        result["phase"] = "late-measured"

        # D closes its tab (the demo sends `leave` on pagehide): A and B must forget it within 2 s.
        gone = ids["D"]
        b.close_page("D")
        t_close = time.monotonic()
        seen_gone = {}
        while time.monotonic() - t_close < 5.0 and len(seen_gone) < 2:
            for n in ("A", "B"):
                if n not in seen_gone:
                    p = b.presence(n, gone)
                    if p and p.get("listed") is False and p.get("tile") is False:
                        seen_gone[n] = round(time.monotonic() - t_close, 3)
            time.sleep(0.05)
        result["closeTab"] = {"goneAfter": seen_gone}
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        if b is not None:
            for n in list(b.pages):
                try:
                    snaps[n] = b.snapshot(n)
                except Exception:
                    pass
            result["views"] = {n: {k: s.get(k) for k in ("state", "me", "participants", "tiles", "status", "notice", "pcs")}
                               | {"perOwner": per_owner(s)} for n, s in snaps.items() if isinstance(s, dict)}
            b.quit()
            result["console"] = console_tail(b)
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    sys.exit(main())
