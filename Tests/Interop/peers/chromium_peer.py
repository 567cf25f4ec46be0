#!/usr/bin/env python3
"""Headless Chromium against one `sfu probe` (run inside a test host network namespace).

Serves chromium_page.html from a Python http.server on 127.0.0.1 (a secure context for
getUserMedia), drives the page with selenium: getUserMedia audio+video, offer to the probe
(started with --trickle), answer back, candidates trickled both ways. Then polls getStats until
DTLS is connected and the echoed media arrives (audio packets, decoded video frames), asks the
probe for stats and closes. The last stdout line is `RESULT {json}`.
"""
import argparse
import functools
import http.server
import os
import shlex
import socket
import socketserver
import sys
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from probe_client import PROBE_MISSING_EXIT, ProbeClient, ProbeMissing, emit_result, payload_types

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = [
    "--headless=new", "--no-sandbox", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
]


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind looks up its own name (getfqdn): slow with no DNS. Skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def serve():
    httpd = QuietServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=HERE))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    deadline = time.monotonic() + 15
    while True:  # wait for the port, not a fixed time
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return httpd, port
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("http server did not come up")
            time.sleep(0.05)


def call(driver, fn, *args):
    """Await page function fn(*args) and return its value; raise on a rejected promise."""
    script = ("const done = arguments[arguments.length - 1];"
              f"Promise.resolve().then(() => {fn}(...Array.from(arguments).slice(0, -1)))"
              ".then(v => done({ok: v === undefined ? null : v}), e => done({err: String(e)}));")
    r = driver.execute_async_script(script, *args)
    if r is None or "err" in r:
        raise RuntimeError(f"{fn}: {r and r.get('err')}")
    return r["ok"]


def good_enough(s):
    tr = s.get("transports") or []
    inbound = s.get("inbound") or []
    audio = [x for x in inbound if x.get("kind") == "audio"]
    video = [x for x in inbound if x.get("kind") == "video"]
    return (any(t.get("dtlsState") == "connected" for t in tr)
            and any((x.get("packetsReceived") or 0) > 0 for x in audio)
            and any((x.get("framesDecoded") or 0) > 0 for x in video))


