"""A Python client of the room protocol, version 1 (docs/signaling.md), for the `sfu serve` tests.

- `RoomClient`: one WebSocket connection (package `websockets`), JSON envelopes with `v` and
  `id`, request/reply matching by `id`, a log of every received message (with its arrival
  time) and waiting on predicates over it, the close code and reason.
- Tokens: `cli_token` (`sfu token`), `dev_token` (`GET /dev/token`), `craft_token` (PyJWT, any
  claims, any secret: expired and forged tokens).
- `AiortcParticipant`: a room participant built on aiortc. One RTCPeerConnection publishes
  (aiortc is the offerer, candidates inside the SDP: aiortc does not trickle); a second one
  answers the server's `subscriber-offer`s. Server `trickle` messages go to addIceCandidate.
  Received tracks are consumed (frames counted, audio samples kept) and mapped to the server's
  track and participant ids through the `subscriber-offer` mid map.

Everything here runs inside the test host (network namespace) of the test: the peer scripts
import it, never pytest itself.
"""
import asyncio
import fractions
import itertools
import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

import numpy as np
from av import AudioFrame, VideoFrame
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

PROTOCOL_VERSION = 1
DEV_KEY = "devkey"
DEV_SECRET = "devsecret-change-me-0123456789abcdef"  # docs/operations.md / DevelopmentCredentials
SAMPLE_RATE = 48000
FRAME_SAMPLES = 960  # 20 ms

REPLY_TYPES = {"joined", "published", "ack", "pong", "bye", "error"}


def emit_result(result):
    """The last stdout line of a peer script: RESULT <json>."""
    print("RESULT " + json.dumps(result, default=str), flush=True)


# ------------------------------------------------------------------------------------ tokens

def sfu_bin():
    return os.environ.get("SFU_BIN", "sfu")


def cli_token(room, identity, name=None, ttl=None, no_publish=False, no_subscribe=False,
              api_key=f"{DEV_KEY}:{DEV_SECRET}"):
    """A token from `sfu token` (the documented issuer)."""
    cmd = [sfu_bin(), "token", "--room", room, "--identity", identity, "--api-key", api_key]
    if name:
        cmd += ["--name", name]
    if ttl is not None:
        cmd += ["--ttl", str(ttl)]
    if no_publish:
        cmd.append("--no-publish")
    if no_subscribe:
        cmd.append("--no-subscribe")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=20)
    if p.returncode != 0:
        raise RuntimeError(f"sfu token failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout.strip()


def dev_token(http_base, room, identity, name=None, timeout=5):
    """`GET /dev/token?room=&identity=&name=` (development mode). Accepts JSON or plain text."""
    q = {"room": room, "identity": identity}
    if name:
        q["name"] = name
    with urllib.request.urlopen(f"{http_base}/dev/token?{urllib.parse.urlencode(q)}", timeout=timeout) as r:
        text = r.read().decode().strip()
    if text.startswith("{"):
        return json.loads(text)["token"]
    return text


def craft_token(room, identity, name=None, secret=DEV_SECRET, key=DEV_KEY, exp_in=3600, nbf_in=None,
                grants=None, algorithm="HS256", drop=(), extra=None):
    """An HS256 JWT with the documented claims, signed with any secret (PyJWT)."""
    import jwt
    now = int(time.time())
    claims = {"iss": key, "sub": identity, "room": room, "iat": now, "exp": now + exp_in,
              "grants": grants if grants is not None else {"publish": True, "subscribe": True, "admin": False}}
    if name:
        claims["name"] = name
    if nbf_in is not None:
        claims["nbf"] = now + nbf_in
    for k in drop:
        claims.pop(k, None)
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm=algorithm, headers={"kid": key})


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


# ------------------------------------------------------------------------------ room client

class RoomClosed(Exception):
    pass


