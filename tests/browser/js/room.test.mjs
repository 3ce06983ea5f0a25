// The room panel's pure parts and the room fields of the shared protocol module (docs/rooms.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOptions, parseServerMessage } from '../../../whisper_live/web/static/js/protocol.js';
import { ROOM_NAME, qrAddress, withRoom } from '../../../whisper_live/web/static/js/room.js';

test('a publisher names its room, its speaker and whether readers need a token; others send none', () => {
  const opts = JSON.parse(buildOptions({ room: 'hall', speakerName: 'Ann', roomPublic: true }, 'u1'));
  assert.deepEqual([opts.room, opts.speaker_name, opts.room_public], ['hall', 'Ann', true]);
  const plain = JSON.parse(buildOptions({ room: '', speakerName: 'Ann' }, 'u2'));
  assert.ok(!('room' in plain) && !('speaker_name' in plain) && !('room_public' in plain));
});

test("SERVER_READY's room link, and none without a room", () => {
  const ready = parseServerMessage(JSON.stringify({
    uid: 'u', message: 'SERVER_READY', backend: 'fw', room: 'hall', room_public: false,
    room_page: 'http://h:8000/captions/hall?token=t',
  }));
  assert.deepEqual(ready.room, { name: 'hall', page: 'http://h:8000/captions/hall?token=t', public: false });
  assert.ok(!('room' in parseServerMessage('{"uid":"u","message":"SERVER_READY"}')));
});

test('the WebSocket URL carries ?room= for the load balancer; the QR code comes from the link\'s server', () => {
  assert.equal(withRoom('ws://h:9090/', 'hall.2'), 'ws://h:9090/?room=hall.2');
  assert.equal(withRoom('ws://h:9090/?token=k', 'hall'), 'ws://h:9090/?token=k&room=hall');
  assert.equal(withRoom('ws://h:9090/', ''), 'ws://h:9090/');
  assert.equal(qrAddress('http://h:8000/captions/hall?token=t'),
    'http://h:8000/v1/rooms/hall/qr.svg?url=http%3A%2F%2Fh%3A8000%2Fcaptions%2Fhall%3Ftoken%3Dt');
  assert.ok(ROOM_NAME.test('hall-2_b.c') && !ROOM_NAME.test('-x') && !ROOM_NAME.test('a b'));
});
