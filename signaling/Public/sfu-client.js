/**
 * sfu-client.js: browser client for the swift-sfu room protocol, version 1
 * (docs/signaling.md, "Room protocol, version 1"). A plain ES module: no build step, no
 * dependencies, modern browsers.
 *
 * @example
 *   import { SFUClient } from '/sfu-client.js';
 *   const client = new SFUClient();
 *   client.on('track-added', ({ participantId, track }) => attach(participantId, track));
 *   client.on('track-removed', ({ trackId, participantId }) => detach(participantId, trackId));
 *   client.on('participant-left', ({ participantId }) => removeTile(participantId));
 *   await client.connect({ url: '/ws', token });            // resolves on `joined`
 *   const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
 *   for (const t of media.getTracks()) client.publish(t);   // one `publish` offer per batch
 *   await client.setMuted(media.getAudioTracks()[0], true);  // `mute` + track.enabled = false
 *   await client.leave();
 *
 * ## Construction
 * `new SFUClient(options)`; all options are optional:
 * - `pingInterval` (ms, 15000): how often `ping` is sent.
 * - `pongTimeout` (ms, 10000): a `ping` without `pong` in this time closes the WebSocket
 *   (and so starts a reconnection). Half-open TCP connections are found this way.
 * - `reconnect`: `{maxAttempts: 30, baseDelay: 250, maxDelay: 5000, openTimeout: 5000,
 *   joinTimeout: 10000}`; `false` disables reconnection. Delays double from `baseDelay` up
 *   to `maxDelay`; each is drawn uniformly from [delay/2, delay] (jitter).
 * - `disconnectedGrace` (ms, 2000): how long a peer connection may stay ICE `disconnected`
 *   before the client restarts ICE (`failed` restarts at once).
 * - `rtcConfig`: extra RTCConfiguration fields (the server's `iceServers` are added;
 *   `bundlePolicy` is always `max-bundle`, `rtcpMuxPolicy` `require`).
 * - `log`: a function `(level, ...args)` for diagnostics (default: none).
 *
 * ## Methods
 * - `connect({url, token})` → Promise<JoinInfo>. `url` is the WebSocket endpoint (`ws:`,
 *   `wss:`, `http(s):` or relative such as `/ws`; default `/ws` of the page's origin).
 *   `token` is a join token string, or a function returning one (or a Promise of one); a
 *   function is called before every `join`, reconnections included, so a fresh token can be
 *   fetched. Rejects if the first join fails (no reconnection before the first `joined`).
 * - `publish(track, {stream, codec, simulcast}?)` → Promise<{trackId}>: send a local
 *   MediaStreamTrack on the publisher peer connection. Video is sent as simulcast layers unless
 *   `simulcast: false`: three (rids `q`, `h`, `f`: a quarter, half and full size, at most
 *   100 kbit/s, 500 kbit/s and 2.5 Mbit/s) from 960 pixels on the longer side, two (`h`, `f`)
 *   from 480, one below (browsers send no more layers than that for such sizes, and would drop
 *   the full-size one); the server sends each subscriber one layer, by the size it shows the
 *   video at (`setVideoSize`), and layers above the largest any subscriber needs are paused at
 *   the encoder on the server's `layers` message (after 5 s unneeded; resumed at once). With `codec` VP9 or AV1 video goes as one stream (Chromium sends
 *   only one rid layer of them) with spatial and temporal layers (SVC: `L3T3_KEY` from 960
 *   pixels, `L2T3_KEY` from 480, `L1T3` below), of which the server sends each subscriber the
 *   layers its size and bandwidth call for. May be called before `connect` resolves; tracks are sent once
 *   joined. Calls made together are batched into one offer. `codec` ('VP8', 'VP9', 'H264',
 *   'AV1'; video only) puts that codec first in the offer (`setCodecPreferences`): the server
 *   takes the first offered codec it supports, and every subscriber receives it as sent (one
 *   codec per kind per publisher: the first video track's choice holds for its others). A codec
 *   the browser cannot send is ignored.
 * - `unpublish(track)` → Promise<void>: stop sending the track (its m-line is stopped).
 * - `setVideoSize(trackId, width, height)`: the size in device pixels (CSS size times
 *   devicePixelRatio) at which a received video track is shown, 0 x 0 when hidden; sent as
 *   `video-size` (at most every 250 ms per track), for the simulcast layer the server picks.
 * - `setMuted(trackOrTrackId, muted)` → Promise<void>: sets `track.enabled = !muted` and sends
 *   `mute`. `mute(t)` and `unmute(t)` are shorthands. The state survives reconnections.
 * - `restartIce(target?)`: restart ICE on `'publisher'`, `'subscriber'` or both.
 * - `leave()` → Promise<void>: `leave`, wait for `bye` (at most 2 s), close everything. Local
 *   tracks are not stopped (they belong to the application).
 * - `on(type, listener)` → function that removes the listener; `off(type, listener)`.
 *   SFUClient is an EventTarget: every event is a CustomEvent whose `detail` is given below;
 *   `on` listeners receive the detail directly.
 *
 * ## Properties (read only)
 * `state` ('idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed'), `participantId`,
 * `room`, `identity`, `name`, `grants`, `iceServers`, `participants` (Map id → Participant,
 * others only), `remoteTracks` (Map trackId → RemoteTrack, those received on the subscriber
 * connection), `localTracks` (array of LocalTrack), `publisher` and `subscriber`
 * (the RTCPeerConnections, or null).
 *
 * ## Events (name: detail)
 * - `state`: `{state, previous}`; the client's connection state (above).
 * - `joined`: JoinInfo `{participantId, room, identity, name, grants, participants, resumed}`
 *   after every `joined` (first join, resume, fresh rejoin).
 * - `participant-joined`: `{participant}` (Participant `{id, identity, name, tracks: Map}`).
 * - `participant-left`: `{participantId, participant, reason}`; reason as in the protocol, or
 *   `'unknown'` when the client found out by comparing lists after a reconnection. Any of
 *   the participant's tracks get `track-removed` first.
 * - `track-published` / `track-unpublished`: `{track}` / `{trackId, participantId}`: the
 *   protocol announcements (before the media arrives / goes).
 * - `track-added`: `{trackId, participantId, kind, muted, mid, track}` where `track` is the
 *   received MediaStreamTrack (on the subscriber connection).
 * - `track-removed`: `{trackId, participantId, kind, mid, track}`.
 * - `track-muted`: `{trackId, participantId, muted}` (remote tracks).
 * - `local-track-published`: `{trackId, track}` when the server accepted a local track.
 * - `layers`: `{trackId, active}`: the simulcast layers (rids) of a local track now sent, after
 *   the server's `layers` message changed them (the others are paused).
 * - `active-speakers`: `{speakers, dominant}`: the participant ids speaking now (ours
 *   included), the dominant speaker first (`dominant`, or null when nobody speaks); also in the
 *   `activeSpeakers` property. From the audio levels the browsers stamp on their packets.
 * - `connection-state`: `{target: 'publisher'|'subscriber', side: 'local'|'server', state}`:
 *   ICE state of the browser's connection (`side: 'local'`, iceConnectionState) or the
 *   server's view (`side: 'server'`, the `connection-state` message).
 * - `reconnecting`: `{attempt, delay, resume}` before each reconnection attempt.
 * - `reconnected`: `{resumed}`: `true` if the session was resumed (media transports kept, ICE
 *   restarted), `false` if the server refused the resume and the client joined afresh (new
 *   participant id, tracks republished, remote tracks re-announced).
 * - `error`: `{code, message, fatal, id?, type?}`: a protocol `error`, or a local failure
 *   (`code` one of the protocol codes or `negotiation`, `ice-candidate`, `reconnect-failed`).
 * - `closed`: `{reason}`: the session is over (`bye` reason, `'left'`, `'reconnect-failed'`,
 *   or an error code). No reconnection follows.
 *
 * ## Reconnection
 * When the WebSocket closes or errs (not after `leave` or `bye`, except `bye` `idle-timeout`,
 * after which the server keeps the session), or a `ping` gets no `pong`,
 * the client keeps both peer connections and reconnects with backoff, sending `join` with
 * `resume: {participantId, resumeToken}`. On `joined` it restarts ICE on each peer connection
 * that is still disconnected or failed `disconnectedGrace` later (publisher: `restartIce()` and
 * a new `publish` offer; subscriber: `restart-ice`); one that rode out the drop is kept. If the
 * server answers `resume-refused` (grace period over), the client closes both peer
 * connections, joins without `resume`, and republishes its tracks (mute state included). When
 * either peer connection goes ICE `failed` (or stays `disconnected`) while the WebSocket is up,
 * that connection's ICE is restarted the same way, and a `ping` checks the WebSocket.
 * Negotiations are serialized per peer connection, and remote candidates that arrive before
 * their remote description are queued.
 */

