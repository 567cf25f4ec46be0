// Demo page for swift-sfu: http://HOST/?room=R&name=N. See docs/signaling.md, "Browser client".
import { SFUClient } from './sfu-client.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const room = (params.get('room') || '').trim();
const name = (params.get('name') || '').trim();
// ?codec=VP9 (or VP8, H264, AV1): the camera is offered with that codec first.
const videoCodec = (params.get('codec') || '').trim().toUpperCase() || null;
// ?layers=off: the camera goes as one stream of one size (no simulcast layers, no SVC).
const videoLayers = (params.get('layers') || '').trim() !== 'off';
// ?video=1280x720: the camera's capture size (the browser's default otherwise); 960 pixels or
// more on the longer side make three simulcast layers.
const videoSize = /^(\d{2,5})x(\d{2,5})$/.exec((params.get('video') || '').trim());
// ?video=off: join with the microphone only (a viewer: an auction's bidder, a class's student).
const videoOff = (params.get('video') || '').trim() === 'off';

const STATUS_TEXT = {
  idle: 'Not connected', connecting: 'Connecting…', connected: 'Connected',
  reconnecting: 'Reconnecting…', closed: 'Disconnected', error: 'Error',
};

const client = new SFUClient({
  log: (level, ...args) => (level === 'info' ? console.debug : console[level] || console.log)('[sfu]', ...args),
});
const demo = {
  client,
  state: 'idle',
  local: { audio: null, video: null, stream: null },
  /** Remote participants: [{id, name, tracks: [{id, kind, muted, received}]}] */
  participants() {
    return [...client.participants.values()].map((p) => ({
      id: p.id,
      name: p.name,
      identity: p.identity,
      tracks: [...p.tracks.values()].map((t) => ({
        id: t.id, kind: t.kind, muted: !!t.muted, received: client.remoteTracks.has(t.id),
      })),
    }));
  },
};
window.sfuDemo = demo;

function setStatus(state, detail) {
  demo.state = state;
  const el = $('status');
  el.dataset.state = state;
  el.textContent = (STATUS_TEXT[state] || state) + (detail ? ` (${detail})` : '');
}

function notice(text) { $('notice').textContent = text || ''; }

// ---------------------------------------------------------------- remote tiles

const tiles = new Map();   // participantId → {li, video, audio, videoStream, audioStream, label}

