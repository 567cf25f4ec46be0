#!/usr/bin/env python3
"""Video quality through the SFU against the same browser's direct call, in one run.

One headless Chromium (chromedriver) with three windows:
- A and B: the demo page of `sfu serve` in one room, each publishing its fake camera and
  receiving the other's through the SFU;
- P: peers/p2p_call.html, the same camera sent over a direct RTCPeerConnection pair in one page.
With `--firefox`, page A is a headless Firefox ESR page (WebDriver BiDi) and Firefox gets a direct
call page of its own: each stream through the SFU is compared with the direct call of the browser
that sent it (Firefox's fake camera is another picture, at another bitrate).
After every page decodes video, `--warmup` seconds let the congestion controllers settle; then two
getStats samples `--window` seconds apart give, per received video stream: bitrate (bytesReceived),
decoded frame rate, frame width, freezes; and per sent video stream: the encoder's
qualityLimitationReason, its target bitrate and the connection's availableOutgoingBitrate.
Prints `RESULT {json}` with "sfu" (A's view of B, B's view of A) and "direct" (P's receiver).

`--impair publisher-loss=5` drops 5 % of what page A's publishing connection sends the SFU,
`--impair subscriber-loss=5` 5 % of what the SFU sends A's receiving connection: nftables on the
input hook (the kernel has no netem), matched by the ports of the connection's selected pair,
from the end of the warm-up's first half; `--no-direct` leaves the direct call out.
`--impair publisher-rate=500` limits what A's publishing connection sends the SFU to 500 kbit/s:
the pages and the SFU share one test host, so their datagrams cross `lo`, where an htb class with
that rate takes the connection's flow (u32 match on its ports; the kernel has no netem, but htb
loads); A's encoder target is then read every second for `--window` seconds.
"""
import subprocess
import argparse
import os
import sys
import time
import json
import urllib.parse
import urllib.request

from firefox_browser import FirefoxBrowser
from room_browser import Browser, console_tail, wait_until
from room_client import emit_result

PEERS = os.path.dirname(os.path.abspath(__file__))

