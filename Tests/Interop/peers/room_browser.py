"""Headless Chromium pages on the demo page of `sfu serve` (selenium + chromedriver).

`Browser` is one Chromium process (via chromedriver) whose pages are separate windows, each with
a recorder injected by CDP `Page.addScriptToEvaluateOnNewDocument` before the page's own
scripts: it keeps every RTCPeerConnection the page creates in `window.__pcs`. `snapshot()`
reads a page's view: the demo's state and participants, the remote tiles, and inbound-rtp stats
of every recorded peer connection, each attributed to the participant that owns the track (via
the client's `remoteTracks`).
"""
import argparse
import json
import os
import signal
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

FLAGS = [
    "--headless=new", "--no-sandbox", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
    # Several pages in one browser: none of them may be throttled as a background page.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows", "--window-size=640,480",
]

RECORDER = r"""
(() => {
  const Native = window.RTCPeerConnection;
  if (!Native || Native.__recorded) return;
  window.__pcs = [];
  class Recorded extends Native {
    constructor(...args) { super(...args); window.__pcs.push(this); }
  }
  Recorded.__recorded = true;
  window.RTCPeerConnection = Recorded;
})();
"""

SNAPSHOT = r"""
const done = arguments[arguments.length - 1];
(async () => {
  const demo = window.sfuDemo;
  const c = demo && demo.client;
  const owner = {};
  if (c && c.remoteTracks) {
    for (const [trackId, rt] of c.remoteTracks) {
      if (rt && rt.track) owner[rt.track.id] = { participantId: rt.participantId, trackId, kind: rt.kind };
    }
  }
  const inbound = [];
  const pcs = window.__pcs || [];
  for (const pc of pcs) {
    if (pc.signalingState === 'closed') continue;
    let stats;
    try { stats = await pc.getStats(); } catch (e) { continue; }
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const o = owner[s.trackIdentifier] || {};
      inbound.push({ kind: s.kind, mid: s.mid, trackIdentifier: s.trackIdentifier,
        packetsReceived: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0,
        owner: o.participantId || null, trackId: o.trackId || null,
        subscriber: !!(c && pc === c.subscriber) });
    });
  }
  let participants = null;
  try { participants = demo ? demo.participants() : null; } catch (e) { participants = String(e); }
  return {
    t: Date.now(),
    state: demo ? demo.state : null,
    clientState: c ? c.state : null,
    me: c ? c.participantId : null,
    participants,
    tiles: [...document.querySelectorAll('#tiles li.remote')].map((li) => li.dataset.participantId),
    status: (document.getElementById('status') || {}).textContent,
    notice: (document.getElementById('notice') || {}).textContent,
    pcs: pcs.map((pc) => ({ signaling: pc.signalingState, ice: pc.iceConnectionState, conn: pc.connectionState })),
    inbound,
  };
})().then(done, (e) => done({ error: String(e) }));
"""

# Light enough to poll every 100 ms: is participant `gone` still visible on this page?
PRESENCE = r"""
const gone = arguments[0];
const demo = window.sfuDemo;
const listed = demo ? demo.participants().some((p) => p.id === gone) : null;
const tile = !!document.getElementById('tile-' + gone);
return { listed, tile };
"""


def per_owner(snap):
    """{participantId: {"video": framesDecoded, "audio": packetsReceived}} from a snapshot."""
    out = {}
    for s in (snap or {}).get("inbound") or []:
        if not s.get("owner"):
            continue
        d = out.setdefault(s["owner"], {"video": 0, "audio": 0})
        if s["kind"] == "video":
            d["video"] += s.get("framesDecoded") or 0
        elif s["kind"] == "audio":
            d["audio"] += s.get("packetsReceived") or 0
    return out