function initials(text) {
  return (text || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

function tileFor(participantId) {
  let tile = tiles.get(participantId);
  if (tile) return tile;
  const p = client.participants.get(participantId);
  const displayName = (p && p.name) || 'Guest';
  const li = document.createElement('li');
  li.className = 'tile remote no-video';
  li.id = `tile-${participantId}`;
  li.dataset.participantId = participantId;
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true;            // sound goes through the <audio> element
  video.setAttribute('aria-label', `Video of ${displayName}`);
  const audio = document.createElement('audio');
  audio.autoplay = true;
  const avatar = document.createElement('div');
  avatar.className = 'avatar';
  avatar.setAttribute('aria-hidden', 'true');
  avatar.textContent = initials(displayName);
  const label = document.createElement('p');
  label.className = 'label';
  const nameEl = document.createElement('span');
  nameEl.className = 'name';
  nameEl.textContent = displayName;
  const flags = document.createElement('span');
  flags.className = 'flags';
  label.append(nameEl, ' ', flags);
  li.append(video, avatar, audio, label);
  $('tiles').append(li);
  tile = {
    li, video, audio, flags, hasFrames: false, videoTrackId: null,
    videoStream: new MediaStream(), audioStream: new MediaStream(),
  };
  // The size the video is shown at picks the simulcast layer the server sends (device pixels).
  tile.sizeObserver = new ResizeObserver(() => reportVideoSize(tile));
  tile.sizeObserver.observe(video);
  // Show the avatar until the video has frames (a new track may take a moment).
  video.addEventListener('resize', () => {
    tile.hasFrames = video.videoWidth > 0;
    refreshTile(participantId);
  });
  video.srcObject = tile.videoStream;
  audio.srcObject = tile.audioStream;
  tiles.set(participantId, tile);
  return tile;
}

function reportVideoSize(tile) {
  if (!tile.videoTrackId) return;
  const ratio = window.devicePixelRatio || 1;
  client.setVideoSize(tile.videoTrackId, tile.video.clientWidth * ratio, tile.video.clientHeight * ratio);
}

function removeTile(participantId) {
  const tile = tiles.get(participantId);
  if (!tile) return;
  tile.sizeObserver.disconnect();
  tile.video.srcObject = null;
  tile.audio.srcObject = null;
  tile.li.remove();
  tiles.delete(participantId);
}

/** Flags and the avatar follow the announced tracks and their mute state. */
function refreshTile(participantId) {
  const tile = tiles.get(participantId);
  const p = client.participants.get(participantId);
  if (!tile || !p) return;
  const tracks = [...p.tracks.values()];
  const video = tracks.find((t) => t.kind === 'video');
  const audio = tracks.find((t) => t.kind === 'audio');
  const showVideo = video && !video.muted && tile.hasFrames
    && tile.videoStream.getVideoTracks().length > 0;
  tile.li.classList.toggle('no-video', !showVideo);
  const flags = [];
  if (!audio) flags.push('no microphone');
  else if (audio.muted) flags.push('microphone muted');
  if (!video) flags.push('no camera');
  else if (video.muted) flags.push('camera off');
  tile.flags.textContent = flags.length ? `· ${flags.join(', ')}` : '';
}

function play(el) {
  const p = el.play();
  if (p && p.catch) {
    p.catch((err) => {
      if (err.name === 'NotAllowedError') $('enable-audio').hidden = false;
    });
  }
}

client.on('participant-joined', ({ participant }) => { tileFor(participant.id); refreshTile(participant.id); });
client.on('participant-left', ({ participantId }) => removeTile(participantId));
client.on('track-published', ({ track }) => refreshTile(track.participantId));
client.on('track-unpublished', ({ participantId }) => refreshTile(participantId));
client.on('track-muted', ({ participantId }) => refreshTile(participantId));
// Speakers get an outline, the dominant one a stronger one; ours too (its tile is the local one).
client.on('active-speakers', ({ speakers, dominant }) => {
  for (const li of document.querySelectorAll('.tile')) {
    const id = li.dataset.participantId || (li.classList.contains('local') ? client.participantId : null);
    li.classList.toggle('speaking', id !== null && speakers.includes(id));
    li.classList.toggle('dominant', id !== null && id === dominant);
  }
});
client.on('track-added', ({ participantId, trackId, kind, track }) => {
  const tile = tileFor(participantId);
  if (kind === 'video') {
    tile.videoTrackId = trackId;
    reportVideoSize(tile);
  }
  const stream = kind === 'video' ? tile.videoStream : tile.audioStream;
  for (const old of stream.getTracks()) stream.removeTrack(old);
  stream.addTrack(track);
  if (kind === 'video') tile.hasFrames = tile.video.videoWidth > 0;
  play(kind === 'video' ? tile.video : tile.audio);
  refreshTile(participantId);
});
client.on('track-removed', ({ participantId, track }) => {
  const tile = tiles.get(participantId);
  if (!tile) return;
  for (const stream of [tile.videoStream, tile.audioStream]) {
    if (stream.getTracks().includes(track)) stream.removeTrack(track);
  }
  refreshTile(participantId);
});
client.on('state', ({ state }) => {
  if (state !== 'closed') setStatus(state);
});
client.on('reconnecting', ({ attempt, delay, resume }) => {
  console.debug('[sfu] reconnecting', attempt, delay, resume ? 'resume' : 'fresh');
  setStatus('reconnecting', `attempt ${attempt}`);
});
client.on('connection-state', ({ target, side, state }) => console.debug('[sfu] connection', target, side, state));
client.on('reconnected', ({ resumed }) => {
  console.debug('[sfu] reconnected', resumed ? 'resumed' : 'fresh');
  setStatus('connected');
  notice(resumed ? '' : 'The session was renewed after a long interruption.');
});
client.on('closed', ({ reason }) => {
  setStatus('closed', reason === 'left' ? '' : reason);
  for (const id of [...tiles.keys()]) removeTile(id);
  setControlsEnabled(false);
});
client.on('error', ({ code, message, fatal }) => {
  console.warn('[sfu] error', code, message);
  if (fatal) notice(`Error: ${message || code}`);
});

// ---------------------------------------------------------------- local media, controls

async function getMedia() {
  const video = videoSize ? { width: { ideal: Number(videoSize[1]) }, height: { ideal: Number(videoSize[2]) } } : true;
  const attempts = videoOff ? [{ audio: true }] : [{ audio: true, video }, { video }, { audio: true }];
  for (const constraints of attempts) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      console.warn('[sfu] getUserMedia', constraints, err.name);
    }
  }
  return null;
}