# Every recorded peer connection's video streams and selected candidate pair. Roles: the demo's
# publisher/subscriber connections, the direct page's sender/receiver.
QUALITY = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  const p2p = window.p2p;
  const out = [];
  for (const pc of window.__pcs || []) {
    if (pc.signalingState === 'closed') continue;
    let role = 'other';
    if (c && pc === c.publisher) role = 'publisher';
    else if (c && pc === c.subscriber) role = 'subscriber';
    else if (p2p && pc === p2p.sender) role = 'sender';
    else if (p2p && pc === p2p.receiver) role = 'receiver';
    let stats;
    try { stats = await pc.getStats(); } catch (e) { continue; }
    const entry = { role, inbound: [], outbound: [], pair: null };
    let pairId = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        entry.inbound.push({ ssrc: s.ssrc, bytesReceived: s.bytesReceived || 0, framesDecoded: s.framesDecoded || 0,
          frameWidth: s.frameWidth || 0, frameHeight: s.frameHeight || 0, framesPerSecond: s.framesPerSecond || 0,
          freezeCount: s.freezeCount || 0, totalFreezesDuration: s.totalFreezesDuration || 0,
          packetsLost: s.packetsLost || 0, nackCount: s.nackCount || 0, pliCount: s.pliCount || 0,
          keyFramesDecoded: s.keyFramesDecoded || 0, codec: (stats.get(s.codecId) || {}).mimeType || null });
      } else if (s.type === 'outbound-rtp' && s.kind === 'video') {
        entry.outbound.push({ ssrc: s.ssrc, rid: s.rid || null, bytesSent: s.bytesSent || 0,
          frameWidth: s.frameWidth || 0, framesPerSecond: s.framesPerSecond || 0,
          targetBitrate: s.targetBitrate || 0, qualityLimitationReason: s.qualityLimitationReason || null,
          qualityLimitationDurations: s.qualityLimitationDurations || null, nackCount: s.nackCount || 0,
          retransmittedBytesSent: s.retransmittedBytesSent || 0, scalabilityMode: s.scalabilityMode || null });
      } else if (s.type === 'candidate-pair' && (s.id === pairId || (!pairId && s.nominated && s.state === 'succeeded'))) {
        const local = stats.get(s.localCandidateId) || {};
        const remote = stats.get(s.remoteCandidateId) || {};
        entry.pair = { availableOutgoingBitrate: s.availableOutgoingBitrate || null,
          currentRoundTripTime: s.currentRoundTripTime || null, localPort: local.port || null, remotePort: remote.port || null };
      }
    });
    out.push(entry);
  }
  return { t: performance.now(), state: window.sfuDemo ? window.sfuDemo.state : (p2p ? p2p.state : null),
           error: p2p ? p2p.error : null, pcs: out };
})().then(done, (e) => done({ error: String(e) }));
"""


def page_url(http, room, name, codec=None):
    query = {"room": room, "name": name} | ({"codec": codec} if codec else {})
    return f"{http}/?{urllib.parse.urlencode(query)}"


def streams(sample, role, kind):
    return [s for pc in (sample or {}).get("pcs") or [] if pc["role"] == role for s in pc[kind]]


def decoding(sample, role):
    return any(s["framesDecoded"] > 0 for s in streams(sample, role, "inbound"))


def received(first, second, role):
    """The received video stream of `role` (the one with most bytes) between two samples."""
    later = max(streams(second, role, "inbound"), key=lambda s: s["bytesReceived"], default=None)
    if later is None:
        return None
    earlier = next((s for s in streams(first, role, "inbound") if s["ssrc"] == later["ssrc"]), None) or \
        {"bytesReceived": 0, "framesDecoded": 0, "freezeCount": 0, "totalFreezesDuration": 0, "nackCount": 0, "pliCount": 0,
         "packetsLost": 0}
    seconds = max(1e-3, (second["t"] - first["t"]) / 1000)
    return {
        "bitrate": round((later["bytesReceived"] - earlier["bytesReceived"]) * 8 / seconds),
        "fps": round((later["framesDecoded"] - earlier["framesDecoded"]) / seconds, 1),
        "frameWidth": later["frameWidth"], "frameHeight": later["frameHeight"],
        "freezes": later["freezeCount"] - earlier["freezeCount"],
        "freezeSeconds": round(later["totalFreezesDuration"] - earlier["totalFreezesDuration"], 3),
        "freezesTotal": later["freezeCount"], "packetsLost": later["packetsLost"] - earlier["packetsLost"],
        "nacks": later["nackCount"] - earlier["nackCount"], "plis": later["pliCount"] - earlier["pliCount"], "codec": later["codec"],
    }


def sent(first, second, role):
    """The sent video stream of `role` and its connection's estimate at the second sample."""
    later = max(streams(second, role, "outbound"), key=lambda s: s["bytesSent"], default=None)
    if later is None:
        return None
    earlier = next((s for s in streams(first, role, "outbound") if s["ssrc"] == later["ssrc"]), None) or \
        {"bytesSent": 0, "nackCount": 0, "retransmittedBytesSent": 0}
    seconds = max(1e-3, (second["t"] - first["t"]) / 1000)
    pair = next((pc["pair"] for pc in second["pcs"] if pc["role"] == role), None) or {}
    durations = later.get("qualityLimitationDurations") or {}
    durations0 = next((s.get("qualityLimitationDurations") or {} for s in streams(first, role, "outbound")
                       if s["ssrc"] == later["ssrc"]), {})
    return {
        "bitrate": round((later["bytesSent"] - earlier["bytesSent"]) * 8 / seconds),
        "frameWidth": later["frameWidth"], "fps": later["framesPerSecond"],
        # Simulcast: the encoder's target is the sum over its layers (a paused one counts 0).
        "targetBitrate": sum(s["targetBitrate"] for s in streams(second, role, "outbound")),
        "qualityLimitationReason": later["qualityLimitationReason"],
        # Seconds of the window the encoder spent limited by bandwidth.
        "bandwidthLimitedSeconds": round((durations.get("bandwidth") or 0) - (durations0.get("bandwidth") or 0), 2),
        "availableOutgoingBitrate": pair.get("availableOutgoingBitrate"),
        # NACKs the sender received in the window, and what it resent for them.
        "nacks": later["nackCount"] - earlier["nackCount"],
        # Every sent stream (simulcast layers): rid, width, bitrate over the window.
        "streams": [{"rid": s["rid"], "frameWidth": s["frameWidth"], "targetBitrate": s["targetBitrate"],
                     "qualityLimitationReason": s["qualityLimitationReason"],
                     "bitrate": round((s["bytesSent"] - next((e["bytesSent"] for e in streams(first, role, "outbound")
                                                               if e["ssrc"] == s["ssrc"]), 0)) * 8 / seconds)}
                    for s in streams(second, role, "outbound")],
        "retransmittedBitrate": round((later["retransmittedBytesSent"] - earlier["retransmittedBytesSent"]) * 8 / seconds),
    }


