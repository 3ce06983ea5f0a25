// Opus encoders of the browser: WebCodecs' AudioEncoder (raw packets; the bitrate changes on the fly) and
// MediaRecorder (a WebM or Ogg byte stream in slices; the bitrate is fixed for a recorder's life).
// Plain ES module without imports.

export const FRAME_MICROSECONDS = 60000; // 60 ms packets, as the Python client sends: less header per second
export const RECORDER_TYPES = Object.freeze([
  { mimeType: 'audio/webm;codecs=opus', format: 'webm' },
  { mimeType: 'audio/ogg;codecs=opus', format: 'ogg' },
]);
export const RECORDER_SLICE_MS = 200; // how often MediaRecorder hands over what it wrote

// AudioEncoder configurations to try, best first (a browser that does not take the Opus options gets the
// plain one, with 20 ms packets).
export function opusConfigs(sampleRate, kbps) {
  const base = { codec: 'opus', sampleRate, numberOfChannels: 1, bitrate: kbps * 1000 };
  return [{ ...base, opus: { frameDuration: FRAME_MICROSECONDS } }, base];
}

// The first configuration the browser's AudioEncoder takes for raw Opus packets, or null.
export async function supportedOpusConfig(sampleRate, kbps, { AudioEncoderImpl = globalThis.AudioEncoder,
  AudioDataImpl = globalThis.AudioData } = {}) {
  if (typeof AudioEncoderImpl !== 'function' || typeof AudioDataImpl !== 'function'
      || typeof AudioEncoderImpl.isConfigSupported !== 'function') return null;
  for (const config of opusConfigs(sampleRate, kbps)) {
    try {
      const answer = await AudioEncoderImpl.isConfigSupported(config);
      if (answer && answer.supported) return config;
    } catch (err) {
      // a TypeError for an option this browser does not know: try the next configuration
    }
  }
  return null;
}

// Raw Opus packets from 16 kHz (or `config.sampleRate`) mono float32 chunks: encode(samples) -> onPacket(ArrayBuffer)
// for each packet, in order. setBitrate() takes effect after what was given before it (flush, then configure).
// restart() drops everything pending and starts a fresh encoder (a new connection's stream).
export class OpusPacketEncoder {
  constructor(config, { onPacket, onError = () => {}, AudioEncoderImpl = globalThis.AudioEncoder,
    AudioDataImpl = globalThis.AudioData } = {}) {
    this.config = { ...config };
    this.onPacket = onPacket;
    this.onError = onError;
    this.AudioEncoderImpl = AudioEncoderImpl;
    this.AudioDataImpl = AudioDataImpl;
    this.encoder = null;
    this.restart();
  }

  get kbps() {
    return Math.round(this.config.bitrate / 1000);
  }

  restart() {
    this.close();
    const encoder = new this.AudioEncoderImpl({
      output: (chunk) => {
        if (this.encoder !== encoder) return; // a former encoder's last packets: not for this stream
        const packet = new ArrayBuffer(chunk.byteLength);
        chunk.copyTo(packet);
        this.onPacket(packet);
      },
      error: (err) => { if (this.encoder === encoder) this.onError(err); },
    });
    encoder.configure(this.config);
    this.encoder = encoder;
    this.frames = 0;
    this._reconfigured = Promise.resolve();
  }

  encode(samples) {
    const encoder = this.encoder;
    if (!encoder || encoder.state !== 'configured' || samples.length === 0) return;
    const data = new this.AudioDataImpl({
      format: 'f32', sampleRate: this.config.sampleRate, numberOfFrames: samples.length, numberOfChannels: 1,
      timestamp: Math.round((this.frames * 1e6) / this.config.sampleRate), data: samples,
    });
    this.frames += samples.length;
    try {
      encoder.encode(data);
    } finally {
      data.close();
    }
  }

  setBitrate(kbps) {
    if (kbps === this.kbps) return;
    this.config = { ...this.config, bitrate: kbps * 1000 };
    const encoder = this.encoder;
    const config = this.config;
    this._reconfigured = this._reconfigured
      .then(() => encoder.flush())
      .then(() => { if (encoder.state === 'configured') encoder.configure(config); })
      .catch(() => {}); // closed meanwhile (restart, end): the new encoder has the new bitrate
  }

  // Every packet of the audio given so far has gone to onPacket (the last one padded with silence).
  async flush() {
    const encoder = this.encoder;
    await this._reconfigured;
    if (encoder && encoder.state === 'configured') await encoder.flush().catch(() => {});
  }

  close() {
    const encoder = this.encoder;
    this.encoder = null;
    if (encoder && encoder.state !== 'closed') {
      try { encoder.close(); } catch (err) { /* closed already */ }
    }
  }
}

// The container MediaRecorder records Opus in here ({mimeType, format}), or null.
export function recorderType(MediaRecorderImpl = globalThis.MediaRecorder) {
  if (typeof MediaRecorderImpl !== 'function' || typeof MediaRecorderImpl.isTypeSupported !== 'function') return null;
  return RECORDER_TYPES.find((t) => MediaRecorderImpl.isTypeSupported(t.mimeType)) || null;
}

// MediaRecorder of a MediaStream at a fixed bitrate: start() begins a fresh container (its headers first),
// whose slices go to onData(ArrayBuffer) in order; a former recording's slices are dropped. flush() stops
// the recording and resolves once its last slice went to onData.
export class OpusRecorder {
  constructor(stream, { mimeType, kbps, onData, onError = () => {}, sliceMs = RECORDER_SLICE_MS,
    MediaRecorderImpl = globalThis.MediaRecorder } = {}) {
    Object.assign(this, { stream, mimeType, kbps, onData, onError, sliceMs, MediaRecorderImpl });
    this.current = null; // {recorder, live, delivered: Promise, stopped: Promise}
  }

  start() {
    this.stop();
    const recorder = new this.MediaRecorderImpl(this.stream, { mimeType: this.mimeType, audioBitsPerSecond: this.kbps * 1000 });
    const run = { recorder, live: true, delivered: Promise.resolve() };
    run.stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve, { once: true }));
    recorder.addEventListener('dataavailable', (event) => {
      if (!event.data || event.data.size === 0) return;
      const blob = event.data;
      run.delivered = run.delivered.then(() => blob.arrayBuffer()).then((bytes) => { if (run.live) this.onData(bytes); });
    });
    recorder.addEventListener('error', (event) => { if (run.live) this.onError(event.error || new Error('MediaRecorder failed')); });
    recorder.start(this.sliceMs);
    this.current = run;
  }

  async flush() {
    const run = this.current;
    if (!run) return;
    if (run.recorder.state !== 'inactive') run.recorder.stop();
    await run.stopped;
    await run.delivered.catch(() => {});
    run.live = false;
  }

  stop() {
    const run = this.current;
    this.current = null;
    if (!run) return;
    run.live = false;
    if (run.recorder.state !== 'inactive') {
      try { run.recorder.stop(); } catch (err) { /* stopped already */ }
    }
  }
}
