// The WhisperLive wire protocol for browsers (docs/protocol.md): the one place where the page and both
// extensions build the options frame, encode audio frames and read the server's messages.
// Plain ES module without imports, so that the extension build can also turn it into a classic script.

export const SAMPLE_RATE = 16000;
export const END_OF_AUDIO = 'END_OF_AUDIO';
export const DEFAULT_PORT = 9090;
export const TASKS = ['transcribe', 'translate'];
export const AUDIO_FORMATS = ['float32', 'int16', 'uint8'];

// Settings as the page and the extensions keep them; buildOptions() turns them into the options frame.
export const DEFAULT_SETTINGS = Object.freeze({
  server: '',            // "host:port" or a ws:// / wss:// URL; '' means "where the page came from"
  language: '',          // '' = detect
  task: 'transcribe',
  speakers: false,       // ask for speaker labels (enable_diarization): segments then carry `speaker`
  model: '',             // '' = the server's default
  useVad: true,
  apiKey: '',            // the server's API key ('' = none), sent as ?token= (browsers cannot set headers)
});

// Whisper's languages, code -> English name.
export const LANGUAGES = Object.freeze({
  en: 'English', zh: 'Chinese', de: 'German', es: 'Spanish', ru: 'Russian', ko: 'Korean', fr: 'French',
  ja: 'Japanese', pt: 'Portuguese', tr: 'Turkish', pl: 'Polish', ca: 'Catalan', nl: 'Dutch', ar: 'Arabic',
  sv: 'Swedish', it: 'Italian', id: 'Indonesian', hi: 'Hindi', fi: 'Finnish', vi: 'Vietnamese', he: 'Hebrew',
  uk: 'Ukrainian', el: 'Greek', ms: 'Malay', cs: 'Czech', ro: 'Romanian', da: 'Danish', hu: 'Hungarian',
  ta: 'Tamil', no: 'Norwegian', th: 'Thai', ur: 'Urdu', hr: 'Croatian', bg: 'Bulgarian', lt: 'Lithuanian',
  la: 'Latin', mi: 'Maori', ml: 'Malayalam', cy: 'Welsh', sk: 'Slovak', te: 'Telugu', fa: 'Persian',
  lv: 'Latvian', bn: 'Bengali', sr: 'Serbian', az: 'Azerbaijani', sl: 'Slovenian', kn: 'Kannada',
  et: 'Estonian', mk: 'Macedonian', br: 'Breton', eu: 'Basque', is: 'Icelandic', hy: 'Armenian',
  ne: 'Nepali', mn: 'Mongolian', bs: 'Bosnian', kk: 'Kazakh', sq: 'Albanian', sw: 'Swahili', gl: 'Galician',
  mr: 'Marathi', pa: 'Punjabi', si: 'Sinhala', km: 'Khmer', sn: 'Shona', yo: 'Yoruba', so: 'Somali',
  af: 'Afrikaans', oc: 'Occitan', ka: 'Georgian', be: 'Belarusian', tg: 'Tajik', sd: 'Sindhi',
  gu: 'Gujarati', am: 'Amharic', yi: 'Yiddish', lo: 'Lao', uz: 'Uzbek', fo: 'Faroese', ht: 'Haitian Creole',
  ps: 'Pashto', tk: 'Turkmen', nn: 'Nynorsk', mt: 'Maltese', sa: 'Sanskrit', lb: 'Luxembourgish',
  my: 'Myanmar', bo: 'Tibetan', tl: 'Tagalog', mg: 'Malagasy', as: 'Assamese', tt: 'Tatar', haw: 'Hawaiian',
  ln: 'Lingala', ha: 'Hausa', ba: 'Bashkir', jw: 'Javanese', su: 'Sundanese', yue: 'Cantonese',
});

export function languageName(code) {
  return LANGUAGES[code] || code;
}

export function makeUid() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  return 'uid-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 10);
}

function blankToNull(value) {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  return text === '' || text === 'auto' ? null : text;
}

// The first frame of a session (a JSON string), from the settings above.
export function buildOptions(settings = {}, uid = makeUid()) {
  const s = { ...DEFAULT_SETTINGS, ...settings };
  const task = TASKS.includes(s.task) ? s.task : 'transcribe';
  const options = {
    uid,
    language: blankToNull(s.language),
    task,
    model: blankToNull(s.model),
    use_vad: s.useVad !== false,
    send_last_n_segments: 10,
    audio_format: 'float32',
  };

  if (s.speakers === true) options.enable_diarization = true;
  return JSON.stringify(options);
}

// A WebSocket URL from what a person typed ("host", "host:port", "ws://host:port/path", "http://…"), or
// from the page's own location when the setting is empty. http(s) pages get ws(s).
export function serverUrl(address, pageLocation = globalThis.location) {
  let text = (address || '').trim();
  if (!text) {
    if (!pageLocation || !/^https?:$/.test(pageLocation.protocol)) return `ws://localhost:${DEFAULT_PORT}/`;
    const scheme = pageLocation.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${pageLocation.host}/`;
  }
  // With a scheme, the URL is taken as written; without one, the port defaults to the server's 9090.
  if (/^https?:\/\//i.test(text)) text = text.replace(/^http/i, 'ws');
  const hasScheme = /^wss?:\/\//i.test(text);
  const url = new URL(hasScheme ? text : `ws://${text}`);
  const explicitPort = /^(\[[^\]]*\]|[^/:]*):\d+(\/|$)/.test(text);
  if (!hasScheme && !explicitPort) url.port = String(DEFAULT_PORT);
  return url.toString();
}

