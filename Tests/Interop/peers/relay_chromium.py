#!/usr/bin/env python3
"""Two headless Chromium pages of the demo in one room, both with `iceTransportPolicy: 'relay'`:
every media path goes through the bundled TURN relay of `sfu serve`.

The demo page takes no RTCConfiguration, so this script passes one through the page URL:
`/?room=R&name=N&iceTransportPolicy=relay[&turnTransport=tcp]`. The demo ignores the extra
parameters; HOOK (injected before the page's scripts) reads them and, the moment demo.js
assigns `window.sfuDemo`, sets the client's documented `rtcConfig` option, which the client
reads whenever it creates a peer connection (after `joined`, so in time):
- `iceTransportPolicy=relay` -> `rtcConfig.iceTransportPolicy = 'relay'`.
- `turnTransport=tcp`: sfu-client.js always appends the server's `iceServers` to
  `rtcConfig.iceServers`, so on `joined` the hook moves the joined list's TURN URLs with
  `?transport=tcp` (and their credential) into `rtcConfig.iceServers` and empties the client's
  copy of the server list: the peer connections know only the TCP TURN URL.

Per page: media must flow (video framesDecoded and audio packetsReceived of the other page
growing between two samples 2 s apart) and, per peer connection (publisher, subscriber),
getStats' selected candidate pair is reported with its local and remote candidates, the local
candidates gathered, and the connection's configuration (policy, ICE server URLs). The hook also
counts what the server signalled (trickled candidates per target, `a=candidate` lines in
subscriber offers) by listening on the page's WebSocket. A page the server disconnects ends the
wait at once.
Prints `RESULT {json}`.
"""
import argparse
import sys
import time
import urllib.parse

from room_browser import Browser, console_tail, per_owner, wait_until
from room_chromium import growth, ready
from room_client import emit_result

HOOK = r"""
(() => {
  const q = new URLSearchParams(location.search);
  const policy = q.get('iceTransportPolicy');
  const turnTransport = q.get('turnTransport');
  const hint = q.get('hintSubscriberCandidate');
  const hook = window.__relayHook = { policy, turnTransport, hint, hinted: null, applied: false, joinedIceServers: null, rtcConfig: null };
  // What the server signalled: its trickled candidates per target, and candidates inside the
  // subscriber offers (the evidence when a relayed connection cannot find the SFU).
  const signal = hook.signal = { trickle: { publisher: 0, subscriber: 0 }, endOfCandidates: { publisher: 0, subscriber: 0 },
    subscriberOffers: 0, subscriberOfferCandidates: 0 };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        let m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        if (m && m.type === 'trickle' && m.target in signal.trickle) {
          if (m.candidate) signal.trickle[m.target] += 1; else signal.endOfCandidates[m.target] += 1;
        } else if (m && m.type === 'subscriber-offer') {
          signal.subscriberOffers += 1;
          signal.subscriberOfferCandidates += ((m.sdp || '').match(/^a=candidate:/gm) || []).length;
        }
      });
    }
  };
  let demo;
  Object.defineProperty(window, 'sfuDemo', {
    configurable: true, enumerable: true,
    get() { return demo; },
    set(value) {
      demo = value;
      const c = value && value.client;
      if (!c || !c.options) return;
      const rtc = { ...(c.options.rtcConfig || {}) };
      if (policy) rtc.iceTransportPolicy = policy;
      c.options.rtcConfig = rtc;
      hook.applied = true;
      if (hint) {
        // Diagnostic only (see --hint-subscriber-candidate): a remote candidate for the
        // subscriber connection, so a TURN permission for the SFU's address exists.
        const timer = setInterval(() => {
          const pc = c.subscriber;
          if (!pc || !pc.remoteDescription) return;
          clearInterval(timer);
          const mid = (pc.remoteDescription.sdp.match(/^a=mid:(\S+)/m) || [])[1] || '0';
          const candidate = `candidate:1 1 udp 2015363327 ${hint.split(':')[0]} ${hint.split(':')[1]} typ host`;
          pc.addIceCandidate({ candidate, sdpMid: mid }).then(() => { hook.hinted = candidate; },
            (e) => { hook.hinted = `failed: ${e}`; });
        }, 50);
      }
      c.on('joined', () => {
        const servers = Array.isArray(c.iceServers) ? c.iceServers : [];
        hook.joinedIceServers = JSON.parse(JSON.stringify(servers));
        if (turnTransport) {
          const only = [];
          for (const s of servers) {
            const urls = [].concat(s.urls || []).filter((u) => /^turns?:/.test(u) && u.includes(`transport=${turnTransport}`));
            if (urls.length) only.push({ ...s, urls });
          }
          c.options.rtcConfig = { ...c.options.rtcConfig, iceServers: only };
          c.iceServers = [];  // sfu-client.js appends this (the server's list) to rtcConfig.iceServers
        }
        hook.rtcConfig = { iceTransportPolicy: c.options.rtcConfig.iceTransportPolicy,
          iceServers: (c.options.rtcConfig.iceServers || []).map((s) => ({ urls: s.urls, username: s.username })) };
      });
    },
  });
})();
"""

