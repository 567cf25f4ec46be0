#!/usr/bin/env python3
"""Capture headless Chromium offers as SDP fixtures.

Run inside a network namespace (ICE gathering happens in setLocalDescription):
  ip netns exec sdpcap python3 capture_chromium.py OUTDIR
"""
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

# Each script resolves with the offer SDP after setLocalDescription and ICE gathering.
GATHER = """
async function gathered(pc) {
  await pc.setLocalDescription(await pc.createOffer(arguments[0] || {}));
  if (pc.iceGatheringState !== 'complete') {
    await new Promise(r => {
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') r(); });
      setTimeout(r, 3000);
    });
  }
  return pc.localDescription.sdp;
}
"""

CASES = {
    "chromium-audio-video-sendrecv.sdp": """
const pc = new RTCPeerConnection();
const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
s.getTracks().forEach(t => pc.addTrack(t, s));
return await gathered(pc);
""",
    "chromium-simulcast.sdp": """
const pc = new RTCPeerConnection();
const s = await navigator.mediaDevices.getUserMedia({video: {width: 1280, height: 720}});
pc.addTransceiver(s.getVideoTracks()[0], {direction: 'sendonly', streams: [s], sendEncodings: [
  {rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h', scaleResolutionDownBy: 2}, {rid: 'f'}]});
return await gathered(pc);
""",
    "chromium-ice-restart.sdp": """
const pc = new RTCPeerConnection();
const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
s.getTracks().forEach(t => pc.addTrack(t, s));
const first = await gathered(pc);
// Complete the first exchange with a loopback answerer so a re-offer is allowed.
const pc2 = new RTCPeerConnection();
await pc2.setRemoteDescription({type: 'offer', sdp: first});
await pc2.setLocalDescription(await pc2.createAnswer());
await pc.setRemoteDescription(pc2.localDescription);
await pc.setLocalDescription(await pc.createOffer({iceRestart: true}));
await new Promise(r => setTimeout(r, 1500));
return pc.localDescription.sdp;
""",
    "chromium-recvonly.sdp": """
const pc = new RTCPeerConnection();
pc.addTransceiver('audio', {direction: 'recvonly'});
pc.addTransceiver('video', {direction: 'recvonly'});
return await gathered(pc);
""",
    "chromium-datachannel.sdp": """
const pc = new RTCPeerConnection();
const s = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
s.getTracks().forEach(t => pc.addTrack(t, s));
pc.createDataChannel('chat');
return await gathered(pc);
""",
}


def main(outdir):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for f in FLAGS:
        opts.add_argument(f)
    driver = webdriver.Chrome(options=opts, service=Service("/usr/bin/chromedriver"))
    try:
        driver.set_script_timeout(30)
        # getUserMedia needs a secure context; a file: page is one, a data: URL is not.
        page = "/tmp/sdp-capture.html"
        with open(page, "w") as f:
            f.write("<html><body>sdp</body></html>")
        driver.get("file://" + page)
        for name, body in CASES.items():
            script = "const done = arguments[arguments.length - 1];" + GATHER + \
                "(async () => {" + body + "})().then(done, e => done('ERROR ' + e));"
            sdp = driver.execute_async_script(script)
            if sdp.startswith("ERROR"):
                raise SystemExit(f"{name}: {sdp}")
            with open(f"{outdir}/{name}", "w", newline="") as f:
                f.write(sdp)
            print("wrote", name)
    finally:
        driver.quit()


main(sys.argv[1] if len(sys.argv) > 1 else ".")