class RoomClient:
    """One room-protocol WebSocket connection."""

    _ids = itertools.count(1)

    def __init__(self, url, label="client"):
        self.url = url
        self.label = label
        self.ws = None
        self.messages = []          # every server message, with "_t" (seconds since open)
        self.unparsable = []        # text frames that were not JSON objects
        self.sent = []              # (t, type) of what we sent
        self.handlers = {}          # type -> async fn(msg)
        self.close_code = None
        self.close_reason = None
        self.closed_at = None       # seconds after open
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._reader = None
        self._handler_tasks = set()
        self.handler_errors = []
        self.t0 = time.monotonic()

    async def open(self, timeout=5.0):
        self.t0 = time.monotonic()
        self.ws = await asyncio.wait_for(
            ws_connect(self.url, compression=None, max_size=4 << 20, open_timeout=timeout,
                       close_timeout=2, ping_interval=None), timeout + 1)
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        try:
            async for frame in self.ws:
                try:
                    msg = json.loads(frame)
                    if not isinstance(msg, dict):
                        raise ValueError("not an object")
                except ValueError:
                    self.unparsable.append(frame if isinstance(frame, str) else repr(frame[:200]))
                    continue
                msg["_t"] = round(time.monotonic() - self.t0, 3)
                self.messages.append(msg)
                h = self.handlers.get(msg.get("type"))
                if h is not None:
                    task = asyncio.ensure_future(self._run_handler(h, msg))
                    self._handler_tasks.add(task)
                    task.add_done_callback(self._handler_tasks.discard)
                self._poke()
        except ConnectionClosed:
            pass
        except Exception as e:  # keep going: the close info below still matters
            self.handler_errors.append(f"reader: {e!r}")
        finally:
            self.closed_at = round(time.monotonic() - self.t0, 3)
            rcvd = getattr(self.ws, "close_code", None)
            self.close_code = rcvd
            self.close_reason = getattr(self.ws, "close_reason", None)
            self.closed.set()
            self._poke()

    async def _run_handler(self, h, msg):
        try:
            await h(msg)
        except Exception as e:
            self.handler_errors.append(f"{msg.get('type')} handler: {e!r}")

    def _poke(self):
        self._changed.set()
        self._changed = asyncio.Event()

    def on(self, type_, handler):
        self.handlers[type_] = handler

    # --- sending ----------------------------------------------------------------------------
    async def send(self, obj):
        """Send one message; `v` is added unless present. Returns the id if the message has one."""
        msg = dict(obj)
        msg.setdefault("v", PROTOCOL_VERSION)
        self.sent.append((round(time.monotonic() - self.t0, 3), msg.get("type")))
        await self.ws.send(json.dumps(msg))
        return msg.get("id")

    async def send_raw(self, text):
        self.sent.append((round(time.monotonic() - self.t0, 3), "raw"))
        await self.ws.send(text)

    async def request(self, type_, timeout=10.0, **fields):
        """Send a request with a fresh id; return the reply carrying that id (or None on timeout)."""
        rid = f"{self.label}-{next(self._ids)}"
        start = len(self.messages)
        await self.send({"type": type_, "id": rid, **fields})
        return await self.wait(lambda m: m.get("id") == rid, timeout, since=start)

    # --- waiting ----------------------------------------------------------------------------
    async def wait(self, pred, timeout, since=0):
        """The first message from index `since` matching pred (a type name or a function)."""
        if isinstance(pred, str):
            t = pred
            pred = lambda m: m.get("type") == t  # noqa: E731
        deadline = time.monotonic() + timeout
        i = since
        while True:
            while i < len(self.messages):
                m = self.messages[i]
                i += 1
                if pred(m):
                    return m
            if self.closed.is_set():
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ev = self._changed
            try:
                await asyncio.wait_for(ev.wait(), left)
            except asyncio.TimeoutError:
                pass

    async def wait_closed(self, timeout):
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def of_type(self, type_):
        return [m for m in self.messages if m.get("type") == type_]

    def errors(self):
        return [{k: m.get(k) for k in ("code", "message", "id")} for m in self.of_type("error")]

    # --- protocol shortcuts -----------------------------------------------------------------
    async def join(self, token, timeout=10.0, **extra):
        fields = dict(extra)
        if token is not None:
            fields["token"] = token
        return await self.request("join", timeout=timeout, **fields)

    async def leave(self, timeout=5.0):
        reply = await self.request("leave", timeout=timeout)
        await self.wait_closed(timeout)
        return reply

    async def close(self):
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:
                pass
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 3)
            except Exception:
                pass
        for t in list(self._handler_tasks):
            t.cancel()

    def summary(self, last=25):
        """The client's view, for failure messages."""
        def short(m):
            d = {k: v for k, v in m.items() if k not in ("sdp",)}
            if "sdp" in m:
                d["sdp"] = f"<{len(m['sdp'])} chars>"
            s = json.dumps(d, default=str)
            return s if len(s) < 400 else s[:400] + "…"
        return {
            "label": self.label,
            "closeCode": self.close_code,
            "closeReason": self.close_reason,
            "received": len(self.messages),
            "types": [m.get("type") for m in self.messages][-60:],
            "last": [short(m) for m in self.messages[-last:]],
            "unparsable": self.unparsable[-5:],
            "handlerErrors": self.handler_errors[-5:],
        }