# Per recorded peer connection: its configuration and getStats' selected candidate pair.
PAIRS = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const c = window.sfuDemo && window.sfuDemo.client;
  const cand = (s) => s ? { id: s.id, candidateType: s.candidateType, protocol: s.protocol, relayProtocol: s.relayProtocol,
    address: s.address || s.ip, port: s.port, url: s.url } : null;
  const pcs = [];
  for (const pc of (window.__pcs || [])) {
    const role = c && pc === c.publisher ? 'publisher' : (c && pc === c.subscriber ? 'subscriber' : 'other');
    const cfg = pc.getConfiguration();
    const e = { role, signaling: pc.signalingState, ice: pc.iceConnectionState, conn: pc.connectionState,
      iceTransportPolicy: cfg.iceTransportPolicy,
      iceServers: (cfg.iceServers || []).map((s) => ({ urls: s.urls, username: s.username })),
      selected: null, localCandidates: [] };
    if (pc.signalingState !== 'closed') {
      const stats = await pc.getStats();
      const byId = new Map();
      stats.forEach((s) => byId.set(s.id, s));
      stats.forEach((s) => {
        if (s.type === 'local-candidate') e.localCandidates.push(cand(s));
        if (s.type === 'transport' && s.selectedCandidatePairId && !e.selected) {
          const p = byId.get(s.selectedCandidatePairId) || {};
          e.selected = { state: p.state, nominated: p.nominated, bytesSent: p.bytesSent, bytesReceived: p.bytesReceived,
            packetsSent: p.packetsSent, packetsReceived: p.packetsReceived,
            local: cand(byId.get(p.localCandidateId)), remote: cand(byId.get(p.remoteCandidateId)) };
        }
      });
    }
    pcs.push(e);
  }
  return { pcs, hook: window.__relayHook || null };
})().then(done, (e) => done({ error: String(e) }));
"""


def page_url(http, room, name, policy, turn_transport, hint=None):
    q = {"room": room, "name": name, "iceTransportPolicy": policy}
    if turn_transport:
        q["turnTransport"] = turn_transport
    if hint:
        q["hintSubscriberCandidate"] = hint
    return f"{http}/?{urllib.parse.urlencode(q)}"


def pairs(b, name):
    b.use(name)
    return b.driver.execute_async_script(PAIRS)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default="relay")
    ap.add_argument("--policy", default="relay", help="rtcConfig.iceTransportPolicy of both pages")
    ap.add_argument("--turn-transport", choices=["udp", "tcp"], default=None,
                    help="keep only the joined TURN URLs with ?transport=THIS (default: all)")
    ap.add_argument("--media-timeout", type=float, default=30.0)
    ap.add_argument("--hint-subscriber-candidate", metavar="ADDR:PORT",
                    help="diagnostic, not used by the tests: add this host candidate to each page's subscriber "
                         "connection, so its TURN allocation gets a permission for ADDR even when the server "
                         "trickles no subscriber candidate (the SFU's own checks then come through)")
    args = ap.parse_args()
    result = {"phase": "start", "notes": []}
    t0 = time.monotonic()
    b = None
    ids, snaps = {}, {}
    names = ("A", "B")
    try:
        b = Browser(args.workdir, label="relay-chromium")
        for n in names:
            # The recorder comes with Browser.open; the hook must be in place before the demo's
            # scripts run, so each page opens blank, gets the hook, then loads the demo.
            b.open(n, "about:blank")
            b.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
            url = page_url(args.http, args.room, n, args.policy, args.turn_transport, args.hint_subscriber_candidate)
            result.setdefault("urls", {})[n] = url
            b.driver.get(url)
        result["phase"] = "pages-opened"

        b.wait_joined(ids, snaps)
        result["ids"] = dict(ids)
        result["phase"] = "joined"

        last_pairs = [0.0]

        def all_ready():
            ok = True
            for n in names:
                snaps[n] = b.snapshot(n)
                if snaps[n].get("state") == "closed":
                    raise RuntimeError(f"page {n} was disconnected: {snaps[n].get('status')}")
                ok = ready(snaps[n], [ids[o] for o in names if o != n]) and ok
            if not ok and time.monotonic() - last_pairs[0] > 2.0:
                # Keep the latest view of the connections while they still exist.
                last_pairs[0] = time.monotonic()
                result["pairsWhileWaiting"] = {n: pairs(b, n) for n in names}
            return ok
        t1 = time.monotonic()
        if not wait_until(all_ready, args.media_timeout, 0.5):
            raise RuntimeError("A and B do not both receive each other's audio and video")
        result.pop("pairsWhileWaiting", None)
        result["readyAfter"] = round(time.monotonic() - t1, 2)
        result["phase"] = "ready"
        result["growth"] = growth(b, list(names), ids, {"A": ["B"], "B": ["A"]})
        result["phase"] = "measured"
        result["pairs"] = {n: pairs(b, n) for n in names}
        result["phase"] = "done"
    except Exception as e:
        result["notes"].append(f"failure: {e!r}")
    finally:
        if b is not None:
            for n in list(b.pages):
                try:
                    snaps[n] = b.snapshot(n)
                    if "pairs" not in result or n not in result["pairs"]:
                        result.setdefault("pairsAtFailure", {})[n] = pairs(b, n)
                except Exception as e:
                    result["notes"].append(f"{n} final snapshot: {e!r}")
            result["views"] = {n: {k: s.get(k) for k in ("state", "me", "participants", "status", "notice", "pcs")}
                               | {"perOwner": per_owner(s)} for n, s in snaps.items() if isinstance(s, dict)}
            b.quit()
            result["console"] = console_tail(b)
        result["elapsed"] = round(time.monotonic() - t0, 2)
        emit_result(result)


if __name__ == "__main__":
    sys.exit(main())
