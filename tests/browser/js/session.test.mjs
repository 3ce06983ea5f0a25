// TranscriptionSession (whisper_live/web/static/js/session.js) against a scripted stand-in for WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TranscriptionSession } from '../../../whisper_live/web/static/js/session.js';

// A WebSocket double: records what is sent; the test plays the server with serverSends()/drop()/closeClean().
class FakeSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.bufferedAmount = 0;
    FakeSocket.last = this;
    queueMicrotask(() => {
      if (this.refuse) return this._closed(1006);
      this.readyState = 1;
      this.onopen && this.onopen();
    });
  }
  send(data) { this.sent.push(data); }
  close(code = 1000) { if (this.readyState < 2) this._closed(code); }
  serverSends(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
  _closed(code) { this.readyState = 3; this.onclose && this.onclose({ code }); }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function newSession(handlers = {}, opts = {}) {
  const ends = [];
  const session = new TranscriptionSession('ws://h:1/', { language: 'en' }, { ...handlers, onEnd: (e) => ends.push(e) },
    { WebSocketImpl: FakeSocket, finishTimeoutMs: 200, ...opts });
  return { session, ends };
}

test('the API key goes to the socket as ?token=, not into the address shown', async () => {
  const session = new TranscriptionSession('wss://h:1/', { apiKey: 'k&1' }, {}, { WebSocketImpl: FakeSocket });
  session.connect().catch(() => {});
  await tick();
  assert.equal(FakeSocket.last.url, 'wss://h:1/?token=k%261');
  assert.equal(session.url, 'wss://h:1/');
  session.close();
  const plain = new TranscriptionSession('ws://h:1/', {}, {}, { WebSocketImpl: FakeSocket });
  plain.connect().catch(() => {});
  await tick();
  assert.equal(FakeSocket.last.url, 'ws://h:1/');
  plain.close();
});

test('ready, audio, segments, language, END_OF_AUDIO and DISCONNECT', async () => {
  const updates = [];
  const langs = [];
  const { session, ends } = newSession({ onSegments: (t) => updates.push(t.toText()), onLanguage: (l, p) => langs.push([l, p]) });
  const connecting = session.connect();
  await tick();
  const ws = FakeSocket.last;
  const options = JSON.parse(ws.sent[0]);
  assert.equal(options.language, 'en');
  assert.equal(options.uid, session.uid);
  assert.equal(session.sendAudio(new Float32Array(10)), false, 'no audio before SERVER_READY');
  ws.serverSends({ uid: session.uid, message: 'SERVER_READY', backend: 'faster_whisper' });
  assert.equal((await connecting).backend, 'faster_whisper');
  assert.ok(session.sendAudio(Float32Array.from([0.25, -0.5])));
  assert.deepEqual(Array.from(new Float32Array(ws.sent[1])), [0.25, -0.5]);
  ws.serverSends({ uid: session.uid, language: 'en', language_prob: 0.5 });
  ws.serverSends({ uid: session.uid, segments: [{ start: '0.000', end: '1.000', text: ' Hi', completed: false }] });
  const finishing = session.finish();
  assert.equal(new TextDecoder().decode(ws.sent[2]), 'END_OF_AUDIO');
  ws.serverSends({ uid: session.uid, segments: [{ start: '0.000', end: '1.000', text: ' Hi.', completed: true }] });
  ws.serverSends({ uid: session.uid, message: 'DISCONNECT' });
  await finishing;
  assert.deepEqual(updates, ['Hi', 'Hi.']);
  assert.deepEqual(langs, [['en', 0.5]]);
  assert.deepEqual(ends.map((e) => e.reason), ['finished']);
  assert.equal(ws.readyState, 3);
});

test('WAIT rejects connect() with the wait in words', async () => {
  const { session, ends } = newSession();
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, status: 'WAIT', message: 2.2 });
  await assert.rejects(connecting, (err) => err.reason === 'wait' && /about 2 minutes/.test(err.message));
  assert.deepEqual(ends.map((e) => e.reason), ['wait']);
});

test('ERROR rejects connect() with the server\'s reason', async () => {
  const { session } = newSession();
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, status: 'ERROR', message: 'unknown audio_format' });
  await assert.rejects(connecting, (err) => err.reason === 'error' && /unknown audio_format/.test(err.message));
});

test('a dropped connection mid-session is reported once as lost', async () => {
  const { session, ends } = newSession();
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, message: 'SERVER_READY' });
  await connecting;
  FakeSocket.last._closed(1006);
  FakeSocket.last._closed(1006);
  assert.deepEqual(ends.map((e) => [e.reason, /was lost/.test(e.message)]), [['lost', true]]);
  assert.equal(session.sendAudio(new Float32Array(4)), false);
});

test('an unreachable server fails connect() with an address to check', async () => {
  const { session } = newSession();
  const connecting = session.connect();
  FakeSocket.last.refuse = true; // before the socket "opens": it closes with 1006 instead
  await assert.rejects(connecting, (err) => err.reason === 'lost' && /Could not connect .* ws:\/\/h:1\//.test(err.message));
});

test('finish() gives up after its timeout when the server never confirms', async () => {
  const { session, ends } = newSession();
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, message: 'SERVER_READY' });
  await connecting;
  await session.finish();
  assert.equal(ends[0].reason, 'finished');
  assert.match(ends[0].message, /did not confirm/);
});

test('close() before admission rejects connect()', async () => {
  const { session, ends } = newSession();
  const connecting = session.connect();
  session.close();
  await assert.rejects(connecting, (err) => err.reason === 'closed');
  assert.deepEqual(ends.map((e) => e.reason), ['closed']);
});

test('audio is dropped, not queued without bound, when the socket backs up', async () => {
  const { session } = newSession();
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, message: 'SERVER_READY' });
  await connecting;
  FakeSocket.last.bufferedAmount = 10 * 1024 * 1024;
  assert.equal(session.sendAudio(new Float32Array(1600)), false);
  assert.equal(session.droppedSamples, 1600);
});
