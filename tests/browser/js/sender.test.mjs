// How audio goes on the wire (sender.js, opus-encoder.js) and a session that sends Opus (session.js), with
// stand-ins for WebCodecs' AudioEncoder/AudioData, MediaRecorder and WebSocket. The real encoders run in the
// browser tests (tests/browser/test_opus_*.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OpusPacketSender, PcmSender, RecorderSender, chooseSender,
} from '../../../whisper_live/web/static/js/sender.js';
import { FRAME_MICROSECONDS } from '../../../whisper_live/web/static/js/opus-encoder.js';
import { TranscriptionSession } from '../../../whisper_live/web/static/js/session.js';
import { BitrateAdapter } from '../../../whisper_live/web/static/js/bitrate.js';

// An AudioEncoder double: each encode() gives one packet [encoder number, chunk number, kbps] a little later;
// flush() resolves once those are out. Every call is logged in FakeEncoder.log.
class FakeEncoder {
  static log = [];
  static count = 0;
  static takesOpusOptions = true;
  static async isConfigSupported(config) {
    if (config.opus && !FakeEncoder.takesOpusOptions) throw new TypeError('unknown member opus');
    return { supported: config.codec === 'opus', config };
  }
  constructor({ output, error }) {
    this.id = ++FakeEncoder.count;
    this.output = output;
    this.error = error;
    this.state = 'unconfigured';
    this.pending = [];
    this.n = 0;
  }
  configure(config) { this.config = config; this.state = 'configured'; FakeEncoder.log.push(['configure', this.id, config.bitrate]); }
  encode(data) {
    const bytes = Uint8Array.from([this.id, ++this.n, this.config.bitrate / 1000]);
    FakeEncoder.log.push(['encode', this.id, data.numberOfFrames, data.timestamp]);
    const out = new Promise((r) => setTimeout(r, 1)).then(() => {
      if (this.state !== 'closed') this.output({ byteLength: 3, copyTo: (dest) => new Uint8Array(dest).set(bytes) });
    });
    this.pending.push(out);
  }
  flush() { FakeEncoder.log.push(['flush', this.id]); return Promise.all(this.pending).then(() => {}); }
  close() { this.state = 'closed'; FakeEncoder.log.push(['close', this.id]); }
}

class FakeAudioData {
  constructor(init) { Object.assign(this, init); this.closed = false; }
  close() { this.closed = true; }
}

// A MediaRecorder double: the test hands out slices with deliver(); stop() delivers the last one.
class FakeRecorder {
  static types = ['audio/webm;codecs=opus'];
  static last = null;
  static isTypeSupported(type) { return FakeRecorder.types.includes(type); }
  constructor(stream, options) {
    this.stream = stream;
    this.options = options;
    this.state = 'inactive';
    this.listeners = {};
    FakeRecorder.last = this;
  }
  addEventListener(name, fn) { (this.listeners[name] ||= []).push(fn); }
  emit(name, event = {}) { (this.listeners[name] || []).forEach((fn) => fn(event)); }
  start(slice) { this.slice = slice; this.state = 'recording'; }
  deliver(text) { this.emit('dataavailable', { data: new Blob([text]) }); }
  stop() { this.state = 'inactive'; this.deliver('last'); this.emit('stop'); }
}

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.bufferedAmount = 0;
    FakeSocket.all.push(this);
    queueMicrotask(() => { this.readyState = 1; this.onopen && this.onopen(); });
  }
  static get last() { return FakeSocket.all[FakeSocket.all.length - 1]; }
  send(data) { this.sent.push(data); }
  close(code = 1000) { if (this.readyState < 2) { this.readyState = 3; this.onclose && this.onclose({ code }); } }
  serverSends(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
  drop() { this.readyState = 3; this.onclose && this.onclose({ code: 1006 }); }
}

const impls = { AudioEncoderImpl: FakeEncoder, AudioDataImpl: FakeAudioData };
const tick = () => new Promise((r) => setTimeout(r, 0));
const until = async (condition) => { for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5)); };
const packets = (ws) => ws.sent.filter((f) => typeof f !== 'string' && f.byteLength === 3).map((f) => Array.from(new Uint8Array(f)));
const text = (frame) => (typeof frame === 'string' ? frame : new TextDecoder().decode(frame));

async function openSession(sender) {
  FakeSocket.all = [];
  const labels = [];
  const ends = [];
  const session = new TranscriptionSession('ws://h:1/', { language: 'en' }, {
    onCodec: (label) => labels.push(label), onEnd: (e) => ends.push(e.reason),
  }, { WebSocketImpl: FakeSocket, finishTimeoutMs: 2000, sender });
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, message: 'SERVER_READY', backend: 'fw', resume_token: 'tok', resume_window: 5 });
  await connecting;
  return { session, labels, ends, ws: FakeSocket.last };
}