function setControlsEnabled(on) {
  $('mute-mic').disabled = !on || !demo.local.audio;
  $('mute-cam').disabled = !on || !demo.local.video;
  $('leave').disabled = !on;
}

async function toggleMute(kind) {
  const track = demo.local[kind];
  if (!track) return;
  const muted = track.enabled;   // enabled → mute it
  const button = $(kind === 'audio' ? 'mute-mic' : 'mute-cam');
  button.setAttribute('aria-pressed', String(muted));
  if (kind === 'audio') button.textContent = muted ? 'Unmute microphone' : 'Mute microphone';
  else button.textContent = muted ? 'Turn camera on' : 'Turn camera off';
  if (kind === 'video') $('tile-local').classList.toggle('no-video', muted);
  try {
    await client.setMuted(track, muted);
  } catch (err) {
    console.warn('[sfu] mute', err);
  }
  refreshLocalFlags();
}

function refreshLocalFlags() {
  const flags = [];
  if (!demo.local.audio) flags.push('no microphone');
  else if (!demo.local.audio.enabled) flags.push('microphone muted');
  if (!demo.local.video) flags.push('no camera');
  else if (!demo.local.video.enabled) flags.push('camera off');
  document.querySelector('#tile-local .flags').textContent = flags.length ? `· ${flags.join(', ')}` : '';
}

/** `/dev/token` (development mode) answers `{token, room, identity, url?}`. */
async function fetchToken(identity) {
  const q = new URLSearchParams({ room, identity, name });
  // Bounded: during an outage a request without a deadline hangs for minutes (TCP retries).
  const res = await fetch(`/dev/token?${q}`, { cache: 'no-store', signal: AbortSignal.timeout(5000) });
  const text = (await res.text()).trim();
  let body = { token: text };
  if (text.startsWith('{')) body = JSON.parse(text);
  if (!res.ok || !body.token) throw new Error(`token: ${body.error || `HTTP ${res.status}`}`);
  return body;
}

async function start() {
  $('call').hidden = false;
  $('room-label').textContent = `· ${room}`;
  document.title = `${room} · swift-sfu`;
  $('local-name').textContent = `${name} (you)`;
  setStatus('connecting');
  setControlsEnabled(false);

  const identity = `${name}-${Math.random().toString(36).slice(2, 8)}`;
  const mediaPromise = getMedia();
  try {
    // The first token comes with the WebSocket URL; reconnections fetch a fresh token.
    const first = await fetchToken(identity);
    let firstUnused = true;
    const token = async () => {
      if (firstUnused) { firstUnused = false; return first.token; }
      return (await fetchToken(identity)).token;
    };
    await client.connect({ url: first.url || '/ws', token });
  } catch (err) {
    setStatus('error', err.code || err.message);
    notice(`Could not join: ${err.message}`);
    $('leave').disabled = true;
    return;
  }
  const stream = await mediaPromise;
  if (stream) {
    demo.local.stream = stream;
    demo.local.audio = stream.getAudioTracks()[0] || null;
    demo.local.video = stream.getVideoTracks()[0] || null;
    const preview = $('local-video');
    preview.srcObject = new MediaStream(stream.getVideoTracks());
    play(preview);
    for (const track of stream.getTracks()) {
      client.publish(track, { stream, codec: track.kind === 'video' ? videoCodec : null, simulcast: videoLayers })
        .catch((err) => notice(`Could not publish ${track.kind}: ${err.message}`));
    }
  } else {
    notice('No camera or microphone: receiving only.');
  }
  $('tile-local').classList.toggle('no-video', !demo.local.video);
  refreshLocalFlags();
  setControlsEnabled(client.state !== 'closed');
}

$('mute-mic').addEventListener('click', () => toggleMute('audio'));
$('mute-cam').addEventListener('click', () => toggleMute('video'));
$('leave').addEventListener('click', async () => {
  $('leave').disabled = true;
  await client.leave();
  if (demo.local.stream) for (const t of demo.local.stream.getTracks()) t.stop();
  $('local-video').srcObject = null;
  notice('You left the room.');
});
$('enable-audio').addEventListener('click', () => {
  $('enable-audio').hidden = true;
  for (const tile of tiles.values()) { play(tile.audio); play(tile.video); }
});
window.addEventListener('pagehide', () => { if (client.state !== 'closed') client.leave(); });

if (room && name) {
  start();
} else {
  const form = $('join-form');
  form.hidden = false;
  if (room) $('join-room').value = room;
  $('join-name').focus();
}
