// Reconnect and resume (whisper_live/web/static/js/reconnect.js, session.js) against a scripted WebSocket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AudioHistory, retryDelays, resumeUrl } from '../../../whisper_live/web/static/js/reconnect.js';
import { TranscriptionSession } from '../../../whisper_live/web/static/js/session.js';

class FakeSocket {
  static all = [];
  static refuseNext = 0;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.bufferedAmount = 0;
    FakeSocket.all.push(this);
    const refuse = FakeSocket.refuseNext > 0;
    if (refuse) FakeSocket.refuseNext -= 1;
    queueMicrotask(() => {
      if (refuse) return this._closed(1006);
      this.readyState = 1;
      this.onopen && this.onopen();
    });
  }
  static get last() { return FakeSocket.all[FakeSocket.all.length - 1]; }
  send(data) { this.sent.push(data); }
  close(code = 1000) { if (this.readyState < 2) this._closed(code); }
  serverSends(obj) { this.onmessage({ data: JSON.stringify(obj) }); }
  drop() { this._closed(1006); } // no close frame
  _closed(code) { this.readyState = 3; this.onclose && this.onclose({ code }); }
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const until = async (condition) => { for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10)); };
const floats = (buffer) => Array.from(new Float32Array(buffer));
const text = (frame) => (typeof frame === 'string' ? frame : new TextDecoder().decode(frame));

async function readySession(ready = { resume_token: 'tok', resume_window: 5 }) {
  FakeSocket.all = [];
  const events = [];
  const session = new TranscriptionSession('ws://h:1/', { language: 'en' }, {
    onEnd: (e) => events.push(['end', e.reason, e.message]),
    onReconnecting: ({ attempt }) => events.push(['reconnecting', attempt]),
    onResumed: ({ audioReceived }) => events.push(['resumed', audioReceived]),
  }, { WebSocketImpl: FakeSocket, finishTimeoutMs: 2000 });
  const connecting = session.connect();
  await tick();
  FakeSocket.last.serverSends({ uid: session.uid, message: 'SERVER_READY', backend: 'fw', ...ready });
  await connecting;
  return { session, events, first: FakeSocket.last };
}

test('retry delays double up to a bound and stay within the window', () => {
  assert.deepEqual(retryDelays(2), [250, 500, 1000]);
  const long = retryDelays(30);
  assert.ok(long.reduce((a, b) => a + b, 0) <= 30000);
  assert.equal(Math.max(...long), 4000);
  assert.deepEqual(retryDelays(0), []);
});

test('the audio history keeps the last window and cuts at a sample', () => {
  const history = new AudioHistory(1 / 16000 * 4); // 4 samples
  history.add(Float32Array.from([1, 2, 3]));
  history.add(Float32Array.from([4, 5]));
  history.add(Float32Array.from([6, 7]));
  assert.equal(history.start, 3); // [1, 2, 3] dropped: 4 samples are still held without it
  assert.deepEqual(history.since(4).map((c) => Array.from(c)), [[5], [6, 7]]);
  assert.deepEqual(history.since(0).map((c) => Array.from(c)), [[4, 5], [6, 7]]);
  assert.deepEqual(history.since(7), []);
});

test('the resume URL carries the uid for a load balancer', () => {
  assert.equal(resumeUrl('ws://h:1/', 'a b'), 'ws://h:1/?uid=a+b');
  assert.equal(resumeUrl('wss://h/x?k=1', 'u'), 'wss://h/x?k=1&uid=u');
});

test('a dropped connection is resumed: token sent, audio from audio_received again, then what came meanwhile', async () => {
  const { session, events, first } = await readySession();
  assert.ok(session.sendAudio(Float32Array.from([0.1, 0.2])));
  assert.ok(session.sendAudio(Float32Array.from([0.3, 0.4])));
  first.drop();
  assert.equal(session.state, 'reconnecting');
  assert.ok(session.sendAudio(Float32Array.from([0.5])), 'audio captured while reconnecting is kept');
  FakeSocket.refuseNext = 1; // the first attempt finds the network still down
  await until(() => FakeSocket.all.length === 3 && FakeSocket.last.sent.length === 1);
  const second = FakeSocket.last;
  assert.match(second.url, /\?uid=/);
  const options = JSON.parse(second.sent[0]);
  assert.equal(options.resume, true);
  assert.equal(options.resume_token, 'tok');
  assert.equal(options.uid, session.uid);
  second.serverSends({ uid: session.uid, message: 'SERVER_READY', resumed: true, audio_received: 3 / 16000,
    resume_token: 'tok', resume_window: 5 });
  assert.equal(session.state, 'ready');
  // the server held 3 samples: the 4th and the one captured meanwhile go again
  assert.deepEqual(second.sent.slice(1).map(floats).flat().map((x) => Math.round(x * 10)), [4, 5]);
  assert.deepEqual(events.map((e) => e[0]), ['reconnecting', 'reconnecting', 'resumed']);
  second.serverSends({ uid: session.uid, segments: [{ start: '0.000', end: '1.000', text: ' Hi.', completed: true }] });
  const finishing = session.finish();
  assert.equal(text(second.sent[second.sent.length - 1]), 'END_OF_AUDIO');
  second.serverSends({ uid: session.uid, message: 'DISCONNECT' });
  await finishing;
  assert.equal(session.transcript.toText(), 'Hi.');
  assert.deepEqual(events[events.length - 1].slice(0, 2), ['end', 'finished']);
  assert.equal(session.resumes, 1);
});

test('a drop while finishing resumes and sends END_OF_AUDIO again', async () => {
  const { session, events, first } = await readySession();
  session.sendAudio(Float32Array.from([0.1]));
  const finishing = session.finish();
  first.drop();
  await until(() => FakeSocket.all.length === 2 && FakeSocket.last.sent.length === 1);
  const second = FakeSocket.last;
  second.serverSends({ uid: session.uid, message: 'SERVER_READY', resumed: true, audio_received: 1 / 16000 });
  assert.equal(text(second.sent[second.sent.length - 1]), 'END_OF_AUDIO');
  second.serverSends({ uid: session.uid, message: 'DISCONNECT' });
  await finishing;
  assert.deepEqual(events.map((e) => e.slice(0, 2)), [['reconnecting', 1], ['resumed', 1 / 16000], ['end', 'finished']]);
});

test('a resume the server refuses ends the session as lost, with its reason', async () => {
  const { events, first, session } = await readySession();
  first.drop();
  await until(() => FakeSocket.all.length === 2 && FakeSocket.last.sent.length === 1);
  FakeSocket.last.serverSends({ uid: session.uid, status: 'ERROR', message: 'no session to resume' });
  assert.deepEqual(events.map((e) => e.slice(0, 2)), [['reconnecting', 1], ['end', 'lost']]);
  assert.match(events[1][2], /no session to resume/);
  assert.equal(session.sendAudio(Float32Array.from([0.1])), false);
});

test('retries are bounded by the resume window', async () => {
  const { events, first } = await readySession({ resume_token: 'tok', resume_window: 0.8 });
  FakeSocket.refuseNext = 10;
  first.drop();
  await until(() => events.some((e) => e[0] === 'end'));
  assert.deepEqual(events.map((e) => e.slice(0, 2)), [['reconnecting', 1], ['reconnecting', 2], ['end', 'lost']]);
  FakeSocket.refuseNext = 0;
});

test('a server that offers no resume: a drop ends the session at once', async () => {
  const { events, first } = await readySession({});
  first.drop();
  await tick();
  assert.deepEqual(events.map((e) => e.slice(0, 2)), [['end', 'lost']]);
});
