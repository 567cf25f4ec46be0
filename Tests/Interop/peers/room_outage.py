#!/usr/bin/env python3
"""Two headless Chromium pages of the demo in one room ride out network outages.

Both pages join and receive each other's audio and video. Then, for each cut length given, all
traffic between the pages and the server is dropped both ways with nftables (the server's media
address and its signaling port, inside this test host), for that long, then restored. After
each restore both pages must decode each other's video again (framesDecoded growing) without a
reload, and list exactly each other (no ghosts). Times are measured from the restore.

Prints `RESULT {json}`.
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.parse

from room_browser import Browser, console_tail, per_owner, wait_until
from room_client import emit_result

NFT_TABLE = "sfu_outage"


def page_url(http, room, name):
    return f"{http}/?{urllib.parse.urlencode({'room': room, 'name': name})}"


def nft(script):
    p = subprocess.run(["nft", "-f", "-"], input=script, text=True, capture_output=True, timeout=10)
    if p.returncode != 0:
        raise RuntimeError(f"nft failed: {p.stderr.strip()}")


def cut(server_addr, signaling_port):
    # Output hook: on this host's loopback every packet passes it once, either way.
    nft(f"""table inet {NFT_TABLE} {{
  chain output {{
    type filter hook output priority 0; policy accept;
    ip saddr {server_addr} drop
    ip daddr {server_addr} drop
    tcp dport {signaling_port} drop
    tcp sport {signaling_port} drop
  }}
}}
""")


def restore():
    nft(f"delete table inet {NFT_TABLE}\n")


def decoding(b, name, other_id, gap=1.0):
    """framesDecoded of `other_id`'s video on page `name`, before and after `gap` seconds."""
    first = per_owner(b.snapshot(name)).get(other_id, {}).get("video", 0)
    time.sleep(gap)
    second = per_owner(b.snapshot(name)).get(other_id, {}).get("video", 0)
    return first, second


def current_ids(b, names):
    out = {}
    for n in names:
        s = b.snapshot(n)
        out[n] = s.get("me")
    return out


def listed(b, name):
    s = b.snapshot(name)
    ps = s.get("participants")
    return sorted(p["id"] for p in ps) if isinstance(ps, list) else None


def recover(b, names, limit):
    """Seconds until both pages decode each other's video again (ids may have changed: a fresh
    join after the session was ended), or None within `limit`; also what each page listed."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        ids = current_ids(b, names)
        if all(ids.values()):
            ok = True
            for n in names:
                other = ids[[m for m in names if m != n][0]]
                a, z = decoding(b, n, other, gap=0.5)
                ok = ok and z > a
            if ok:
                return round(time.monotonic() - t0, 2), ids
        time.sleep(0.25)
    return None, current_ids(b, names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--server-addr", default="10.213.0.1")
    ap.add_argument("--room", default="outage")
    ap.add_argument("--cuts", default="10", help="comma-separated cut lengths in seconds")
    ap.add_argument("--recover-within", type=float, default=10.0)
    ap.add_argument("--media-timeout", type=float, default=45.0)
    args = ap.parse_args()
    signaling_port = int(urllib.parse.urlparse(args.http).port)
    result = {"phase": "start", "notes": [], "cuts": []}
    t0 = time.monotonic()
    b = None
    names = ["A", "B"]
    try:
        b = Browser(args.workdir)
        for n in names:
            b.open(n, page_url(args.http, args.room, n))
        ids, snaps = {}, {}
        b.wait_joined(ids, snaps)
        result["ids"] = dict(ids)
        if recover(b, names, args.media_timeout)[0] is None:
            raise RuntimeError("A and B do not decode each other's video")
        result["phase"] = "ready"

        for length in [float(x) for x in args.cuts.split(",") if x]:
            entry = {"cut": length}
            result["cuts"].append(entry)
            cut(args.server_addr, signaling_port)
            t_cut = time.monotonic()
            entry["cutAt"] = round(time.time(), 3)
            states = []
            while time.monotonic() - t_cut < length:
                s = {n: b.snapshot(n).get("state") for n in names}
                if not states or states[-1][1] != s:
                    states.append((round(time.monotonic() - t_cut, 1), s))
                time.sleep(0.5)
            restore()
            entry["restoredAt"] = round(time.time(), 3)
            entry["statesDuringCut"] = states
            seconds, now_ids = recover(b, names, args.recover_within + 20)
            entry["recoveredAfter"] = seconds
            entry["ids"] = now_ids
            # No ghosts: each page lists exactly the other page's current participant.
            time.sleep(1.0)
            now_ids = current_ids(b, names)
            entry["listed"] = {n: listed(b, n) for n in names}
            entry["expected"] = {n: [now_ids[m] for m in names if m != n] for n in names}
            entry["states"] = {n: b.snapshot(n).get("state") for n in names}
            result["phase"] = f"cut-{length:g}-measured"
            if seconds is None:
                break
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
        try:
            restore()
        except Exception:
            pass
    finally:
        if b is not None:
            try:
                result["views"] = {n: {k: s.get(k) for k in ("state", "me", "participants", "status", "notice", "pcs")}
                                   for n in names for s in [b.snapshot(n)]}
            except Exception as e:
                result["notes"].append(f"views: {e!r}")
            b.quit()
            result["console"] = console_tail(b, 200)
        result["elapsed"] = round(time.monotonic() - t0, 2)
        # The whole result (consoles included) for a reader: the test's failure text is cut.
        with open(f"{args.workdir}/room_outage.json", "w") as f:
            json.dump(result, f, indent=1, default=str)
        emit_result(result)


if __name__ == "__main__":
    sys.exit(main())