def frames_decoded(s):
    return sum((x.get("framesDecoded") or 0) for x in (s or {}).get("inbound", []) if x.get("kind") == "video")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--probe-args", default="")
    ap.add_argument("--media-timeout", type=float, default=25.0)
    ap.add_argument("--extra-seconds", type=float, default=2.0)
    ap.add_argument("--ice-restart", action="store_true", help="after media flows, restart ICE and check it keeps flowing")
    args = ap.parse_args()
    result = {"peer": "chromium", "phase": "start", "notes": []}
    t0 = time.monotonic()
    try:
        probe = ProbeClient(["--trickle", *shlex.split(args.probe_args)], os.path.join(args.workdir, "probe.stderr"))
    except ProbeMissing as e:
        result["error"] = f"probe missing: {e}"
        emit_result(result)
        sys.exit(PROBE_MISSING_EXIT)

    driver = None
    httpd = None
    answered = False
    try:
        httpd, port = serve()
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for f in FLAGS:
            opts.add_argument(f)
        opts.add_argument(f"--user-data-dir={os.path.join(args.workdir, 'chromium-profile')}")
        service = Service("/usr/bin/chromedriver", log_output=os.path.join(args.workdir, "chromedriver.log"))
        driver = webdriver.Chrome(options=opts, service=service)
        driver.set_script_timeout(20)
        driver.set_page_load_timeout(20)
        driver.get(f"http://127.0.0.1:{port}/chromium_page.html")
        result["phase"] = "page-loaded"

        offer = call(driver, "start")
        result["offerPayloadTypes"] = {"opus": payload_types(offer, "opus"), "vp8": payload_types(offer, "VP8")}
        sent_candidates = []
        received_candidates = []
        answer_ufrags = []
        early = []  # candidates the probe sent before its answer, applied after it

        def exchange(offer_sdp, done, timeout):
            """Sends an offer, then relays answer and candidates both ways until done(summary)."""
            nonlocal answered
            answered = False
            probe.send({"type": "offer", "sdp": offer_sdp})
            deadline = time.monotonic() + timeout
            next_stats = 0.0
            summary = None
            while time.monotonic() < deadline and not probe.finished:
                while (msg := (early.pop(0) if answered and early else probe.poll())) is not None:
                    t = msg["type"]
                    if t == "answer" and not answered:
                        call(driver, "setAnswer", msg["sdp"])
                        answered = True
                        ufrags = {l.split(":", 1)[1].strip() for l in msg["sdp"].splitlines()
                                  if l.startswith("a=ice-ufrag:")}
                        answer_ufrags.append(sorted(ufrags)[0] if len(ufrags) == 1 else sorted(ufrags))
                    elif t in ("candidate", "end-of-candidates") and not answered:
                        early.append(msg)
                    elif t == "candidate":
                        c = {"candidate": msg["candidate"], "sdpMid": msg.get("sdpMid"),
                             "sdpMLineIndex": msg.get("sdpMLineIndex")}
                        try:
                            call(driver, "addCandidate", c)
                            received_candidates.append(msg["candidate"])
                        except RuntimeError as e:
                            result["notes"].append(str(e))
                    elif t == "end-of-candidates":
                        try:
                            call(driver, "addCandidate", None)
                        except RuntimeError as e:
                            result["notes"].append(str(e))
                for c in driver.execute_script("return takeCandidates();"):
                    if c is None:
                        probe.send({"type": "end-of-candidates"})
                        sent_candidates.append(None)
                    else:
                        probe.send({"type": "candidate", "candidate": c["candidate"], "sdpMid": c["sdpMid"]})
                        sent_candidates.append(c["candidate"])
                if answered and time.monotonic() >= next_stats:
                    next_stats = time.monotonic() + 0.5
                    summary = call(driver, "summary")
                    if done(summary):
                        return summary, True
                time.sleep(0.1)
            return summary, False

        result["phase"] = "offer-sent"
        last, ok = exchange(offer, good_enough, args.media_timeout)
        if ok:
            result["phase"] = "media-flowing"
            result["mediaAfter"] = round(time.monotonic() - t0, 3)
        if ok and args.ice_restart:
            before = frames_decoded(last)
            result["restart"] = {"framesBefore": before}
            restart_offer = call(driver, "restart")
            last, ok = exchange(restart_offer, lambda s: frames_decoded(s) >= before + 30, args.media_timeout)
            result["restart"].update({"framesAfter": frames_decoded(last), "mediaContinued": ok,
                                      "states": (last or {}).get("states")})
            result["phase"] = "restarted" if ok else "restart-stalled"
        result["answerUfrags"] = answer_ufrags
        result["candidatesSentToProbe"] = sent_candidates
        result["candidatesFromProbe"] = received_candidates
        if result["phase"] in ("media-flowing", "restarted"):
            time.sleep(args.extra_seconds)
            last = call(driver, "summary")
            result["statsRequested"] = probe.request_stats(5.0)
        result["chrome"] = last
        if last and last.get("transports"):
            result["srtpCipher"] = last["transports"][0].get("srtpCipher")
            result["dtlsCipher"] = last["transports"][0].get("dtlsCipher")
    except Exception as e:
        result["notes"].append(f"peer failure: {e!r}")
    finally:
        probe.close(10.0)
        if driver is not None:
            try:
                driver.quit()
            except Exception as e:
                result["notes"].append(f"driver.quit: {e!r}")
        if httpd is not None:
            httpd.shutdown()
        result["probe"] = probe.summary()
        result["elapsed"] = round(time.monotonic() - t0, 3)
        emit_result(result)


if __name__ == "__main__":
    main()
