// The page: pick a source (microphone or file), stream it to the server, show the transcript as it comes.
import { DEFAULT_SETTINGS, LANGUAGES, languageName, serverUrl } from './js/protocol.js';
import { TranscriptionSession } from './js/session.js';
import { audioStarts, createCapture, openMicrophone } from './js/capture.js';
import { chooseSender } from './js/sender.js';
import { download, formatClock } from './js/transcript.js';
import { relabelChips, renamed, speakerChip, speakerColor } from './js/speakers.js';
import { ROOM_NAME, clearRoom, lockRoom, readRoom, showRoom, withRoom } from './js/room.js';

const $ = (id) => document.getElementById(id);
const ui = {
  start: $('start'), stop: $('stop'), status: $('status'), error: $('error'), level: $('level'),
  file: $('file'), player: $('player'), segments: $('segments'), partial: $('partial'),
  placeholder: $('placeholder'), transcript: $('transcript'), languageInfo: $('language-info'),
  copy: $('copy'), txt: $('download-txt'), srt: $('download-srt'), clear: $('clear'),
  language: $('language'), task: $('task'), model: $('model'), vad: $('vad'), server: $('server'),
  apiKey: $('apiKey'), speakers: $('speakers'), vtt: $('download-vtt'), json: $('download-json'),
  speakersHint: $('speakers-hint'), codec: $('codec'), codecInfo: $('codec-info'),
};

const STORAGE_KEY = 'whisper-live.settings';
let session = null;     // the TranscriptionSession in progress
let capture = null;     // {stop()} of the audio graph
let micStream = null;
let audioContext = null;
let mediaSource = null; // MediaElementAudioSourceNode of the player (one per element, kept)
let fileTap = null;     // MediaStreamAudioDestinationNode of the player, for MediaRecorder (made when needed)
let lastTranscript = null;
let speakerNames = {};  // speaker label -> the name the user gave it (click a name to rename)
let busy = false;

// ---- settings --------------------------------------------------------------------------------------------
for (const [code, name] of Object.entries(LANGUAGES).sort((a, b) => a[1].localeCompare(b[1]))) {
  ui.language.add(new Option(`${name} (${code})`, code));
}

function loadSettings() {
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(STORAGE_KEY) || '{}'); } catch (err) { saved = {}; }
  const s = { ...DEFAULT_SETTINGS, ...saved };
  ui.language.value = s.language || '';
  ui.task.value = s.task;
  ui.model.value = s.model || '';
  ui.vad.checked = s.useVad !== false;
  ui.speakers.checked = s.speakers === true;
  ui.server.value = s.server || '';
  ui.apiKey.value = s.apiKey || '';
  ui.codec.value = s.codec === 'pcm' ? 'pcm' : 'auto';
}

function readSettings() {
  return {
    language: ui.language.value,
    task: ui.task.value,
    model: ui.model.value.trim(),
    useVad: ui.vad.checked,
    speakers: ui.speakers.checked,
    server: ui.server.value.trim(),
    apiKey: ui.apiKey.value.trim(),
    codec: ui.codec.value,
  };
}

for (const el of [ui.language, ui.task, ui.model, ui.vad, ui.server, ui.apiKey, ui.speakers, ui.codec]) {
  el.addEventListener('change', () => {
    try { localStorage.setItem(STORAGE_KEY, JSON.stringify(readSettings())); } catch (err) { /* private mode */ }
  });
}
loadSettings();

// ---- source ---------------------------------------------------------------------------------------------
function source() {
  return document.querySelector('input[name=source]:checked').value;
}

function updateSource() {
  const isFile = source() === 'file';
  ui.file.hidden = !isFile;
  ui.player.hidden = !isFile || !ui.player.src;
  if (!busy) {
    setStatus(isFile
      ? (ui.player.src ? 'Press Start to play the file and transcribe it.' : 'Choose an audio or video file.')
      : 'Ready. Press Start to transcribe your microphone.');
  }
}
document.querySelectorAll('input[name=source]').forEach((el) => el.addEventListener('change', updateSource));

ui.file.addEventListener('change', () => {
  const file = ui.file.files[0];
  if (!file) return;
  if (ui.player.src) URL.revokeObjectURL(ui.player.src);
  ui.player.src = URL.createObjectURL(file);
  ui.player.classList.toggle('audio-only', file.type.startsWith('audio/'));
  updateSource();
});

// ---- status and errors --------------------------------------------------------------------------------------
function setStatus(text) {
  ui.status.textContent = text;
}

// How the audio goes to the server: "opus 24 kbit/s" (the bitrate as it follows the link), or "pcm".
function showCodec(label) {
  ui.codecInfo.textContent = label;
  ui.codecInfo.hidden = !label;
}