class Browser:
    def __init__(self, workdir, label="chromium"):
        self.workdir = workdir
        self.label = label
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for f in FLAGS:
            opts.add_argument(f)
        opts.add_argument(f"--user-data-dir={os.path.join(workdir, label + '-profile')}")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.service = Service("/usr/bin/chromedriver", log_output=os.path.join(workdir, label + "-chromedriver.log"))
        self.driver = webdriver.Chrome(options=opts, service=self.service)
        self.driver.set_script_timeout(15)
        self.driver.set_page_load_timeout(20)
        self.pages = {}       # name -> window handle
        self._first = True
        self.console = {}     # name -> console lines

    def open(self, name, url):
        d = self.driver
        if self._first:
            self._first = False
        else:
            d.switch_to.new_window("window")
        self.pages[name] = d.current_window_handle
        d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORDER})
        d.get(url)

    def use(self, name):
        if self.driver.current_window_handle != self.pages[name]:
            self.driver.switch_to.window(self.pages[name])

    def snapshot(self, name):
        self.use(name)
        return self.driver.execute_async_script(SNAPSHOT)

    def wait_joined(self, ids, snaps, timeout=20):
        """Waits until every open page knows its own participant id; fills `ids` (page -> id) and
        `snaps` (page -> its latest snapshot) for the pages that have joined, and raises
        RuntimeError if some page has not within `timeout` seconds."""
        def all_joined():
            for n in self.pages:
                if n not in ids:
                    s = self.snapshot(n)
                    snaps[n] = s
                    if s.get("me"):
                        ids[n] = s["me"]
            return all(n in ids for n in self.pages)
        if not wait_until(all_joined, timeout):
            raise RuntimeError(f"not every page joined: ids {ids}")

    def presence(self, name, participant_id):
        self.use(name)
        return self.driver.execute_script(PRESENCE, participant_id)

    def click(self, name, element_id):
        self.use(name)
        self.driver.find_element(By.ID, element_id).click()

    def close_page(self, name):
        self.use(name)
        self.collect_console(name)
        self.driver.close()
        del self.pages[name]
        if self.pages:
            self.driver.switch_to.window(next(iter(self.pages.values())))

    def collect_console(self, name):
        try:
            self.use(name)
            lines = [f"{e.get('timestamp', 0) / 1000:.3f} {e.get('level')} {e.get('message')}" for e in self.driver.get_log("browser")]
            self.console.setdefault(name, []).extend(lines)
        except Exception as e:
            self.console.setdefault(name, []).append(f"(console unavailable: {e!r})")

    def browser_pids(self):
        """Every process under chromedriver (Chromium's browser, renderers, utilities)."""
        root = self.service.process.pid
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], list(children.get(root, []))
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def kill_hard(self):
        """SIGKILL every Chromium process at once: no WebSocket close frame, no DTLS close_notify,
        no pagehide. Returns the pids killed."""
        pids = self.browser_pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return pids

    def quit(self):
        for name in list(self.pages):
            self.collect_console(name)
        try:
            self.driver.quit()
        except Exception:
            pass


def console_tail(browser, n=15):
    return {k: v[-n:] for k, v in browser.console.items()}


def peer_arguments(room):
    """The arguments the test harness gives every browser peer (conftest's run_peer), and
    `--room` (default `room`); the peer adds its own."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--ws", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--server-pid")
    ap.add_argument("--room", default=room)
    return ap


def finish(result, browser, started, emit, cleanup=None):
    """The end of a peer's run, whatever happened: `cleanup`, the browser closed with the tail
    of its console in `result`, the elapsed time, and `result` printed by `emit`."""
    if cleanup:
        cleanup()
    if browser is not None:
        browser.quit()
        result["console"] = console_tail(browser, n=8)
    result["elapsed"] = round(time.monotonic() - started, 2)
    emit(result)


def dumps(x):
    return json.dumps(x, default=str)


def wait_until(fn, timeout, interval=0.5):
    """Calls fn() until it returns a truthy value or the timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def video_layers(http, room, participant_id):
    """The layers of `participant_id`'s video track as the SFU's /stats shows them (a list of
    dicts; [] without a video track), or {"error": ...} when /stats does not answer."""
    try:
        with urllib.request.urlopen(f"{http}/stats/rooms/{room}", timeout=2) as response:
            stats = json.load(response)
    except Exception as e:
        return {"error": repr(e)}
    for p in stats.get("participants", []):
        if p.get("id") == participant_id:
            for track in p.get("tracks", []):
                if track.get("kind") == "video":
                    return track.get("layers") or []
    return []