test('the codec: WebCodecs Opus first, then MediaRecorder (webm, ogg), PCM last or when asked', async () => {
  FakeEncoder.takesOpusOptions = true;
  const stream = { id: 'tab' };
  assert.ok((await chooseSender('pcm', { impls })) instanceof PcmSender);
  const opus = await chooseSender('auto', { impls });
  assert.ok(opus instanceof OpusPacketSender);
  assert.deepEqual([opus.format, opus.sampleRate, opus.label], ['opus', 16000, 'opus 24 kbit/s']);
  assert.equal(opus.config.opus.frameDuration, FRAME_MICROSECONDS);
  FakeEncoder.takesOpusOptions = false; // a browser without the Opus options: 20 ms packets, its default
  assert.equal((await chooseSender('auto', { impls })).config.opus, undefined);
  FakeEncoder.takesOpusOptions = true;

  const noWebCodecs = { AudioEncoderImpl: undefined, AudioDataImpl: undefined, MediaRecorderImpl: FakeRecorder };
  let asked = 0;
  const recorder = await chooseSender('auto', { impls: noWebCodecs, stream: () => { asked += 1; return stream; } });
  assert.ok(recorder instanceof RecorderSender);
  assert.deepEqual([recorder.format, recorder.label, asked], ['webm', 'opus 24 kbit/s', 1]);
  FakeRecorder.types = ['audio/ogg;codecs=opus'];
  assert.equal((await chooseSender('auto', { impls: noWebCodecs, stream })).format, 'ogg');
  assert.ok((await chooseSender('auto', { impls: noWebCodecs })) instanceof PcmSender, 'no stream to record: PCM');
  FakeRecorder.types = [];
  assert.ok((await chooseSender('auto', { impls: noWebCodecs, stream })) instanceof PcmSender);
  FakeRecorder.types = ['audio/webm;codecs=opus'];
});

test('an Opus session: options, packets in order, the bitrate stepping down while the socket backs up', async () => {
  const clock = { now: 10 };
  const sender = await chooseSender('auto', { impls });
  sender.adapter = new BitrateAdapter({ startKbps: 24, clock: () => clock.now });
  FakeEncoder.log = [];
  const { session, labels, ws } = await openSession(sender);
  const options = JSON.parse(ws.sent[0]);
  assert.equal(options.audio_format, 'opus');
  assert.equal(options.sample_rate, undefined, '16 kHz, the default rate');
  assert.deepEqual(labels, ['opus 24 kbit/s']);
  const chunk = new Float32Array(1600);
  for (let i = 0; i < 3; i++) assert.ok(session.sendAudio(chunk));
  await until(() => packets(ws).length === 3);
  const first = packets(ws)[0][0];
  assert.deepEqual(packets(ws), [[first, 1, 24], [first, 2, 24], [first, 3, 24]]);
  assert.deepEqual(FakeEncoder.log.filter((e) => e[0] === 'encode').map((e) => e[3]), [0, 100000, 200000]);

  // 3 s of audio at 24 kbit/s wait in the socket and do not shrink: one step down a second.
  ws.bufferedAmount = 9000;
  for (let i = 0; i < 25; i++) {
    clock.now += 0.1;
    session.sendAudio(chunk);
  }
  assert.deepEqual(labels, ['opus 24 kbit/s', 'opus 16 kbit/s', 'opus 12 kbit/s']);
  await until(() => FakeEncoder.log.filter((e) => e[0] === 'configure').length === 3);
  const steps = FakeEncoder.log.filter((e) => e[0] !== 'encode');
  assert.deepEqual(steps.slice(1), [['flush', first], ['configure', first, 16000], ['flush', first], ['configure', first, 12000]],
    'each change: flush, then configure with the new bitrate');
  session.sendAudio(chunk); // given after the change: encoded at 12 kbit/s
  await until(() => packets(ws).length === 29);
  assert.equal(packets(ws).at(-1)[2], 12);

  // Far behind (30 s at 12 kbit/s): audio is dropped rather than queued without bound.
  ws.bufferedAmount = 12000 / 8 * 31;
  assert.equal(session.sendAudio(chunk), false);
  assert.equal(session.droppedSamples, 1600);

  // The end: the encoder's last packets, then END_OF_AUDIO.
  ws.bufferedAmount = 0;
  session.sendAudio(chunk);
  const finishing = session.finish();
  await until(() => ws.sent.length && text(ws.sent.at(-1)) === 'END_OF_AUDIO');
  assert.deepEqual(packets(ws).at(-1).slice(1), [30, 12]);
  ws.serverSends({ uid: session.uid, message: 'DISCONNECT' });
  await finishing;
  assert.equal(FakeEncoder.log.at(-1)[0], 'close', 'the encoder is closed with the session');
});