// The WebSocket address with the API key as ?token=KEY (what browsers can send; the server also takes a
// Bearer header). Only the socket gets this address: the one shown to the user stays without the key.
export function withToken(url, apiKey) {
  if (!apiKey) return url;
  const u = new URL(url);
  u.searchParams.set('token', apiKey);
  return u.toString();
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// One binary audio frame: 16 kHz mono samples in [-1, 1] encoded as `format`, little-endian.
export function encodeAudio(samples, format = 'float32') {
  const n = samples.length;
  if (format === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = samples[i];
      out[i] = Number.isFinite(x) ? (x > 1 ? 1 : x < -1 ? -1 : x) : 0;
    }
    if (LITTLE_ENDIAN) return out.buffer;
    const view = new DataView(new ArrayBuffer(n * 4));
    for (let i = 0; i < n; i++) view.setFloat32(i * 4, out[i], true);
    return view.buffer;
  }
  if (format === 'int16') {
    const view = new DataView(new ArrayBuffer(n * 2));
    for (let i = 0; i < n; i++) {
      const x = Number.isFinite(samples[i]) ? Math.max(-1, Math.min(1, samples[i])) : 0;
      view.setInt16(i * 2, Math.round(x < 0 ? x * 32768 : x * 32767), true);
    }
    return view.buffer;
  }
  if (format === 'uint8') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = Number.isFinite(samples[i]) ? Math.max(-1, Math.min(1, samples[i])) : 0;
      out[i] = Math.round((x + 1) * 127.5);
    }
    return out.buffer;
  }
  throw new Error(`unknown audio format: ${format}`);
}

export function endOfAudioFrame() {
  return new TextEncoder().encode(END_OF_AUDIO).buffer;
}

function toSeconds(value) {
  const x = typeof value === 'number' ? value : parseFloat(value);
  return Number.isFinite(x) ? x : 0;
}

export function normalizeSegment(seg) {
  const out = {
    start: toSeconds(seg.start),
    end: toSeconds(seg.end),
    text: typeof seg.text === 'string' ? seg.text : String(seg.text ?? ''),
    completed: seg.completed === true,
  };
  if (Array.isArray(seg.words)) out.words = seg.words;
  if (seg.speaker != null && String(seg.speaker).trim() !== '') out.speaker = String(seg.speaker);
  return out;
}

// A server message (text frame) as one event:
// {type: 'ready'|'wait'|'error'|'warning'|'disconnect'|'segments'|'language'|'unknown'|'invalid', ...}
export function parseServerMessage(data) {
  let msg;
  try {
    msg = typeof data === 'string' ? JSON.parse(data) : data;
  } catch (err) {
    return { type: 'invalid', raw: data };
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return { type: 'invalid', raw: data };
  const uid = msg.uid ?? null;
  if (msg.status === 'WAIT') {
    const minutes = toSeconds(msg.message);
    return { type: 'wait', uid, minutes };
  }
  if (msg.status === 'ERROR') return { type: 'error', uid, message: String(msg.message ?? 'unknown error') };
  if (msg.status === 'WARNING') return { type: 'warning', uid, message: String(msg.message ?? '') };
  if (msg.message === 'SERVER_READY') {
    // resumeToken: the session can be resumed after a drop; resumed / audioReceived: this is such a resume
    return {
      type: 'ready', uid, backend: msg.backend ?? null, resumeToken: msg.resume_token ?? null,
      resumeWindow: Number(msg.resume_window) || 0, resumed: msg.resumed === true,
      audioReceived: Number(msg.audio_received) || 0,
    };
  }
  if (msg.message === 'DISCONNECT') return { type: 'disconnect', uid };
  if (Array.isArray(msg.segments)) return { type: 'segments', uid, segments: msg.segments.map(normalizeSegment) };
  if (typeof msg.language === 'string') {
    const p = Number(msg.language_prob);
    return { type: 'language', uid, language: msg.language, probability: Number.isFinite(p) ? p : null };
  }
  return { type: 'unknown', uid, message: msg };
}

// Text a person can act on.
export function describeWait(minutes) {
  const m = Number.isFinite(minutes) && minutes > 0 ? minutes : 0;
  let wait;
  if (m === 0) wait = 'a slot should free up soon';
  else if (m < 1) wait = 'about a minute';
  else wait = `about ${Math.round(m)} minute${Math.round(m) === 1 ? '' : 's'}`;
  return `The server is full: every transcription slot is in use. Estimated wait: ${wait}. Please try again then.`;
}

export function describeClose(code, url) {
  const where = url ? ` (${url})` : '';
  if (code === 1006 || code === undefined) {
    return `Connection to the transcription server${where} was lost. Check that the server is running and reachable, then press Start again.`;
  }
  return `The transcription server${where} closed the connection (code ${code}). Press Start to begin a new session.`;
}

export function describeConnectFailure(url) {
  return `Could not connect to the transcription server at ${url}. Check that it is running, that the address is right, and that the API key in the settings is right if the server asks for one.`;
}

// getUserMedia / getDisplayMedia failures, by DOMException name.
export function describeMediaError(err, what = 'microphone') {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') {
    return `Permission to use the ${what} was denied. Allow ${what} access for this site (the icon in the address bar, or the browser's site settings), then press Start again.`;
  }
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError') {
    return `No ${what} was found. Connect one and press Start again.`;
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return `The ${what} could not be opened: another application may be using it.`;
  }
  return `The ${what} could not be used: ${(err && err.message) || err}`;
}