def impair(kind, percent, pair):
    """nftables: drop `percent` % of one connection's datagrams in one direction, on input."""
    if kind == "publisher-loss":
        match = f"udp sport {pair['localPort']} udp dport {pair['remotePort']}"
    else:
        match = f"udp sport {pair['remotePort']} udp dport {pair['localPort']}"
    script = ("table inet sfu_quality {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
              f"  {match} numgen random mod 100 < {int(percent)} counter drop\n }}\n}}\n")
    subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True, capture_output=True)
    return match


def limit_rate(kbits, pair, towards_page=False, burst="15k", cburst=None):
    """htb on lo: one connection's datagrams (by port) through a class of `kbits`: what the page
    sends on it, or with `towards_page` what the SFU sends it; `burst` (bytes) passes at line
    rate after an idle spell (`cburst` at the ceiling rate: htb's default when None)."""
    source, destination = (pair["remotePort"], pair["localPort"]) if towards_page else (pair["localPort"], pair["remotePort"])
    commands = [
        "tc qdisc add dev lo root handle 1: htb default 10",
        "tc class add dev lo parent 1: classid 1:10 htb rate 10gbit",
        f"tc class add dev lo parent 1: classid 1:20 htb rate {int(kbits)}kbit ceil {int(kbits)}kbit burst {burst}"
        + (f" cburst {cburst}" if cburst else ""),
        # A short queue, as a home router's: 100 ms at the rate (at least 10 datagrams).
        f"tc qdisc add dev lo parent 1:20 handle 20: bfifo limit {max(15000, int(kbits) * 1000 // 8 // 10)}",
        f"tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport {source} 0xffff "
        f"match ip dport {destination} 0xffff flowid 1:20",
    ]
    for command in commands:
        subprocess.run(command.split(), check=True, capture_output=True, text=True)
    return "; ".join(commands)


def unlimit_rate():
    subprocess.run(["tc", "qdisc", "del", "dev", "lo", "root"], capture_output=True)


def dropped():
    out = subprocess.run(["nft", "list", "table", "inet", "sfu_quality"], text=True, capture_output=True).stdout
    for word, nxt in zip(out.split(), out.split()[1:]):
        if word == "packets":
            return int(nxt)
    return None