test('the transcript lag is measured from the segments against the audio sent', async () => {
  const sender = await chooseSender('auto', { impls });
  const { session, ws } = await openSession(sender);
  for (let i = 0; i < 30; i++) session.sendAudio(new Float32Array(1600)); // 3 s
  ws.serverSends({ uid: session.uid, segments: [{ start: '0.000', end: '1.250', text: ' a', completed: false }] });
  assert.ok(Math.abs(session.lagSeconds - 1.75) < 1e-9, String(session.lagSeconds));
  session.close();
});

test('a resumed Opus session starts a fresh encoder and encodes again the audio after what the server holds', async () => {
  const sender = await chooseSender('auto', { impls });
  const { session, ws: first } = await openSession(sender);
  const chunk = (v) => new Float32Array(1600).fill(v);
  session.sendAudio(chunk(0.1));
  session.sendAudio(chunk(0.2));
  const oldEncoder = sender.encoder.encoder.id;
  first.drop();
  session.sendAudio(chunk(0.3)); // while reconnecting: kept
  await until(() => FakeSocket.all.length >= 2 && FakeSocket.last.sent.length === 1);
  const second = FakeSocket.last;
  FakeEncoder.log = [];
  second.serverSends({ uid: session.uid, message: 'SERVER_READY', resumed: true, audio_received: 0.1, resume_token: 'tok', resume_window: 5 });
  assert.deepEqual(FakeEncoder.log.slice(0, 2).map((e) => e[0]), ['close', 'configure']);
  const fresh = sender.encoder.encoder.id;
  assert.notEqual(fresh, oldEncoder);
  // the server held 0.1 s: the 2nd chunk and the one captured meanwhile are encoded again, from timestamp 0
  assert.deepEqual(FakeEncoder.log.filter((e) => e[0] === 'encode').map((e) => [e[1], e[3]]), [[fresh, 0], [fresh, 100000]]);
  await until(() => packets(second).length === 2);
  assert.deepEqual(packets(second), [[fresh, 1, 24], [fresh, 2, 24]]);
  assert.equal(packets(first).filter((p) => p[0] === fresh).length, 0);
  session.close();
});

test('MediaRecorder: a container at a fixed bitrate, slices in order, never dropped, the last before END_OF_AUDIO', async () => {
  FakeRecorder.types = ['audio/webm;codecs=opus'];
  const stream = { id: 'mic' };
  const sender = await chooseSender('auto', { impls: { MediaRecorderImpl: FakeRecorder, AudioEncoderImpl: null }, stream });
  const { session, labels, ws } = await openSession(sender);
  assert.equal(JSON.parse(ws.sent[0]).audio_format, 'webm');
  const rec = FakeRecorder.last;
  assert.equal(rec.stream, stream);
  assert.deepEqual(rec.options, { mimeType: 'audio/webm;codecs=opus', audioBitsPerSecond: 24000 });
  assert.ok(rec.slice >= 100 && rec.slice <= 250, String(rec.slice));
  rec.deliver('head');
  rec.deliver('one');
  ws.bufferedAmount = 10 << 20; // a container cannot lose a slice: the recorder's bytes still go
  assert.equal(session.sendAudio(new Float32Array(1600)), true);
  for (let i = 0; i < 30; i++) session.sendAudio(new Float32Array(1600));
  assert.deepEqual(labels, ['opus 24 kbit/s'], 'no adaptation with MediaRecorder');
  const finishing = session.finish();
  await until(() => ws.sent.length && text(ws.sent.at(-1)) === 'END_OF_AUDIO');
  assert.deepEqual(ws.sent.slice(1).map(text), ['head', 'one', 'last', 'END_OF_AUDIO']);
  ws.serverSends({ uid: session.uid, message: 'DISCONNECT' });
  await finishing;
});

test('MediaRecorder on a resumed connection: a new recorder, so a new container; the old one is silenced', async () => {
  const sender = await chooseSender('auto', { impls: { MediaRecorderImpl: FakeRecorder, AudioEncoderImpl: null }, stream: {} });
  const { session, ws: first } = await openSession(sender);
  const old = FakeRecorder.last;
  old.deliver('head1');
  await until(() => first.sent.length === 2);
  first.drop();
  await until(() => FakeSocket.all.length >= 2 && FakeSocket.last.sent.length === 1);
  const second = FakeSocket.last;
  second.serverSends({ uid: session.uid, message: 'SERVER_READY', resumed: true, audio_received: 0.2, resume_token: 'tok', resume_window: 5 });
  assert.notEqual(FakeRecorder.last, old);
  assert.equal(old.state, 'inactive');
  FakeRecorder.last.deliver('head2');
  await until(() => second.sent.length === 2);
  await tick();
  assert.deepEqual(second.sent.slice(1).map(text), ['head2']);
  assert.deepEqual(first.sent.slice(1).map(text), ['head1']);
  session.close();
});