# ----------------------------------------------------------------------------- media tracks

class ToneTrack(MediaStreamTrack):
    """Mono 48 kHz sine, 20 ms frames, paced in real time."""
    kind = "audio"

    def __init__(self, hz=440.0, amplitude=12000):
        super().__init__()
        self.hz = hz
        self.amplitude = amplitude
        self._pts = 0
        self._start = None

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._pts / SAMPLE_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        t = (np.arange(FRAME_SAMPLES) + self._pts) / SAMPLE_RATE
        samples = (np.sin(2 * np.pi * self.hz * t) * self.amplitude).astype(np.int16)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._pts += FRAME_SAMPLES
        return frame


class PatternTrack(MediaStreamTrack):
    """Small moving pattern (160x120), 15 fps, paced in real time: cheap to encode and decode."""
    kind = "video"
    FPS = 15

    def __init__(self, width=160, height=120):
        super().__init__()
        self._n = 0
        self._start = None
        y, x = np.mgrid[0:height, 0:width]
        self._base = np.stack([(x % 256), (y % 256), ((x + y) % 256)], axis=-1).astype(np.uint8)
        self._w = width

    async def recv(self):
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            wait = self._start + self._n / self.FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        img = self._base.copy()
        x = (self._n * 4) % (self._w - 10)
        img[:, x:x + 10] = 255
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = self._n * (90000 // self.FPS)
        frame.time_base = fractions.Fraction(1, 90000)
        self._n += 1
        return frame


def dominant_frequency(samples, rate=SAMPLE_RATE):
    """(Hz of the strongest spectral peak above 30 Hz, RMS), Hann window, parabolic interpolation."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < rate // 4:
        return None, 0.0
    x = x - x.mean()
    rms = float(np.sqrt(np.mean(x * x)))
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    spec[freqs < 30] = 0
    k = int(np.argmax(spec))
    off = 0.0
    if 0 < k < len(spec) - 1:
        a, b, c = spec[k - 1], spec[k], spec[k + 1]
        denom = a - 2 * b + c
        off = 0.5 * (a - c) / denom if denom else 0.0
    return float((k + off) * rate / len(x)), rms


def bundle_mid(sdp):
    for line in (sdp or "").splitlines():
        if line.startswith("a=group:BUNDLE"):
            parts = line.split()[1:]
            if parts:
                return parts[0]
    for line in (sdp or "").splitlines():
        if line.startswith("a=mid:"):
            return line[6:].strip()
    return None


# --------------------------------------------------------------------- aiortc participant

TRANSPORT_ATTRS = ("a=ice-ufrag:", "a=ice-pwd:", "a=fingerprint:", "a=setup:", "a=rtcp-mux")


def split_sdp(sdp):
    """(session lines, [media section lines]) without empty lines."""
    session, sections = [], []
    for line in sdp.replace("\r\n", "\n").split("\n"):
        if not line:
            continue
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return session, sections


def is_stopped(section):
    parts = section[0].split()
    return len(parts) > 1 and parts[1] == "0"


def section_mid(section):
    for line in section:
        if line.startswith("a=mid:"):
            return line[6:].strip()
    return None


def reject_mids(sdp, mids):
    """Port 0 for the m-lines of `mids` in an answer, and out of its BUNDLE group."""
    if not mids:
        return sdp
    session, sections = split_sdp(sdp)
    out = []
    for line in session:
        if line.startswith("a=group:BUNDLE"):
            items = [x for x in line.split()[1:] if x not in mids]
            line = "a=group:BUNDLE " + " ".join(items) if items else None
        if line:
            out.append(line)
    for sec in sections:
        if section_mid(sec) in mids:
            parts = sec[0].split()
            parts[1] = "0"
            sec = [" ".join(parts)] + sec[1:]
        out.extend(sec)
    return "\r\n".join(out) + "\r\n"


def _rtc_config():
    # No STUN server: aiortc's default (a public STUN server) is unreachable in a test host and
    # would only slow gathering down.
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class AiortcParticipant:
    """A room participant on aiortc: publisher and subscriber RTCPeerConnections."""

    def __init__(self, url, token, label, keep_audio_seconds=4.0):
        self.client = RoomClient(url, label)
        self.token = token
        self.label = label
        self.joined = None
        self.participant_id = None
        self.pub = None
        self.sub = None
        self.sub_map = {}               # mid -> {trackId, participantId, kind}
        self.sub_version = 0
        self.sub_answers = 0
        self.sub_errors = []
        self.notes = []
        self.frames = {}                # trackId (or "mid:X") -> frames decoded
        self.kinds = {}                 # trackId -> kind
        self.owners = {}                # trackId -> participantId
        self.audio = {}                 # trackId -> list of sample arrays (last keep_audio_seconds)
        self.keep_samples = int(keep_audio_seconds * SAMPLE_RATE)
        self.server_states = []         # (target, state)
        self._sub_lock = asyncio.Lock()
        self._pending = {"publisher": [], "subscriber": []}
        self._consumers = []
        self.published = None

    # --- lifecycle --------------------------------------------------------------------------
    async def join(self, timeout=10.0):
        await self.client.open()
        self.client.on("subscriber-offer", self._on_subscriber_offer)
        self.client.on("trickle", self._on_trickle)
        self.client.on("connection-state", self._on_connection_state)
        reply = await self.client.join(self.token, timeout=timeout)
        self.joined = reply
        if reply and reply.get("type") == "joined":
            self.participant_id = reply.get("participantId")
        return reply

    async def publish(self, tracks, timeout=10.0, munge=None, prepare=None):
        """Offer `tracks` on the publisher connection; returns the reply (`published` or `error`).
        `prepare(pc)` may add transceivers of its own; `munge(sdp)` edits the offer sent."""
        if self.pub is None:
            self.pub = RTCPeerConnection(_rtc_config())
        if prepare:
            prepare(self.pub)
        for t in tracks:
            self.pub.addTrack(t)
        await self.pub.setLocalDescription(await self.pub.createOffer())
        sdp = self.pub.localDescription.sdp
        if munge:
            sdp = munge(sdp)
        reply = await self.client.request("publish", timeout=timeout, sdp=sdp)
        if reply and reply.get("type") == "published":
            await self.pub.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
            self.published = reply
            await self._flush("publisher")
        return reply

    async def leave(self, timeout=5.0):
        reply = None
        if not self.client.closed.is_set():
            try:
                reply = await self.client.leave(timeout)
            except Exception as e:
                self.notes.append(f"leave: {e!r}")
        await self.close()
        return reply

    async def close(self):
        await self.client.close()
        for pc in (self.pub, self.sub):
            if pc is not None:
                try:
                    await asyncio.wait_for(pc.close(), 5)
                except Exception as e:
                    self.notes.append(f"pc.close: {e!r}")
        for c in self._consumers:
            c.cancel()

    # --- server messages --------------------------------------------------------------------
    async def _on_connection_state(self, msg):
        self.server_states.append((msg.get("target"), msg.get("state")))

    async def _on_subscriber_offer(self, msg):
        async with self._sub_lock:
            version = msg.get("version")
            if not isinstance(version, int) or version <= self.sub_version:
                self.notes.append(f"subscriber-offer version {version!r} not above {self.sub_version}: ignored")
                return
            if self.sub is None:
                self.sub = RTCPeerConnection(_rtc_config())
                self.sub.on("track", self._on_track)
            for t in msg.get("tracks") or []:
                self.owners[t.get("trackId")] = t.get("participantId")
                self.kinds[t.get("trackId")] = t.get("kind")
            self.sub_map = {t.get("mid"): t for t in (msg.get("tracks") or [])}
            try:
                offer, stopped = self._offer_for_aiortc(msg["sdp"])
                await self.sub.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
                await self.sub.setLocalDescription(await self.sub.createAnswer())
                answer = reject_mids(self.sub.localDescription.sdp, stopped)
            except Exception as e:
                self.sub_errors.append(f"v{version}: {e!r}")
                if os.environ.get("ROOM_DUMP_SDP"):
                    with open(os.environ["ROOM_DUMP_SDP"], "a") as f:
                        f.write(f"--- v{version} offer\n{msg['sdp']}\n")
                return
            self.sub_version = version
            reply = await self.client.request("subscriber-answer", sdp=answer, version=version)
            self.sub_answers += 1
            if not reply or reply.get("type") != "ack":
                self.sub_errors.append(f"subscriber-answer v{version}: {reply!r}")
            await self._flush("subscriber")

    def _offer_for_aiortc(self, sdp):
        """aiortc 1.16 knows no stopped m-lines (RFC 8829 5.2.2: port 0, outside BUNDLE, no
        transport attributes, here not even an rtpmap): it wants ICE credentials, a fingerprint,
        rtcp-mux and a known codec on every m-line and refuses the whole offer otherwise. So a
        stopped m-line is replaced, for aiortc only, by the last full section seen for its mid,
        made inactive and without its stream (msid, ssrc); `reject_mids` puts port 0 back into
        the answer the server gets. Returns (sdp for aiortc, stopped mids)."""
        session, sections = split_sdp(sdp)
        cache = self.__dict__.setdefault("_sections", {})
        transport = [l for l in session if l.startswith(TRANSPORT_ATTRS)]
        for sec in sections:
            if not is_stopped(sec):
                cache[section_mid(sec)] = sec
                transport = transport or [l for l in sec if l.startswith(TRANSPORT_ATTRS)]
        if transport:
            self._transport_attrs = transport
        transport = getattr(self, "_transport_attrs", [])
        stopped = []
        out = list(session)
        for sec in sections:
            if is_stopped(sec):
                mid = section_mid(sec)
                stopped.append(mid)
                old = cache.get(mid)
                if old:
                    sec = [l for l in old if not l.startswith(("a=msid:", "a=ssrc", "a=sendonly", "a=sendrecv",
                                                               "a=recvonly", "a=inactive") + TRANSPORT_ATTRS)]
                    sec = sec + ["a=inactive"] + transport
            out.extend(sec)
        return "\r\n".join(out) + "\r\n", [m for m in stopped if m is not None]

    def _on_track(self, track):
        mid = None
        for tr in self.sub.getTransceivers():
            if tr.receiver.track is track:
                mid = tr.mid
        self._consumers.append(asyncio.ensure_future(self._consume(track, mid)))

    async def _consume(self, track, mid):
        try:
            while True:
                frame = await track.recv()
                info = self.sub_map.get(mid) or {}
                key = info.get("trackId") or f"mid:{mid}"
                self.frames[key] = self.frames.get(key, 0) + 1
                if track.kind == "audio":
                    arr = frame.to_ndarray().reshape(-1)
                    ch = len(frame.layout.channels)
                    buf = self.audio.setdefault(key, [])
                    buf.append(arr[::ch].copy() if ch > 1 else arr.copy())
                    while sum(len(b) for b in buf) > self.keep_samples + FRAME_SAMPLES * 2:
                        buf.pop(0)
        except MediaStreamError:
            pass
        except Exception as e:
            self.notes.append(f"{track.kind} consumer: {e!r}")

    async def _on_trickle(self, msg):
        target = msg.get("target")
        if target not in self._pending:
            self.notes.append(f"trickle with target {target!r}")
            return
        self._pending[target].append(msg.get("candidate"))
        await self._flush(target)

    async def _flush(self, target):
        pc = self.pub if target == "publisher" else self.sub
        if pc is None or pc.remoteDescription is None:
            return
        mid = bundle_mid(pc.remoteDescription.sdp)
        pending, self._pending[target] = self._pending[target], []
        for cand in pending:
            try:
                if not cand:
                    await pc.addIceCandidate(None)
                    continue
                c = candidate_from_sdp(cand.split(":", 1)[1] if cand.startswith("candidate:") else cand)
                c.sdpMid = mid
                c.sdpMLineIndex = 0
                await pc.addIceCandidate(c)
            except Exception as e:
                self.notes.append(f"addIceCandidate({target}, {cand!r}): {e!r}")

    # --- views ------------------------------------------------------------------------------
    def frames_from(self, participant_id, kind=None):
        return sum(n for tid, n in self.frames.items()
                   if self.owners.get(tid) == participant_id and (kind is None or self.kinds.get(tid) == kind))

    def audio_samples(self, track_id):
        buf = self.audio.get(track_id) or []
        return np.concatenate(buf) if buf else np.zeros(0)

    def summary(self):
        return {
            "label": self.label,
            "participantId": self.participant_id,
            "subVersion": self.sub_version,
            "subAnswers": self.sub_answers,
            "subErrors": self.sub_errors[-5:],
            "subMap": self.sub_map,
            "frames": self.frames,
            "serverStates": self.server_states[-10:],
            "pubState": self.pub.connectionState if self.pub else None,
            "subState": self.sub.connectionState if self.sub else None,
            "notes": self.notes[-10:],
            "client": self.client.summary(),
        }
