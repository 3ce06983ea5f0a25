// How a session's audio goes on the wire: Opus where the browser can encode it, PCM as the last resort.
//
//   const sender = await chooseSender(settings.codec, { stream });  // 'auto' (the default) or 'pcm'
//   new TranscriptionSession(url, settings, handlers, { sender });
//
// - OpusPacketSender: WebCodecs' AudioEncoder, raw packets (audio_format "opus"), the bitrate following the
//   link (bitrate.js): the session reports the socket's backlog and the transcript's lag before each chunk.
// - RecorderSender: MediaRecorder of a MediaStream (audio_format "webm" or "ogg") at a fixed 24 kbit/s. Its
//   bitrate cannot change without a new recorder, and a new recorder starts a new container, which the
//   server takes only at the start of a connection; so it does not adapt. It needs the stream of the
//   source, and on a resume the audio of the outage is not sent again (the container cannot be cut there).
// - PcmSender: float32 at 16 kHz, 64000 bytes a second.
// Every sender takes the capture's 16 kHz chunks (push): the Opus packet encoder encodes them, the others
// send them as they are (PCM) or only count them (the recorder has its own stream).
import { SAMPLE_RATE, encodeAudio } from './protocol.js';
import { BitrateAdapter, DEFAULT_KBPS } from './bitrate.js';
import { OpusPacketEncoder, OpusRecorder, recorderType, supportedOpusConfig } from './opus-encoder.js';

export const CODECS = Object.freeze(['auto', 'pcm']);
const BACKLOG_SECONDS = 30; // audio queued in the socket beyond this is dropped, not buffered forever

export class PcmSender {
  constructor() {
    this.kind = 'pcm';
    this.format = 'float32';
    this.sampleRate = SAMPLE_RATE;
    this.resendsAudio = true; // a resumed connection gets the audio after what the server holds
    this.maxBacklogBytes = SAMPLE_RATE * 4 * BACKLOG_SECONDS;
  }

  get label() { return 'pcm'; }

  start(send) { this.send = send; } // a connection (the first, or a resumed one) begins

  push(samples) { this.send(encodeAudio(samples, 'float32')); }

  adapt() { return false; }

  flush() { return null; } // nothing held back

  close() {}
}

export class OpusPacketSender {
  // config: an AudioEncoder configuration that the browser supports (supportedOpusConfig)
  constructor(config, { adaptive = true, clock, encoderImpls = {} } = {}) {
    this.kind = 'webcodecs';
    this.format = 'opus';
    this.sampleRate = config.sampleRate;
    this.resendsAudio = true;
    this.config = config;
    this.adapter = adaptive ? new BitrateAdapter({ startKbps: Math.round(config.bitrate / 1000), clock }) : null;
    this.encoderImpls = encoderImpls;
    this.encoder = null;
    this.changes = 0;
  }

  get kbps() { return this.encoder ? this.encoder.kbps : Math.round(this.config.bitrate / 1000); }

  get label() { return `opus ${this.kbps} kbit/s`; }

  get maxBacklogBytes() { return (this.kbps * 1000 / 8) * BACKLOG_SECONDS; }

  start(send, { onError } = {}) {
    this.send = send;
    if (this.encoder) {
      this.encoder.restart(); // a new connection: a fresh decoder at the server, a fresh encoder here
      return;
    }
    this.encoder = new OpusPacketEncoder(this.config, {
      onPacket: (packet) => this.send(packet), onError: onError || (() => {}), ...this.encoderImpls,
    });
  }

  push(samples) { this.encoder.encode(samples); }

  // Before a chunk: the link's backlog (bytes) and the transcript's lag (seconds, or null). True when the
  // bitrate changed.
  adapt(backlogBytes, lagSeconds) {
    if (!this.adapter || !this.encoder) return false;
    const kbps = this.adapter.update(backlogBytes, lagSeconds);
    if (kbps === this.encoder.kbps) return false;
    this.encoder.setBitrate(kbps);
    this.changes += 1;
    return true;
  }

  flush() { return this.encoder ? this.encoder.flush() : Promise.resolve(); }

  close() { if (this.encoder) this.encoder.close(); }
}

export class RecorderSender {
  constructor(stream, { mimeType, format }, { kbps = DEFAULT_KBPS, MediaRecorderImpl } = {}) {
    this.kind = 'mediarecorder';
    this.format = format;
    this.sampleRate = 48000; // ignored by the server: the container says
    this.resendsAudio = false;
    this.maxBacklogBytes = Infinity; // a container cannot lose a slice
    this.kbps = kbps;
    this.recorder = new OpusRecorder(stream, {
      mimeType, kbps, onData: (bytes) => this.send(bytes), onError: (err) => this.onError(err),
      ...(MediaRecorderImpl ? { MediaRecorderImpl } : {}),
    });
  }

  get label() { return `opus ${this.kbps} kbit/s`; }

  start(send, { onError } = {}) {
    this.send = send;
    this.onError = onError || (() => {});
    this.recorder.start(); // a new container for each connection
  }

  push() {}

  adapt() { return false; }

  flush() { return this.recorder.flush(); }

  close() { this.recorder.stop(); }
}

// The sender for `codec` ('auto': Opus where the browser encodes it, else PCM; 'pcm': PCM). `stream` is the
// source's MediaStream (or a function that makes it), which only MediaRecorder needs.
export async function chooseSender(codec = 'auto', { stream = null, kbps = DEFAULT_KBPS, impls = {} } = {}) {
  if (codec === 'pcm') return new PcmSender();
  const config = await supportedOpusConfig(SAMPLE_RATE, kbps, impls);
  if (config) return new OpusPacketSender(config, { encoderImpls: impls });
  const type = recorderType(impls.MediaRecorderImpl);
  const source = typeof stream === 'function' ? (type ? stream() : null) : stream;
  if (type && source) return new RecorderSender(source, type, { kbps, MediaRecorderImpl: impls.MediaRecorderImpl });
  return new PcmSender();
}