function showError(text) {
  ui.error.textContent = text;
  ui.error.hidden = !text;
}

function setBusy(value) {
  busy = value;
  lockRoom(value);
  ui.start.disabled = value;
  ui.stop.disabled = !value;
  document.querySelectorAll('input[name=source], #file').forEach((el) => { el.disabled = value; });
}

// ---- transcript view ----------------------------------------------------------------------------------------
function render(transcript) {
  lastTranscript = transcript;
  const shown = ui.segments.children.length;
  for (const seg of transcript.completed.slice(shown)) {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.textContent = formatClock(seg.start);
    const text = document.createElement('span');
    text.textContent = seg.text.trim();
    if (seg.speaker) {
      // A speaker's lines in its colour; its name (a chip that renames it) where its turn starts.
      const previous = ui.segments.lastElementChild;
      li.classList.add('has-speaker');
      li.dataset.speaker = seg.speaker;
      li.style.setProperty('--speaker-color', speakerColor(seg.speaker));
      const said = document.createElement('div');
      said.className = 'said';
      if (!previous || previous.dataset.speaker !== seg.speaker) said.append(speakerChip(seg.speaker, speakerNames, renameSpeaker));
      said.append(text);
      li.append(time, said);
    } else {
      li.append(time, text);
    }
    ui.segments.append(li);
  }
  ui.speakersHint.hidden = !transcript.completed.some((seg) => seg.speaker);
  ui.partial.textContent = transcript.partial.map((s) => s.text.trim()).join(' ').trim();
  const empty = transcript.isEmpty;
  ui.placeholder.hidden = !empty;
  for (const b of exportButtons()) b.disabled = empty;
  const nearBottom = ui.transcript.scrollHeight - ui.transcript.scrollTop - ui.transcript.clientHeight < 60;
  if (nearBottom) ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

function showLanguage(code, probability) {
  ui.languageInfo.hidden = false;
  const pct = probability == null ? '' : ` · ${Math.round(probability * 100)}%`;
  ui.languageInfo.textContent = `Language: ${languageName(code)}${pct}`;
  ui.languageInfo.dataset.language = code;
}

function clearTranscript() {
  clearRoom();
  ui.segments.replaceChildren();
  ui.partial.textContent = '';
  ui.placeholder.hidden = false;
  ui.languageInfo.hidden = true;
  lastTranscript = null;
  speakerNames = {};
  ui.speakersHint.hidden = true;
  for (const b of exportButtons()) b.disabled = true;
}

function exportButtons() {
  return [ui.copy, ui.txt, ui.srt, ui.vtt, ui.json, ui.clear];
}

// A new name for a speaker: every line of theirs and every download shows it.
function renameSpeaker(label, name) {
  speakerNames = renamed(speakerNames, label, name);
  relabelChips(ui.segments, speakerNames);
}

function baseName() {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
  return `transcript-${stamp}`;
}

ui.copy.addEventListener('click', async () => {
  if (!lastTranscript) return;
  try {
    await navigator.clipboard.writeText(lastTranscript.toText({ names: speakerNames }));
    setStatus('Transcript copied to the clipboard.');
  } catch (err) {
    // Clipboard API refused (insecure page or no permission): select the text so Ctrl+C works.
    const range = document.createRange();
    range.selectNodeContents(ui.transcript);
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    setStatus('The browser refused clipboard access; the transcript is selected, press Ctrl+C to copy it.');
  }
});
const exports = {
  txt: [(t, names) => t.toText({ names }) + '\n', 'text/plain'],
  srt: [(t, names) => t.toSRT({ names }), 'application/x-subrip'],
  vtt: [(t, names) => t.toVTT({ names }), 'text/vtt'],
  json: [(t, names) => t.toJSONFile({ names }), 'application/json'],
};
for (const [ext, [text, type]] of Object.entries(exports)) {
  ui[ext].addEventListener('click', () => lastTranscript && download(`${baseName()}.${ext}`, text(lastTranscript, speakerNames), type));
}
ui.clear.addEventListener('click', () => { if (!busy) clearTranscript(); });

// ---- audio --------------------------------------------------------------------------------------------------
function context() {
  if (!audioContext || audioContext.state === 'closed') audioContext = new AudioContext({ latencyHint: 'interactive' });
  return audioContext;
}

function releaseAudio() {
  if (micStream) {
    micStream.getTracks().forEach((t) => t.stop());
    micStream = null;
  }
  ui.level.value = 0;
}

function onAudio(samples, peak) {
  ui.level.value = Math.min(1, peak * 1.5);
  if (source() === 'file' && (ui.player.paused || ui.player.ended)) return;
  if (session) session.sendAudio(samples);
}

// ---- start / stop -------------------------------------------------------------------------------------------
async function start() {
  showError('');
  const mode = source();
  if (mode === 'file' && !ui.player.src) {
    showError('Choose an audio or video file first.');
    return;
  }
  const settings = { ...readSettings(), ...readRoom() };
  if (settings.room && !ROOM_NAME.test(settings.room)) {
    showError('A room name is 1 to 64 letters, digits, "-", "_" or ".", starting with a letter or digit.');
    return;
  }
  setBusy(true);
  let url;
  try {
    url = withRoom(serverUrl(settings.server, location), settings.room);
  } catch (err) {
    showError(`The server address "${settings.server}" is not valid.`);
    setBusy(false);
    return;
  }
  clearTranscript();
  const ctx = context();
  if (!(await audioStarts(ctx))) {
    showError('The browser did not start its audio engine (Firefox cannot where it finds no sound output device): connect or enable a sound output, then try again.');
    setBusy(false);
    return;
  }
  let node;
  try {
    if (mode === 'mic') {
      setStatus('Asking for the microphone…');
      micStream = await openMicrophone();
      node = ctx.createMediaStreamSource(micStream);
    } else {
      if (!mediaSource) {
        mediaSource = ctx.createMediaElementSource(ui.player);
        mediaSource.connect(ctx.destination); // keep the file audible
      }
      node = mediaSource;
    }
  } catch (err) {
    showError(err.message);
    setStatus('Not started.');
    releaseAudio();
    setBusy(false);
    return;
  }

  // MediaRecorder (where WebCodecs has no Opus encoder) records the source's own stream.
  const sourceStream = () => {
    if (mode === 'mic') return micStream;
    if (!fileTap || fileTap.context !== ctx) {
      fileTap = ctx.createMediaStreamDestination();
      mediaSource.connect(fileTap);
    }
    return fileTap.stream;
  };
  const sender = await chooseSender(settings.codec, { stream: sourceStream });
  showCodec('');
  setStatus(`Connecting to ${url}…`);
  session = new TranscriptionSession(url, settings, {
    onReady: (ready) => showRoom(ready.room),
    onSegments: (transcript) => render(transcript),
    onLanguage: (code, p) => showLanguage(code, p),
    onWarning: (text) => setStatus(`Server: ${text}`),
    onReconnecting: ({ attempt }) => setStatus(`Connection lost: reconnecting… (attempt ${attempt})`),
    onResumed: () => setStatus('Resumed: the session goes on, nothing was lost.'),
    onEnd: (end) => onSessionEnd(end),
    onCodec: (label) => showCodec(label),
  }, { sender });
  const current = session;
  try {
    await session.connect();
  } catch (err) {
    return; // onEnd has shown why
  }
  if (current !== session) return;
  try {
    capture = await createCapture(ctx, node, { onAudio });
  } catch (err) {
    showError(`Audio capture failed: ${err.message}`);
    session.close();
    return;
  }
  if (mode === 'file') {
    ui.player.currentTime = 0;
    ui.player.onended = () => stop();
    try {
      await ui.player.play();
    } catch (err) {
      setStatus('Press play on the player to start the file.');
      return;
    }
    setStatus('Transcribing the file…');
  } else {
    setStatus('Listening… speak now.');
  }
}

async function stop() {
  if (!session) return;
  ui.stop.disabled = true;
  const current = session;
  setStatus('Finishing: waiting for the last words…');
  if (source() === 'file') ui.player.pause();
  if (capture) {
    const c = capture;
    capture = null;
    await c.stop();
  }
  releaseAudio();
  await current.finish();
}

function onSessionEnd({ reason, message }) {
  const ended = session;
  session = null;
  if (capture) {
    const c = capture;
    capture = null;
    c.stop().catch(() => {});
  }
  releaseAudio();
  if (source() === 'file') ui.player.pause();
  ui.player.onended = null;
  setBusy(false);
  if (ended && ended.transcript) render(ended.transcript);
  if (reason === 'finished' || reason === 'closed') {
    setStatus(message);
  } else if (reason === 'disconnect') {
    setStatus(message);
  } else {
    showError(message);
    setStatus(reason === 'wait' ? 'Server full.' : 'Stopped.');
  }
  document.body.dataset.lastEnd = reason;
}

ui.start.addEventListener('click', () => { start().catch((err) => { showError(String(err.message || err)); setBusy(false); }); });
ui.stop.addEventListener('click', () => { stop().catch((err) => showError(String(err.message || err))); });
window.addEventListener('pagehide', () => { if (session) session.close(); });
updateSource();
