// The shared protocol module against docs/protocol.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  END_OF_AUDIO, buildOptions, describeClose, describeMediaError, describeWait, encodeAudio, endOfAudioFrame,
  parseServerMessage, serverUrl,
} from '../../../whisper_live/web/static/js/protocol.js';

test('options frame: settings mapped to the protocol keys, blanks to null', () => {
  const opts = JSON.parse(buildOptions({ language: 'de', task: 'translate', model: 'base', useVad: false }, 'u1'));
  assert.deepEqual(opts, {
    uid: 'u1', language: 'de', task: 'translate', model: 'base', use_vad: false, send_last_n_segments: 10,
    audio_format: 'float32',
  });
  const defaults = JSON.parse(buildOptions({ language: '', model: '  ', task: 'bogus' }, 'u2'));
  assert.equal(defaults.language, null);
  assert.equal(defaults.model, null);
  assert.equal(defaults.task, 'transcribe');
  assert.equal(defaults.use_vad, true);
  assert.ok(JSON.parse(buildOptions({})).uid.length > 8);
});

test('float32 frames: little-endian, clipped, NaN-free', () => {
  const buf = encodeAudio(Float32Array.from([0.5, -2, 2, NaN, Infinity, -0.25]));
  const view = new DataView(buf);
  const values = [0, 1, 2, 3, 4, 5].map((i) => view.getFloat32(i * 4, true));
  assert.deepEqual(values, [0.5, -1, 1, 0, 0, -0.25]);
});

test('int16 and uint8 frames', () => {
  const i16 = new DataView(encodeAudio(Float32Array.from([1, -1, 0, 0.5]), 'int16'));
  assert.deepEqual([0, 1, 2, 3].map((i) => i16.getInt16(i * 2, true)), [32767, -32768, 0, 16384]);
  assert.deepEqual(Array.from(new Uint8Array(encodeAudio(Float32Array.from([-1, 0, 1]), 'uint8'))), [0, 128, 255]);
  assert.throws(() => encodeAudio(new Float32Array(1), 'mp3'));
});

test('END_OF_AUDIO is the 12 ASCII bytes', () => {
  assert.equal(new TextDecoder().decode(endOfAudioFrame()), END_OF_AUDIO);
  assert.equal(endOfAudioFrame().byteLength, 12);
});

test('server messages', () => {
  assert.deepEqual(parseServerMessage('{"uid":"u","message":"SERVER_READY","backend":"faster_whisper"}'),
    { type: 'ready', uid: 'u', backend: 'faster_whisper', resumeToken: null, resumeWindow: 0, resumed: false,
      audioReceived: 0 });
  assert.deepEqual(parseServerMessage('{"uid":"u","message":"SERVER_READY","backend":"fw","resume_token":"t",'
    + '"resume_window":30,"resumed":true,"audio_received":4.5}'),
  { type: 'ready', uid: 'u', backend: 'fw', resumeToken: 't', resumeWindow: 30, resumed: true, audioReceived: 4.5 });
  assert.deepEqual(parseServerMessage('{"uid":"u","status":"WAIT","message":3.5}'), { type: 'wait', uid: 'u', minutes: 3.5 });
  assert.deepEqual(parseServerMessage('{"uid":"u","status":"ERROR","message":"bad"}'), { type: 'error', uid: 'u', message: 'bad' });
  assert.equal(parseServerMessage('{"uid":"u","status":"WARNING","message":"behind"}').type, 'warning');
  assert.deepEqual(parseServerMessage('{"uid":"u","message":"DISCONNECT"}'), { type: 'disconnect', uid: 'u' });
  assert.deepEqual(parseServerMessage('{"uid":"u","language":"de","language_prob":0.97}'),
    { type: 'language', uid: 'u', language: 'de', probability: 0.97 });
  const seg = parseServerMessage('{"uid":"u","segments":[{"start":"1.230","end":"3.450","text":" Hi.","completed":true},'
    + '{"start":"3.450","end":"4.000","text":" there"}]}');
  assert.equal(seg.type, 'segments');
  assert.deepEqual(seg.segments, [
    { start: 1.23, end: 3.45, text: ' Hi.', completed: true },
    { start: 3.45, end: 4, text: ' there', completed: false },
  ]);
  assert.equal(parseServerMessage('not json').type, 'invalid');
  assert.equal(parseServerMessage('[1]').type, 'invalid');
  assert.equal(parseServerMessage('{"uid":"u"}').type, 'unknown');
});

test('server addresses', () => {
  assert.equal(serverUrl('', { protocol: 'http:', host: 'box:9090' }), 'ws://box:9090/');
  assert.equal(serverUrl('', { protocol: 'https:', host: 'captions.example' }), 'wss://captions.example/');
  assert.equal(serverUrl('', { protocol: 'chrome-extension:', host: 'abc' }), 'ws://localhost:9090/');
  assert.equal(serverUrl('myhost'), 'ws://myhost:9090/');
  assert.equal(serverUrl('myhost:80'), 'ws://myhost/');
  assert.equal(serverUrl('10.1.2.3:7000'), 'ws://10.1.2.3:7000/');
  assert.equal(serverUrl('[::1]:9091'), 'ws://[::1]:9091/');
  assert.equal(serverUrl('wss://proxy.example/asr'), 'wss://proxy.example/asr');
  assert.equal(serverUrl('https://proxy.example/asr'), 'wss://proxy.example/asr');
  assert.equal(serverUrl(' ws://h:1 '), 'ws://h:1/');
  assert.throws(() => serverUrl('http://'));
});

test('messages for people', () => {
  assert.match(describeWait(3.5), /server is full.*about 4 minutes/);
  assert.match(describeWait(1), /about 1 minute\./);
  assert.match(describeWait(0.2), /about a minute/);
  assert.match(describeClose(1006, 'ws://h/'), /was lost/);
  assert.match(describeClose(1011), /closed the connection \(code 1011\)/);
  assert.match(describeMediaError({ name: 'NotAllowedError' }), /Permission to use the microphone was denied/);
  assert.match(describeMediaError({ name: 'NotFoundError' }), /No microphone was found/);
  assert.match(describeMediaError({ name: 'NotReadableError' }), /another application/);
});