def server_view(http, room):
    """What the SFU's /stats says of each page's participant (identity A-... or B-...): its
    bandwidth estimate towards the page, resends and what the page reports of its losses."""
    try:
        with urllib.request.urlopen(f"{http}/stats/rooms/{room}", timeout=2) as response:
            stats = json.load(response)
    except Exception as e:
        return {"error": repr(e)}
    view = {}
    for p in stats.get("participants", []):
        page = (p.get("identity") or "").split("-")[0]
        view[page] = {k: p.get(k) for k in ("bandwidth", "bitrateOutBitsPerSecond", "retransmissionsSent",
                                             "retransmissionsRefused", "nacksReceived", "plisReceived", "lossRatioOut")}
    return view


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="quality")
    ap.add_argument("--media-timeout", type=float, default=45.0)
    ap.add_argument("--warmup", type=float, default=20.0)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--impair", default="", help="publisher-loss=PERCENT or subscriber-loss=PERCENT, on page A")
    ap.add_argument("--no-direct", action="store_true")
    ap.add_argument("--firefox", action="store_true", help="page A in Firefox ESR")
    ap.add_argument("--codec", help="the demo pages' camera codec (?codec=: VP8, VP9, H264, AV1)")
    args = ap.parse_args()
    result = {"phase": "start", "notes": [], "warmup": args.warmup, "window": args.window, "impair": args.impair,
              "browsers": {"A": "firefox" if args.firefox else "chromium", "B": "chromium"}}
    t0 = time.monotonic()
    browsers = {}
    # page -> (browser, url, the role whose video it receives)
    pages = {"A": ("firefox" if args.firefox else "chromium", page_url(args.http, args.room, "A", args.codec), "subscriber"),
             "B": ("chromium", page_url(args.http, args.room, "B", args.codec), "subscriber")}
    direct_url = "file://" + os.path.join(PEERS, "p2p_call.html")
    if not args.no_direct:
        pages["P"] = ("chromium", direct_url, "receiver")
        if args.firefox:
            pages["PF"] = ("firefox", direct_url, "receiver")
    try:
        browsers["chromium"] = Browser(args.workdir)
        if args.firefox:
            browsers["firefox"] = FirefoxBrowser(args.workdir)
        for name, (kind, url, _) in pages.items():
            browsers[kind].open(name, url)
        result["phase"] = "pages-opened"

        def sample(name):
            browser = browsers[pages[name][0]]
            if isinstance(browser, FirefoxBrowser):
                return browser.execute_async_script(name, QUALITY)
            browser.use(name)
            return browser.driver.execute_async_script(QUALITY)

        def all_decoding():
            return all(decoding(sample(n), role) for n, (_, _, role) in pages.items())
        if not wait_until(all_decoding, args.media_timeout, 1.0):
            result["samples"] = {n: sample(n) for n in pages}
            raise RuntimeError("not every page decodes video (A and B through the SFU, the direct calls)")
        result["decodingAfter"] = round(time.monotonic() - t0, 1)
        result["phase"] = "decoding"
        if args.impair:
            kind, _, percent = args.impair.partition("=")
            time.sleep(args.warmup / 2)
            role = "subscriber" if kind == "subscriber-loss" else "publisher"
            pair = next((pc["pair"] for pc in sample("A")["pcs"] if pc["role"] == role), None)
            if not pair or not pair.get("localPort"):
                raise RuntimeError(f"no selected pair for A's {role} connection: {pair}")
            if kind == "publisher-rate":
                before = sent(sample("A"), sample("A"), "publisher") or {}
                result["impairment"] = {"rule": limit_rate(float(percent), pair), "kbits": float(percent),
                                        "targetBefore": before.get("targetBitrate"), "targets": []}
                # A's encoder target every second from the limit on: when does it fit?
                limited_at = time.monotonic()
                while time.monotonic() - limited_at < args.warmup / 2:
                    time.sleep(1.0)
                    now = sent(sample("A"), sample("A"), "publisher") or {}
                    result["impairment"]["targets"].append((round(time.monotonic() - limited_at, 1), now.get("targetBitrate")))
            else:
                result["impairment"] = {"rule": impair(kind, float(percent), pair), "percent": float(percent)}
                time.sleep(args.warmup / 2)
        else:
            time.sleep(args.warmup)
        first = {n: sample(n) for n in pages}
        result["serverBefore"] = server_view(args.http, args.room)
        time.sleep(args.window)
        second = {n: sample(n) for n in pages}
        result["server"] = server_view(args.http, args.room)
        if args.impair and not args.impair.startswith("publisher-rate"):
            result["impairment"]["dropped"] = dropped()
        result["sfu"] = {
            "A": {"received": received(first["A"], second["A"], "subscriber"), "sent": sent(first["A"], second["A"], "publisher")},
            "B": {"received": received(first["B"], second["B"], "subscriber"), "sent": sent(first["B"], second["B"], "publisher")},
        }
        # The direct call of the browser that sent each page's received stream.
        for name, browser in (("P", "chromium"), ("PF", "firefox")):
            if name in pages:
                result.setdefault("directBy", {})[browser] = {
                    "received": received(first[name], second[name], "receiver"), "sent": sent(first[name], second[name], "sender")}
        if "P" in pages:
            result["direct"] = result["directBy"]["chromium"]
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        if args.impair:
            subprocess.run(["nft", "delete", "table", "inet", "sfu_quality"], capture_output=True)
            unlimit_rate()
        result["console"] = {}
        for kind, browser in browsers.items():
            try:
                browser.quit()
            except Exception as e:
                result["notes"].append(f"{kind} quit: {e!r}")
            result["console"].update({f"{kind}:{k}": v for k, v in console_tail(browser, n=8).items()})
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    sys.exit(main())