const PROTOCOL_VERSION = 1;
const FATAL_CODES = new Set([
  'message-too-large', 'rate-limited', 'token-missing', 'token-invalid', 'token-expired',
  'token-wrong-room', 'resume-refused', 'room-full', 'shutting-down', 'unknown-participant',
]);
/** `bye` reasons after which the session is still kept for resume: reconnect. */
const RESUMABLE_BYE = new Set(['idle-timeout']);

/** The ice-ufrag of a session description, for logs. */
function iceUfrag(description) {
  const m = description && /a=ice-ufrag:(\S+)/.exec(description.sdp || '');
  return m ? m[1] : '-';
}

/** `promise`, or a ProtocolError(`code`) after `ms`. */
function withTimeout(promise, ms, code, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ProtocolError(code, message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise queue: each task starts after the previous one settled. */
class SerialQueue {
  constructor() { this.tail = Promise.resolve(); }
  run(task) {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }
}

/** First mid of the BUNDLE group of an SDP (the transport candidates belong to). */
function bundleMid(sdp) {
  const group = /^a=group:BUNDLE[ \t]+(.*)$/m.exec(sdp || '');
  if (group) {
    const mid = group[1].trim().split(/\s+/)[0];
    if (mid) return mid;
  }
  const mid = /^a=mid:(\S+)/m.exec(sdp || '');
  return mid ? mid[1] : null;
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

class ProtocolError extends Error {
  constructor(code, message, extra = {}) {
    super(message || code);
    this.name = 'ProtocolError';
    this.code = code;
    Object.assign(this, extra);
  }
}

/**
 * One of the client's two RTCPeerConnections with its negotiation queue and candidate queue.
 * @private
 */
class Peer {
  constructor(client, target, config) {
    this.client = client;
    this.target = target;
    this.pc = new RTCPeerConnection(config);
    this.queue = new SerialQueue();
    this.remoteCandidates = [];   // waiting for a remote description
    this.awaitingRemote = 0;      // remote descriptions expected (offers sent / received)
    this.restartTimer = null;
    this.restartInFlight = false;
    this.lastRestart = 0;
    this.closed = false;
    this.pc.addEventListener('icecandidate', (e) => {
      if (this.closed) return;
      // null: gathering complete; "" (some browsers): end of candidates too.
      const candidate = e.candidate ? e.candidate.candidate : '';
      if (e.candidate && !candidate) return;
      this.client._sendIfJoined({ type: 'trickle', target: this.target, candidate });
    });
    this.pc.addEventListener('iceconnectionstatechange', () => this._onIceState());
  }

  _onIceState() {
    if (this.closed) return;
    const state = this.pc.iceConnectionState;
    this.client._emit('connection-state', { target: this.target, side: 'local', state });
    if (state === 'failed') {
      this.scheduleRestart(0, 'ice-failed');
    } else if (state === 'disconnected') {
      this.client._probeSocket();
      this.scheduleRestart(this.client.options.disconnectedGrace, 'ice-disconnected');
    } else if ((state === 'connected' || state === 'completed') && !this.forcedRestart) {
      clearTimeout(this.restartTimer);
      this.restartTimer = null;
    }
  }

  /** Restart ICE after `delay` ms unless the connection recovers, at most once per 2 s. */
  scheduleRestart(delay, why, force = false) {
    if (this.closed || (this.restartTimer && !force)) return;
    clearTimeout(this.restartTimer);
    const sinceLast = Date.now() - this.lastRestart;
    const wait = Math.max(delay, 2000 - sinceLast);
    // `force`: the server's side of the connection failed. The browser may still call it
    // connected for a while (its old pair answered until then), but it is not.
    const needed = () => force || ['failed', 'disconnected'].includes(this.pc.iceConnectionState);
    this.forcedRestart = force;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.forcedRestart = false;
      if (this.closed || !needed()) return;
      this.client._whenSocketAlive(() => {
        if (this.closed || !needed()) return;
        const now = this.pc.iceConnectionState;
        this.client._log('info', `${this.target}: ICE ${now} (${why}), restarting ICE`);
        this.client._restartPeerIce(this.target);
      });
    }, wait);
  }

  /** Queue or add a server candidate. */
  addRemoteCandidate(candidate) {
    if (this.awaitingRemote > 0 || !this.pc.remoteDescription) {
      this.remoteCandidates.push(candidate);
      return;
    }
    this._addCandidate(candidate);
  }

  _addCandidate(candidate) {
    const sdpMid = bundleMid(this.pc.remoteDescription && this.pc.remoteDescription.sdp);
    const init = sdpMid !== null ? { candidate, sdpMid } : { candidate, sdpMLineIndex: 0 };
    this.pc.addIceCandidate(init).catch((err) => {
      if (this.closed) return;
      // Candidates of an ICE generation that was just replaced fail harmlessly.
      this.client._log('warn', `${this.target}: addIceCandidate failed`, candidate, err);
      this.client._emit('error', {
        code: 'ice-candidate', message: String(err && err.message || err), fatal: false,
        target: this.target,
      });
    });
  }

  /** Call after a remote description was applied (or its wait given up). */
  remoteDone() {
    this.awaitingRemote = Math.max(0, this.awaitingRemote - 1);
    if (this.awaitingRemote === 0 && this.pc.remoteDescription) {
      const pending = this.remoteCandidates;
      this.remoteCandidates = [];
      for (const c of pending) this._addCandidate(c);
    }
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    try { this.pc.close(); } catch { /* already closed */ }
  }
}

/**
 * @typedef {{id: string, participantId: string, kind: 'audio'|'video', muted: boolean}} TrackInfo
 * @typedef {{id: string, identity: string, name: string, tracks: Map<string, TrackInfo>}} Participant
 * @typedef {{trackId: string, participantId: string, kind: string, mid: string,
 *            track: MediaStreamTrack, muted: boolean}} RemoteTrack
 * @typedef {{track: MediaStreamTrack, stream: MediaStream|null, trackId: string|null,
 *            muted: boolean, transceiver: RTCRtpTransceiver|null}} LocalTrack
 */

export class SFUClient extends EventTarget {
  /**
   * The simulcast layers of a published video track, smallest first (rid, scale, bitrate cap).
   * The smallest stays under 100 kbit/s so that it and two audio streams fit a 300 kbit/s link.
   */
  static simulcastLayers = [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 100_000 },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 2_500_000 },
  ];

  /**
   * The layers for a capture of `width` x `height`: libwebrtc sends at most three layers from
   * 960 pixels on the longer side, two from 480, one below, and when asked for more it drops
   * the largest, so the full-size layer must be among those it keeps. null: no simulcast.
   */
  static simulcastLayersFor(width, height) {
    const longer = Math.max(width || 0, height || 0);
    const count = longer >= 960 ? 3 : longer >= 480 ? 2 : 1;
    if (count < 2) return null;
    return SFUClient.simulcastLayers.slice(3 - count).map((layer) => ({ ...layer }));
  }

  /**
   * The SVC mode for VP9 or AV1 from a capture of `width` x `height`, with as many spatial
   * layers as simulcast would have (each half the size of the next) and three temporal layers;
   * `_KEY`: the upper spatial layers are predicted from the lower ones only at keyframes, so a
   * subscriber can leave them out at any frame.
   */
  static scalabilityModeFor(width, height) {
    const longer = Math.max(width || 0, height || 0);
    return longer >= 960 ? 'L3T3_KEY' : longer >= 480 ? 'L2T3_KEY' : 'L1T3';
  }

  /** @param {object} [options] see the module documentation */
  constructor(options = {}) {
    super();
    const reconnect = options.reconnect === false ? null : {
      maxAttempts: 30, baseDelay: 250, maxDelay: 5000, openTimeout: 5000, joinTimeout: 10000,
      ...(options.reconnect || {}),
    };
    this.options = {
      pingInterval: 15000, pongTimeout: 10000, disconnectedGrace: 2000, rtcConfig: {},
      ...options, reconnect,
    };
    this._wrapped = new WeakMap();
    this._log = typeof options.log === 'function' ? options.log : () => {};
    this._state = 'idle';
    this._ws = null;
    this._nextId = 1;
    this._pending = new Map();      // request id → {resolve, reject, type}
    this._pingTimer = null;
    this._pongTimer = null;
    this._url = null;
    this._token = null;
    this._joined = false;           // joined on the current WebSocket
    this._everJoined = false;
    this._ended = false;            // leave / bye / fatal: no reconnection
    this._resume = null;            // {participantId, resumeToken}
    this._resumeRefused = false;
    this._reconnectAttempt = 0;
    this._reconnectTimer = null;
    this._publisher = null;
    this._subscriber = null;
    this._subVersion = -1;
    this._subMap = new Map();       // mid → {trackId, participantId, kind}
    this._videoSizes = new Map();   // remote trackId → {width, height, sent, timer}
    this._publishScheduled = null;
    this._publishedOnce = false;
    this._tracksInfo = new Map();   // remote trackId → TrackInfo (from announcements)
    this.participantId = null;
    this.room = null;
    this.identity = null;
    this.name = null;
    this.grants = null;
    this.iceServers = [];
    /** @type {Map<string, Participant>} */
    this.participants = new Map();
    this.activeSpeakers = [];
    /** @type {Map<string, RemoteTrack>} */
    this.remoteTracks = new Map();
    /** @type {LocalTrack[]} */
    this.localTracks = [];
  }

  get state() { return this._state; }
  get publisher() { return this._publisher ? this._publisher.pc : null; }
  get subscriber() { return this._subscriber ? this._subscriber.pc : null; }

  on(type, listener) {
    const key = `${type}\n`;
    let byType = this._wrapped.get(listener);
    if (!byType) this._wrapped.set(listener, byType = new Map());
    if (!byType.has(key)) {
      const wrapped = (e) => listener(e.detail);
      byType.set(key, wrapped);
      this.addEventListener(type, wrapped);
    }
    return () => this.off(type, listener);
  }

  off(type, listener) {
    const byType = this._wrapped.get(listener);
    const wrapped = byType && byType.get(`${type}\n`);
    if (!wrapped) return;
    byType.delete(`${type}\n`);
    this.removeEventListener(type, wrapped);
  }

  _emit(type, detail) {
    try {
      this.dispatchEvent(new CustomEvent(type, { detail }));
    } catch (err) {
      this._log('error', `listener for ${type} threw`, err);
    }
  }

  _setState(state) {
    if (state === this._state) return;
    const previous = this._state;
    this._state = state;
    this._emit('state', { state, previous });
  }

  // ---------------------------------------------------------------- public API

  /**
   * Connect and join. Resolves with the JoinInfo of the first `joined`.
   * @param {{url?: string, token: string | (() => string | Promise<string>)}} params
   */
  async connect({ url, token } = {}) {
    if (this._state !== 'idle' && this._state !== 'closed') {
      throw new Error(`SFUClient.connect: already ${this._state}`);
    }
    if (!token) throw new Error('SFUClient.connect: token is required');
    this._url = SFUClient.resolveUrl(url || '/ws');
    this._token = token;
    this._ended = false;
    this._everJoined = false;
    this._resume = null;
    this._resumeRefused = false;
    this._reconnectAttempt = 0;
    this._setState('connecting');
    try {
      return await this._openAndJoin();
    } catch (err) {
      this._finish(err.code || 'connect-failed');
      throw err;
    }
  }

  /** Turns `/ws`, `http://host/ws` and the like into a ws:/wss: URL. */
  static resolveUrl(url) {
    const base = typeof location !== 'undefined' ? location.href : 'http://127.0.0.1/';
    const u = new URL(url, base);
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
    return u.toString();
  }

  /**
   * Publish a local track.
   * @param {MediaStreamTrack} track
   * @param {{stream?: MediaStream}} [opts]
   * @returns {Promise<{trackId: string}>}
   */
  publish(track, { stream = null, codec = null, simulcast = true } = {}) {
    let entry = this.localTracks.find((t) => t.track === track);
    if (!entry) {
      entry = {
        // Simulcast with VP8 and H.264 only: Chromium sends a single layer of VP9 or AV1 when
        // asked for rid layers (those codecs scale with SVC instead).
        track, stream, codec,
        simulcast: simulcast && track.kind === 'video' && (!codec || ['VP8', 'H264'].includes(String(codec).toUpperCase())),
        // VP9 and AV1 scale in one stream instead (SVC): spatial layers the server leaves out
        // per subscriber, as it picks simulcast layers.
        svc: simulcast && track.kind === 'video' && ['VP9', 'AV1'].includes(String(codec || '').toUpperCase()),
        trackId: null, muted: !track.enabled, muteDirty: false,
        transceiver: null, waiters: [],
      };
      this.localTracks.push(entry);
    }
    if (entry.trackId) return Promise.resolve({ trackId: entry.trackId });
    const done = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this._schedulePublish();
    return done;
  }

  /** Stop publishing a local track. @param {MediaStreamTrack} track */
  async unpublish(track) {
    const i = this.localTracks.findIndex((t) => t.track === track);
    if (i < 0) return;
    const [entry] = this.localTracks.splice(i, 1);
    for (const w of entry.waiters) w.reject(new Error('unpublished'));
    entry.waiters = [];
    if (entry.transceiver && this._publisher && !this._publisher.closed) {
      try { entry.transceiver.stop(); } catch { /* already stopped */ }
      await this._negotiatePublisher();
    }
  }

  /**
   * Mute or unmute a local track: `track.enabled` and a `mute` message.
   * @param {MediaStreamTrack|string} trackOrId a published track or its server track id
   * @param {boolean} muted
   */
  async setMuted(trackOrId, muted) {
    const entry = this.localTracks.find((t) => t.track === trackOrId || t.trackId === trackOrId);
    if (!entry) throw new Error('setMuted: not a published track');
    entry.muted = !!muted;
    entry.track.enabled = !muted;
    entry.muteDirty = true;
    await this._syncMute(entry);
    // Not yet published, or offline: sent when the track is published or the session resumed.
  }

  async _syncMute(entry) {
    if (!entry.trackId || !this._joined) return;
    const muted = entry.muted;
    try {
      await this._request({ type: 'mute', trackId: entry.trackId, muted });
      if (entry.muted === muted) entry.muteDirty = false;
    } catch (err) {
      if (err.code !== 'not-connected' && err.code !== 'timeout') throw err;
    }
  }

  /**
   * The size at which a received video track is shown, in device pixels (0 x 0: hidden): the
   * server sends the smallest simulcast layer at least that wide.
   * @param {string} trackId @param {number} width @param {number} height
   */
  setVideoSize(trackId, width, height) {
    const clamp = (v) => Math.max(0, Math.min(16384, Math.round(Number(v) || 0)));
    let entry = this._videoSizes.get(trackId);
    if (!entry) {
      entry = { width: -1, height: -1, sent: null, timer: null };
      this._videoSizes.set(trackId, entry);
    }
    entry.width = clamp(width);
    entry.height = clamp(height);
    if (entry.timer) return;   // a resize burst: the last size goes out when the timer fires
    const flush = () => {
      entry.timer = null;
      if (!this._joined || !this.remoteTracks.has(trackId) || this._videoSizes.get(trackId) !== entry) return;
      if (entry.sent && entry.sent.width === entry.width && entry.sent.height === entry.height) return;
      entry.sent = { width: entry.width, height: entry.height };
      this._request({ type: 'video-size', trackId, width: entry.width, height: entry.height }).catch(() => {});
      entry.timer = setTimeout(() => { entry.timer = null; flush(); }, 250);
    };
    flush();
  }

  mute(trackOrId) { return this.setMuted(trackOrId, true); }
  unmute(trackOrId) { return this.setMuted(trackOrId, false); }

  /** Restart ICE now. @param {'publisher'|'subscriber'} [target] both if omitted */
  restartIce(target) {
    if (!target || target === 'publisher') this._restartPeerIce('publisher');
    if (!target || target === 'subscriber') this._restartPeerIce('subscriber');
  }

  /** Leave the room and close everything. */
  async leave() {
    if (this._state === 'closed' || this._state === 'idle') return;
    this._ended = true;
    this._leaving = true;
    clearTimeout(this._reconnectTimer);
    const ws = this._ws;
    if (ws && ws.readyState === WebSocket.OPEN && this._joined) {
      const bye = new Promise((resolve) => {
        const done = () => resolve();
        ws.addEventListener('close', done, { once: true });
        this._onBye = done;
      });
      this._send({ type: 'leave' });
      await Promise.race([bye, sleep(2000)]);
    }
    this._finish('left');
  }

  // ---------------------------------------------------------------- WebSocket

  /** Open a WebSocket, send `join` (with `resume` if we have one), wait for `joined`. */
  async _openAndJoin() {
    const opts = this.options.reconnect || { openTimeout: 5000, joinTimeout: 10000 };
    // The application's token function is bounded too: a fetch during an outage may hang for
    // minutes, and the reconnection would wait on it long after the network came back.
    const token = typeof this._token === 'function'
      ? await withTimeout(Promise.resolve().then(() => this._token()), opts.openTimeout, 'token-timeout', 'the token function did not answer in time')
      : this._token;
    if (this._ended) throw new ProtocolError('closed', 'closed');
    const ws = new WebSocket(this._url);
    this._ws = ws;
    this._joined = false;
    ws.addEventListener('message', (e) => this._onMessage(ws, e));
    ws.addEventListener('close', (e) => this._onSocketClose(ws, e));
    ws.addEventListener('error', () => {
      this._log('warn', 'WebSocket error');
      if (ws.readyState !== WebSocket.CLOSED) ws.close();
    });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ProtocolError('open-timeout', 'WebSocket open timed out'));
        ws.close();
      }, opts.openTimeout);
      ws.addEventListener('open', () => { clearTimeout(timer); resolve(); }, { once: true });
      ws.addEventListener('close', () => {
        clearTimeout(timer);
        reject(new ProtocolError('socket-closed', 'WebSocket closed before open'));
      }, { once: true });
    });
    const msg = { type: 'join', token };
    const resumed = !!this._resume && !this._resumeRefused;
    if (resumed) msg.resume = { ...this._resume };
    let joined;
    try {
      joined = await this._request(msg, opts.joinTimeout);
    } catch (err) {
      if (ws.readyState !== WebSocket.CLOSED) ws.close();
      throw err;
    }
    this._onJoined(joined, resumed);
    return this._joinInfo(resumed);
  }

  _joinInfo(resumed) {
    return {
      participantId: this.participantId, room: this.room, identity: this.identity,
      name: this.name, grants: this.grants, participants: [...this.participants.values()],
      resumed,
    };
  }

  _send(msg) {
    const ws = this._ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify({ v: PROTOCOL_VERSION, ...msg }));
    return true;
  }

  _sendIfJoined(msg) { return this._joined && this._send(msg); }

  /** Send a request with an id; resolves with the reply, rejects with a ProtocolError. */
  _request(msg, timeout = 15000) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new ProtocolError('timeout', `no reply to ${msg.type}`));
      }, timeout);
      this._pending.set(id, {
        type: msg.type,
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      if (!this._send({ ...msg, id })) {
        this._pending.delete(id);
        clearTimeout(timer);
        reject(new ProtocolError('not-connected', `cannot send ${msg.type}: not connected`));
      }
    });
  }

  _rejectPending(reason) {
    const pending = [...this._pending.values()];
    this._pending.clear();
    for (const p of pending) p.reject(new ProtocolError('not-connected', reason));
  }

  _onMessage(ws, event) {
    if (ws !== this._ws) return;
    let msg;
    try { msg = JSON.parse(event.data); } catch {
      this._log('warn', 'bad JSON from server', event.data);
      return;
    }
    if (!msg || typeof msg !== 'object') return;
    this._lastHeard = Date.now();
    const reply = msg.id !== undefined && msg.id !== null ? this._pending.get(msg.id) : null;
    if (msg.type === 'error') {
      this._onError(msg, reply);
      return;
    }
    if (reply) {
      this._pending.delete(msg.id);
      reply.resolve(msg);
      if (msg.type === 'ack' || msg.type === 'pong' || msg.type === 'joined'
          || msg.type === 'published') return;
    }
    switch (msg.type) {
      case 'joined': case 'published': case 'ack': break;
      case 'pong': clearTimeout(this._pongTimer); this._pongTimer = null; break;
      case 'subscriber-offer': this._onSubscriberOffer(msg); break;
      case 'trickle': this._onTrickle(msg); break;
      case 'participant-joined': this._onParticipantJoined(msg.participant); break;
      case 'participant-left': this._onParticipantLeft(msg.participantId, msg.reason); break;
      case 'track-published': this._onTrackPublished(msg.track); break;
      case 'track-unpublished': this._onTrackUnpublished(msg.trackId, msg.participantId); break;
      case 'track-muted': this._onTrackMuted(msg.trackId, msg.participantId, msg.muted); break;
      case 'connection-state': this._onServerConnectionState(msg.target, msg.state); break;
      case 'layers': this._onLayers(msg.trackId, msg.active); break;
      case 'active-speakers': this._onActiveSpeakers(msg.speakers); break;
      case 'bye': this._onByeMessage(msg.reason); break;
      default: this._log('info', 'ignoring message', msg.type);
    }
  }

  /**
   * The server sends only these simulcast layers (rids) of a track we publish on to anyone:
   * pause the others at the encoder (`RTCRtpEncodingParameters.active`), which spares the uplink
   * and the CPU, and resume them when asked. The latest request wins; one `setParameters` at a
   * time per sender. A list naming none of the track's layers is ignored.
   */
  _onLayers(trackId, active) {
    const entry = this.localTracks.find((e) => e.trackId === trackId);
    if (!entry || !entry.transceiver || !Array.isArray(active)) return;
    entry.wantedLayers = active.map(String);
    if (entry.applyingLayers) return;   // the running loop picks the latest up
    entry.applyingLayers = true;
    const sender = entry.transceiver.sender;
    (async () => {
      for (;;) {
        const wanted = entry.wantedLayers;
        const params = sender.getParameters();
        const encodings = params.encodings || [];
        if (encodings.length < 2 || !encodings.some((e) => wanted.includes(e.rid))) break;
        let changed = false;
        for (const encoding of encodings) {
          const on = wanted.includes(encoding.rid);
          if (encoding.active !== on) { encoding.active = on; changed = true; }
        }
        if (changed) {
          await sender.setParameters(params);
          this._log('info', `layers of ${trackId}: sending ${wanted.join(',')}`);
          this._emit('layers', { trackId, active: wanted });
        }
        if (entry.wantedLayers === wanted) break;
      }
    })().catch((err) => this._log('warn', `layers of ${trackId}: setParameters failed: ${err.message}`))
      .finally(() => { entry.applyingLayers = false; });
  }

  _onActiveSpeakers(speakers) {
    if (!Array.isArray(speakers)) return;
    this.activeSpeakers = speakers.map(String);
    this._emit('active-speakers', { speakers: this.activeSpeakers, dominant: this.activeSpeakers[0] ?? null });
  }

  _onError(msg, reply) {
    const fatal = FATAL_CODES.has(msg.code);
    const detail = {
      code: msg.code, message: msg.message, fatal, id: msg.id,
      type: reply ? reply.type : undefined,
    };
    this._log('warn', 'server error', detail);
    if (msg.code === 'resume-refused') {
      // The session is gone; join afresh on the next connection.
      this._resumeRefused = true;
    } else if (fatal && msg.code !== 'shutting-down') {
      this._ended = true;
      this._endReason = msg.code;
    }
    if (reply) {
      this._pending.delete(msg.id);
      reply.reject(new ProtocolError(msg.code, msg.message, { fatal }));
    }
    if (msg.code !== 'resume-refused') this._emit('error', detail);
  }

  _onByeMessage(reason) {
    if (this._resumeRefused) return;   // the refusal's bye: we rejoin afresh
    if (RESUMABLE_BYE.has(reason) && !this._leaving) return;   // the close starts a resume
    this._ended = true;
    this._endReason = this._endReason || reason || 'bye';
    if (this._leaving) {
      if (this._onBye) this._onBye();
    } else if (this._state === 'connected') {
      this._finish(this._endReason);
    }
    // while connecting or reconnecting, the failed join ends the session
  }

  _onSocketClose(ws, event) {
    if (ws !== this._ws) return;
    this._log('info', `WebSocket closed (${event.code} ${event.reason || ''})`);
    this._joined = false;
    this._stopPing();
    this._rejectPending('WebSocket closed');
    if (this._state === 'closed' || this._state === 'connecting') return;  // connect() handles
    if (this._ended || !this.options.reconnect) {
      this._finish(this._endReason || 'socket-closed');
      return;
    }
    if (this._state === 'connected') this._startReconnecting();
    // while 'reconnecting' the running attempt's failure schedules the next one
  }

  _startPing() {
    this._stopPing();
    this._pingTimer = setInterval(() => this._ping(this.options.pongTimeout),
      this.options.pingInterval);
  }

  _stopPing() {
    clearInterval(this._pingTimer);
    clearTimeout(this._pongTimer);
    this._pingTimer = null;
    this._pongTimer = null;
    this._aliveWaiters = [];   // a closed socket's restarts are done by the reconnection
  }

  /**
   * Send `ping`; close the WebSocket if nothing arrives from the server within `timeout`. A
   * ping already in flight is not repeated, but a shorter `timeout` brings its deadline forward.
   */
  _ping(timeout) {
    if (!this._joined) return;
    const ws = this._ws;
    const deadline = Date.now() + timeout;
    if (this._pongTimer && this._pongDeadline <= deadline) return;
    const inFlight = !!this._pongTimer;
    clearTimeout(this._pongTimer);
    this._pongDeadline = deadline;
    const sentAt = Date.now();
    this._pongTimer = setTimeout(() => {
      this._pongTimer = null;
      // Any message since the ping proves the socket alive (a pong may queue behind others).
      if ((this._lastHeard || 0) >= sentAt) return;
      if (ws === this._ws && ws.readyState === WebSocket.OPEN) {
        this._log('warn', 'no pong: closing the WebSocket');
        ws.close(4000, 'no pong');
        // A dead TCP connection may take long to report close: act now.
        this._onSocketClose(ws, { code: 4000, reason: 'no pong' });
        this._ws = null;
      }
    }, timeout);
    if (inFlight) return;
    this._request({ type: 'ping' }, timeout + 1000).then(() => {
      clearTimeout(this._pongTimer);
      this._pongTimer = null;
      const waiting = this._aliveWaiters || [];
      this._aliveWaiters = [];
      for (const fn of waiting) fn();
    }, () => {});
  }

  /** ICE trouble: check the WebSocket quickly. */
  _probeSocket() { this._ping(Math.min(this.options.pongTimeout, 3000)); }

  /**
   * Runs `fn` once the WebSocket is known to be alive: at once if the server was heard from in
   * the last 2 s, else after the pong of a quick probe. A request written into a dead TCP
   * connection is delivered when the network comes back, long after the client gave up on it:
   * an ICE restart offer that arrives then would undo a later restart. If the probe fails, the
   * WebSocket is closed and the reconnection restarts ICE on both connections instead.
   */
  _whenSocketAlive(fn) {
    if (Date.now() - (this._lastHeard || 0) < 2000) { fn(); return; }
    (this._aliveWaiters = this._aliveWaiters || []).push(fn);
    this._probeSocket();
  }

  // ---------------------------------------------------------------- reconnection

  _startReconnecting() {
    this._setState('reconnecting');
    this._reconnectAttempt = 0;
    this._scheduleReconnect();
  }

  _scheduleReconnect() {
    if (this._ended) { this._finish(this._endReason || 'closed'); return; }
    const r = this.options.reconnect;
    this._reconnectAttempt += 1;
    if (this._reconnectAttempt > r.maxAttempts) {
      this._emit('error', {
        code: 'reconnect-failed', message: `gave up after ${r.maxAttempts} attempts`, fatal: true,
      });
      this._finish('reconnect-failed');
      return;
    }
    const full = Math.min(r.maxDelay, r.baseDelay * 2 ** (this._reconnectAttempt - 1));
    // A refused resume is answered at once: the server is reachable.
    const delay = this._resumeRefused ? 0 : Math.round(full / 2 + Math.random() * full / 2);
    const resume = !!this._resume && !this._resumeRefused;
    this._emit('reconnecting', { attempt: this._reconnectAttempt, delay, resume });
    this._reconnectTimer = setTimeout(() => this._reconnectOnce(), delay);
  }

  async _reconnectOnce() {
    if (this._ended) { this._finish(this._endReason || 'closed'); return; }
    try {
      const info = await this._openAndJoin();
      this._emit('reconnected', { resumed: info.resumed });
    } catch (err) {
      this._log('warn', `reconnection attempt ${this._reconnectAttempt} failed`, err);
      if (this._ws && this._ws.readyState !== WebSocket.CLOSED) this._ws.close();
      if (this._ended) { this._finish(this._endReason || err.code || 'closed'); return; }
      this._scheduleReconnect();
    }
  }

  /** Session over: close everything, no reconnection. */
  _finish(reason) {
    if (this._state === 'closed') return;
    this._ended = true;
    clearTimeout(this._reconnectTimer);
    this._stopPing();
    this._joined = false;
    this._leaving = false;
    this._onBye = null;
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.close(1000);
    this._rejectPending('closed');
    this._teardownPeers('closed');
    for (const p of [...this.participants.keys()]) this._onParticipantLeft(p, reason);
    for (const entry of this.localTracks) {
      for (const w of entry.waiters) w.reject(new Error(`closed: ${reason}`));
    }
    this.localTracks = [];
    this._tracksInfo.clear();
    this._setState('closed');
    this._emit('closed', { reason });
  }

  // ---------------------------------------------------------------- joined

  _onJoined(msg, resumed) {
    const freshAfterRefusal = this._everJoined && !resumed;
    this.participantId = msg.participantId;
    this.room = msg.room;
    this.identity = msg.identity;
    this.name = msg.name;
    this.grants = msg.grants || {};
    this.iceServers = Array.isArray(msg.iceServers) ? msg.iceServers : [];
    this._resume = { participantId: msg.participantId, resumeToken: msg.resumeToken };
    this._resumeRefused = false;
    this._joined = true;
    this._endReason = null;
    this._reconnectAttempt = 0;

    if (freshAfterRefusal) {
      // A new session: the old transports are gone on the server.
      this._teardownPeers('rejoined');
      for (const entry of this.localTracks) { entry.trackId = null; entry.transceiver = null; }
      this._publishedOnce = false;
    }
    this._reconcileParticipants(msg.participants || []);
    const wasJoined = this._everJoined;
    this._everJoined = true;
    this._setState('connected');
    this._startPing();
    this._emit('joined', this._joinInfo(resumed));

    for (const peer of [this._publisher, this._subscriber]) {
      if (peer && !peer.closed) {
        try {
          peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: this.iceServers });
        } catch (err) { this._log('warn', 'setConfiguration failed', err); }
      }
    }
    if (resumed && wasJoined) {
      // A media connection that rides out the drop is kept as it is; one still disconnected
      // or failed after `disconnectedGrace` restarts ICE. Right after a long outage the old
      // pair is often still recovering, and a restart begun then tends to fail in Chromium
      // (its first checks are answered 401 and the restart is lost, seen after 20 s cuts).
      const grace = this.options.disconnectedGrace;
      for (const peer of [this._publisher, this._subscriber]) {
        if (peer && !peer.closed && peer.pc.remoteDescription) peer.scheduleRestart(grace, 'resumed');
      }
      if (this.localTracks.some((e) => !e.trackId)) this._schedulePublish();
      for (const entry of this.localTracks) {
        if (entry.muteDirty) this._syncMute(entry).catch(() => {});
      }
    } else if (this.localTracks.length) {
      this._schedulePublish();
    }
  }

  /** Make `participants` match the server's list, emitting joins and leaves. */
  _reconcileParticipants(list) {
    const seen = new Set();
    for (const p of list) {
      if (!p || p.id === this.participantId) continue;
      seen.add(p.id);
      const known = this.participants.get(p.id);
      if (!known) {
        this._onParticipantJoined(p);
        continue;
      }
      // Known: bring tracks and mute state up to date.
      const tracks = new Set();
      for (const t of p.tracks || []) {
        tracks.add(t.id);
        const had = known.tracks.get(t.id);
        if (!had) this._onTrackPublished({ ...t, participantId: p.id });
        else if (had.muted !== !!t.muted) this._onTrackMuted(t.id, p.id, !!t.muted);
      }
      for (const id of [...known.tracks.keys()]) {
        if (!tracks.has(id)) this._onTrackUnpublished(id, p.id);
      }
    }
    for (const id of [...this.participants.keys()]) {
      if (!seen.has(id)) this._onParticipantLeft(id, 'unknown');
    }
  }

  // ---------------------------------------------------------------- participants, tracks

  _onParticipantJoined(p) {
    if (!p || !p.id || p.id === this.participantId) return;
    const participant = {
      id: p.id, identity: p.identity, name: p.name || p.identity || p.id, tracks: new Map(),
    };
    this.participants.set(p.id, participant);
    this._emit('participant-joined', { participant });
    for (const t of p.tracks || []) this._onTrackPublished({ ...t, participantId: p.id });
  }

  _onParticipantLeft(participantId, reason) {
    const participant = this.participants.get(participantId);
    for (const [trackId, rt] of [...this.remoteTracks]) {
      if (rt.participantId === participantId) this._removeRemoteTrack(trackId);
    }
    if (!participant) return;
    for (const id of participant.tracks.keys()) this._tracksInfo.delete(id);
    this.participants.delete(participantId);
    this._emit('participant-left', { participantId, participant, reason: reason || 'left' });
  }

  _onTrackPublished(t) {
    if (!t || !t.id || t.participantId === this.participantId) return;
    const info = { id: t.id, participantId: t.participantId, kind: t.kind, muted: !!t.muted };
    this._tracksInfo.set(t.id, info);
    const participant = this.participants.get(t.participantId);
    if (participant) participant.tracks.set(t.id, info);
    this._emit('track-published', { track: { ...info } });
  }

  _onTrackUnpublished(trackId, participantId) {
    const info = this._tracksInfo.get(trackId);
    this._tracksInfo.delete(trackId);
    const pid = participantId || (info && info.participantId);
    const participant = this.participants.get(pid);
    if (participant) participant.tracks.delete(trackId);
    this._removeRemoteTrack(trackId);
    this._emit('track-unpublished', { trackId, participantId: pid });
  }

  _onTrackMuted(trackId, participantId, muted) {
    const info = this._tracksInfo.get(trackId);
    if (info) info.muted = !!muted;
    const rt = this.remoteTracks.get(trackId);
    if (rt) rt.muted = !!muted;
    this._emit('track-muted', {
      trackId, participantId: participantId || (info && info.participantId), muted: !!muted,
    });
  }

  _removeRemoteTrack(trackId) {
    const size = this._videoSizes.get(trackId);
    if (size) { clearTimeout(size.timer); this._videoSizes.delete(trackId); }
    const rt = this.remoteTracks.get(trackId);
    if (!rt) return;
    this.remoteTracks.delete(trackId);
    this._emit('track-removed', {
      trackId, participantId: rt.participantId, kind: rt.kind, mid: rt.mid, track: rt.track,
    });
  }

  _onServerConnectionState(target, state) {
    this._emit('connection-state', { target, side: 'server', state });
    // The server restarts the subscriber connection's ICE itself (it is the offerer there);
    // the publisher connection's offerer is this client.
    const peer = this._publisher;
    if (target !== 'publisher' || !peer) return;
    if (state === 'failed') {
      // Short delay: a report written during an outage may arrive together with the one that
      // says the server's side recovered by itself.
      peer.scheduleRestart(500, 'server reports failed', true);
    } else if (state === 'connected' && peer.forcedRestart) {
      clearTimeout(peer.restartTimer);
      peer.restartTimer = null;
      peer.forcedRestart = false;
    }
  }

  // ---------------------------------------------------------------- peer connections

  _rtcConfig() {
    return {
      ...this.options.rtcConfig,
      iceServers: [...(this.options.rtcConfig.iceServers || []), ...this.iceServers],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    };
  }

  _teardownPeers(why) {
    for (const trackId of [...this.remoteTracks.keys()]) this._removeRemoteTrack(trackId);
    if (this._publisher) this._publisher.close();
    if (this._subscriber) this._subscriber.close();
    this._publisher = null;
    this._subscriber = null;
    this._subVersion = -1;
    this._subMap = new Map();
    this._log('info', `peer connections closed (${why})`);
  }

  _restartPeerIce(target, afterResume = false) {
    if (!this._joined) return;   // reconnection restarts both once joined
    const peer = target === 'publisher' ? this._publisher : this._subscriber;
    if (!peer || peer.closed) return;
    peer.lastRestart = Date.now();
    // A restart whose checks fail leaves the state where it was (no new event would start
    // another): look again shortly and restart once more if it still is not connected.
    peer.scheduleRestart(3000, 'restart did not connect');
    if (target === 'publisher') {
      if (!peer.pc.remoteDescription && !afterResume) return;
      this._negotiatePublisher({ iceRestart: true }).catch(() => {});
    } else {
      this._request({ type: 'restart-ice' }).catch((err) => {
        this._log('warn', 'restart-ice failed', err);
      });
    }
  }

  _ensurePublisher() {
    if (this._publisher && !this._publisher.closed) return this._publisher;
    this._publisher = new Peer(this, 'publisher', this._rtcConfig());
    return this._publisher;
  }

  /** Batch publish() calls of one turn of the event loop into one negotiation. */
  _schedulePublish() {
    if (this._publishScheduled) return this._publishScheduled;
    this._publishScheduled = Promise.resolve().then(() => {
      this._publishScheduled = null;
      if (!this._joined) return;   // done on `joined`
      return this._negotiatePublisher().catch(() => {});
    });
    return this._publishScheduled;
  }

  /** Puts `codec` (e.g. 'VP9') first among the transceiver's codecs, keeping the others after. */
  _preferCodec(transceiver, codec) {
    const capabilities = typeof RTCRtpSender !== 'undefined' && RTCRtpSender.getCapabilities
      ? RTCRtpSender.getCapabilities('video') : null;
    if (!capabilities || !transceiver.setCodecPreferences) return;
    const wanted = `video/${codec}`.toLowerCase();
    const first = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() === wanted);
    if (!first.length) {
      this._log('warn', `publish: this browser cannot send ${codec}`);
      return;
    }
    const rest = capabilities.codecs.filter((c) => c.mimeType.toLowerCase() !== wanted);
    try {
      transceiver.setCodecPreferences([...first, ...rest]);
    } catch (err) {
      this._log('warn', `publish: setCodecPreferences(${codec}) failed: ${err.message}`);
    }
  }

  /** One publisher negotiation (queued): add new tracks, offer, `publish`, apply answer. */
  _negotiatePublisher({ iceRestart = false } = {}) {
    const peer = this._ensurePublisher();
    return peer.queue.run(async () => {
      if (peer.closed || !this._joined) return;
      if (this.grants && this.grants.publish === false) {
        const err = new ProtocolError('not-allowed', 'no publish grant');
        for (const e of this.localTracks) { for (const w of e.waiters) w.reject(err); e.waiters = []; }
        return;
      }
      const pc = peer.pc;
      for (const entry of this.localTracks) {
        if (entry.transceiver) continue;
        const init = { direction: 'sendonly', streams: entry.stream ? [entry.stream] : [] };
        // Simulcast (RFC 8853), smallest layer first: the server ranks layers by the sizes
        // their keyframes carry, and by this order where they carry none.
        if (entry.simulcast) {
          const settings = entry.track.getSettings ? entry.track.getSettings() : {};
          const layers = SFUClient.simulcastLayersFor(settings.width, settings.height);
          if (layers) init.sendEncodings = layers;
          // VP8 layers with three temporal layers each (L1T3): a subscriber whose link cannot
          // carry even the smallest layer gets it at a half or a quarter of the frame rate
          // (the server leaves the upper temporal layers out) rather than frozen.
          if (layers && (!entry.codec || String(entry.codec).toUpperCase() === 'VP8')) {
            init.sendEncodings = layers.map((layer) => ({ ...layer, scalabilityMode: 'L1T3' }));
          }
        }
        if (entry.svc) {
          const settings = entry.track.getSettings ? entry.track.getSettings() : {};
          init.sendEncodings = [{ scalabilityMode: SFUClient.scalabilityModeFor(settings.width, settings.height) }];
        }
        try {
          entry.transceiver = pc.addTransceiver(entry.track, init);
        } catch (err) {
          // A browser that does not take scalabilityMode sends the layers without it.
          if (!init.sendEncodings || !init.sendEncodings.some((e) => e.scalabilityMode)) throw err;
          init.sendEncodings = init.sendEncodings.map(({ scalabilityMode, ...layer }) => layer);
          entry.transceiver = pc.addTransceiver(entry.track, init);
        }
        if (entry.codec && entry.track.kind === 'video') this._preferCodec(entry.transceiver, entry.codec);
      }
      // Transceivers survive the rollback of a local offer, so "not yet accepted" is simply
      // "no server track id yet".
      const added = this.localTracks.filter((e) => e.transceiver && !e.trackId);
      if (!this.localTracks.length && !this._publishedOnce) return;   // nothing to offer yet
      if (pc.signalingState === 'have-local-offer') {
        await pc.setLocalDescription({ type: 'rollback' });
      }
      if (iceRestart) pc.restartIce();
      await pc.setLocalDescription(await pc.createOffer());
      peer.awaitingRemote += 1;
      let reply;
      try {
        reply = await this._request({ type: 'publish', sdp: pc.localDescription.sdp });
        await pc.setRemoteDescription({ type: 'answer', sdp: reply.sdp });
        if (iceRestart) this._log('info', `publisher: ICE restarted (${iceUfrag(pc.localDescription)} / ${iceUfrag(pc.remoteDescription)})`);
      } catch (err) {
        this._log('info', `publisher: offer ${iceUfrag(pc.localDescription)} not answered (${err.code || err.message})`);
        if (pc.signalingState === 'have-local-offer') {
          await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
        }
        const offline = err.code === 'not-connected' || err.code === 'timeout';
        if (!offline && added.length) {
          // The server refused the offer (no-usable-codec, too-many-tracks, ...): drop the
          // tracks it carried so that later offers do not repeat the failure.
          for (const entry of added) {
            try { entry.transceiver.stop(); } catch { /* already stopped */ }
            for (const w of entry.waiters) w.reject(err);
            entry.waiters = [];
          }
          this.localTracks = this.localTracks.filter((e) => !added.includes(e));
        }
        if (!offline) {
          this._emit('error', {
            code: err.code || 'negotiation', message: err.message, fatal: false, type: 'publish',
          });
        }
        throw err;
      } finally {
        peer.remoteDone();
      }
      this._publishedOnce = true;
      this._mapPublishedTracks(added, reply.tracks || []);
    });
  }

  /**
   * Match the server's track objects to the local tracks of this offer: by `mid` (the m-line of
   * our offer) when the server gives it; else an id equal to the MediaStreamTrack id (what the
   * SDP's msid carries); else the next track of the same kind, in m-line order.
   */
  _mapPublishedTracks(added, tracks) {
    const unclaimed = [...tracks];
    const take = (pred) => {
      const i = unclaimed.findIndex(pred);
      return i < 0 ? null : unclaimed.splice(i, 1)[0];
    };
    const ordered = [...added].sort((a, b) => midOrder(a) - midOrder(b));
    for (const entry of ordered) {
      const mid = entry.transceiver && entry.transceiver.mid;
      const t = (mid !== null && mid !== undefined && take((t) => t.mid !== undefined
          && String(t.mid) === mid))
        || take((t) => t.id === entry.track.id)
        || take((t) => t.mid === undefined && t.kind === entry.track.kind);
      if (!t) continue;
      entry.trackId = t.id;
      for (const w of entry.waiters) w.resolve({ trackId: t.id });
      entry.waiters = [];
      this._emit('local-track-published', { trackId: t.id, track: entry.track });
      if (entry.muted !== !!t.muted) {
        entry.muteDirty = true;
        this._syncMute(entry).catch((err) => this._log('warn', 'mute after publish failed', err));
      } else {
        entry.muteDirty = false;
      }
    }
    function midOrder(entry) {
      const mid = entry.transceiver && entry.transceiver.mid;
      const n = Number(mid);
      return Number.isFinite(n) ? n : 1e9;
    }
  }

  _ensureSubscriber() {
    if (this._subscriber && !this._subscriber.closed) return this._subscriber;
    this._subscriber = new Peer(this, 'subscriber', this._rtcConfig());
    this._subVersion = -1;
    this._subMap = new Map();
    return this._subscriber;
  }

  _onSubscriberOffer(msg) {
    const peer = this._ensureSubscriber();
    peer.awaitingRemote += 1;
    peer.queue.run(async () => {
      let applied = false;
      try {
        if (peer.closed) return;
        if (typeof msg.version === 'number' && msg.version <= this._subVersion) {
          this._log('info', `ignoring old subscriber-offer ${msg.version}`);
          return;
        }
        const pc = peer.pc;
        if (pc.signalingState !== 'stable') {
          await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
        }
        await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
        applied = true;
        peer.remoteDone();
        this._subVersion = msg.version;
        this._applySubscriberMap(pc, msg.tracks || []);
        await pc.setLocalDescription(await pc.createAnswer());
        await this._request({
          type: 'subscriber-answer', sdp: pc.localDescription.sdp, version: msg.version,
        });
      } catch (err) {
        if (err.code === 'stale-answer' || err.code === 'not-connected') return;
        this._log('warn', 'subscriber negotiation failed', err);
        this._emit('error', {
          code: err.code || 'negotiation', message: err.message, fatal: false,
          type: 'subscriber-offer',
        });
      } finally {
        if (!applied) peer.remoteDone();
      }
    });
  }

  /** Compare the new mid→track map with the previous one: emit track-removed / track-added. */
  _applySubscriberMap(pc, tracks) {
    const next = new Map();
    for (const t of tracks) {
      if (t && t.mid !== undefined && t.mid !== null) next.set(String(t.mid), t);
    }
    const byMid = new Map();
    for (const tr of pc.getTransceivers()) {
      const stopped = tr.stopped || tr.direction === 'stopped' || tr.currentDirection === 'stopped';
      if (tr.mid !== null && !stopped) byMid.set(tr.mid, tr);
    }
    for (const [mid, old] of this._subMap) {
      const now = next.get(mid);
      if (!now || now.trackId !== old.trackId || !byMid.has(mid)) {
        const rt = this.remoteTracks.get(old.trackId);
        if (rt && rt.mid === mid) this._removeRemoteTrack(old.trackId);
      }
    }
    const newMap = new Map();
    for (const [mid, t] of next) {
      const tr = byMid.get(mid);
      if (!tr) { this._log('warn', `subscriber-offer names mid ${mid} with no live m-line`); continue; }
      newMap.set(mid, t);
      const existing = this.remoteTracks.get(t.trackId);
      if (existing && existing.mid === mid && existing.track === tr.receiver.track) continue;
      if (existing) this._removeRemoteTrack(t.trackId);
      const info = this._tracksInfo.get(t.trackId);
      const rt = {
        trackId: t.trackId, participantId: t.participantId, kind: t.kind || tr.receiver.track.kind,
        mid, track: tr.receiver.track, muted: info ? info.muted : false,
      };
      this.remoteTracks.set(t.trackId, rt);
      this._emit('track-added', { ...rt });
    }
    this._subMap = newMap;
  }

  _onTrickle(msg) {
    const target = msg.target;
    if (target !== 'publisher' && target !== 'subscriber') return;
    if (typeof msg.candidate !== 'string') return;
    const peer = target === 'publisher' ? this._ensurePublisher() : this._ensureSubscriber();
    peer.addRemoteCandidate(msg.candidate);
  }
}

export default SFUClient;
