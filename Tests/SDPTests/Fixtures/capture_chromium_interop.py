#!/usr/bin/env python3
"""Check our SDP against Chromium, both ways.

1. Chromium offers (audio+video, simulcast, data channel); the SDP test binary answers
   (InteropTests.answerOfferFromEnvironment); Chromium must accept the answer.
2. The test binary writes an OfferBuilder offer (InteropTests.writeSFUOffer); Chromium answers
   it; offer and answer are saved under interop/ for InteropTests.chromiumAnswerToOurOffer.

Gathers ICE candidates, so run inside a network namespace:
  ip netns exec sdpcap python3 capture_chromium_interop.py TEST_BINARY OUTDIR
"""
import os
import subprocess
import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

BINARY, OUTDIR = sys.argv[1], sys.argv[2]


def run_test(name, env):
    subprocess.run([BINARY, "--testing-library", "swift-testing", "--filter", name],
                   env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)


OFFERS = {
    "audio-video": "const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});"
                   "s.getTracks().forEach(t => pc.addTrack(t, s));",
    "simulcast": "const s = await navigator.mediaDevices.getUserMedia({video: {width: 1280, height: 720}});"
                 "pc.addTransceiver(s.getVideoTracks()[0], {direction: 'sendonly', sendEncodings: ["
                 "{rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});",
    "datachannel": "const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});"
                   "s.getTracks().forEach(t => pc.addTrack(t, s)); pc.createDataChannel('x');",
}

opts = webdriver.ChromeOptions()
opts.binary_location = "/usr/bin/chromium"
for f in ["--headless=new", "--no-sandbox", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]:
    opts.add_argument(f)
driver = webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))
failures = 0
try:
    driver.set_script_timeout(30)
    page = "/tmp/sdp-interop.html"
    with open(page, "w") as f:
        f.write("<html><body>interop</body></html>")
    driver.get("file://" + page)
    tmp = tempfile.mkdtemp()
    for name, setup in OFFERS.items():
        offer = driver.execute_async_script(
            "const done = arguments[arguments.length - 1]; (async () => { window.pc = new RTCPeerConnection(); "
            + setup + " await pc.setLocalDescription(await pc.createOffer()); return pc.localDescription.sdp; })()"
            ".then(done, e => done('ERROR ' + e));")
        offer_path, answer_path = f"{tmp}/{name}-offer.sdp", f"{tmp}/{name}-answer.sdp"
        with open(offer_path, "w", newline="") as f:
            f.write(offer)
        run_test("answerOfferFromEnvironment", {"SDP_INTEROP_OFFER": offer_path, "SDP_INTEROP_ANSWER": answer_path})
        answer = open(answer_path, newline="").read()
        result = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "pc.setRemoteDescription({type: 'answer', sdp: arguments[0]}).then(() => done("
            "'ok ' + pc.signalingState + ' ' + pc.getTransceivers().map(t => t.currentDirection).join(',')),"
            " e => done('ERROR ' + e));", answer)
        print(name, result)
        failures += result.startswith("ERROR")

    sfu_offer_path = f"{OUTDIR}/interop/sfu-offer.sdp"
    os.makedirs(f"{OUTDIR}/interop", exist_ok=True)
    run_test("writeSFUOffer", {"SDP_INTEROP_SFU_OFFER": sfu_offer_path})
    answer = driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; (async () => { const pc = new RTCPeerConnection();"
        "await pc.setRemoteDescription({type: 'offer', sdp: arguments[0]});"
        "await pc.setLocalDescription(await pc.createAnswer()); return pc.localDescription.sdp; })()"
        ".then(done, e => done('ERROR ' + e));", open(sfu_offer_path, newline="").read())
    print("sfu-offer", answer[:40].replace("\r\n", " | "))
    failures += answer.startswith("ERROR")
    if not answer.startswith("ERROR"):
        with open(f"{OUTDIR}/interop/chromium-answer-to-sfu-offer.sdp", "w", newline="") as f:
            f.write(answer)
finally:
    driver.quit()
sys.exit(1 if failures else 0)
