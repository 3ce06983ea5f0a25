// The bitrate policy (whisper_live/web/static/js/bitrate.js) on a fake clock and a simulated link: the same
// cases as the Python client's policy (tests/unit/client/test_link.py), whose thresholds it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BITRATES_KBPS, BitrateAdapter, DEFAULT_KBPS, DOWN_EVERY, HIGH_BACKLOG, LAG_LIMIT, LONGEST_UP_AFTER, LOW_BACKLOG,
  UP_AFTER, transcriptLag,
} from '../../../whisper_live/web/static/js/bitrate.js';

class Clock {
  constructor() { this.now = 100; }
  read = () => this.now;
}

// A link that carries `capacity` bytes/s; the audio adds bytes at the adapter's bitrate.
class Link {
  constructor(capacity) { this.capacity = capacity; this.backlog = 0; }
  tick(kbps, seconds) {
    this.backlog = Math.max(0, this.backlog + (kbps * 125 - this.capacity) * seconds);
    return Math.floor(this.backlog);
  }
}

function run(adapter, clock, link, seconds, step = 0.1) {
  const history = [];
  for (let i = 0; i < Math.round(seconds / step); i++) {
    clock.now += step;
    history.push(adapter.update(link.tick(adapter.kbps, step)));
  }
  return history;
}

test('the thresholds are those of the Python client', () => {
  assert.deepEqual([...BITRATES_KBPS], [32, 24, 16, 12, 8]);
  assert.deepEqual([DEFAULT_KBPS, HIGH_BACKLOG, LOW_BACKLOG, DOWN_EVERY, UP_AFTER, LONGEST_UP_AFTER, LAG_LIMIT],
    [24, 0.5, 0.1, 1.0, 5.0, 60.0, 4.0]);
  assert.throws(() => new BitrateAdapter({ startKbps: 20 }), /one of 32, 24, 16, 12, 8/);
});

test('steps down while the backlog grows, one step a second at most, until the link keeps up', () => {
  const clock = new Clock();
  const link = new Link(14000 / 8); // room for about 14 kbit/s of audio
  const adapter = new BitrateAdapter({ startKbps: 32, clock: clock.read });
  const history = run(adapter, clock, link, 30);
  assert.equal(history.at(-1), 12);
  const changes = [];
  for (let i = 1; i < history.length; i++) if (history[i] !== history[i - 1]) changes.push(i);
  assert.deepEqual(changes.map((i) => history[i]), [24, 16, 12]);
  for (let k = 1; k < changes.length; k++) assert.ok(changes[k] - changes[k - 1] >= DOWN_EVERY / 0.1 - 1e-9);
  assert.ok(link.backlog < 0.1 * 12 * 125, `drained at 12 kbit/s: ${link.backlog}`);
});

test('a shrinking backlog holds the bitrate', () => {
  const clock = new Clock();
  const adapter = new BitrateAdapter({ startKbps: 16, clock: clock.read });
  let backlog = 40000;
  for (let i = 0; i < 50; i++) { // far above the high mark, but draining
    clock.now += 0.2;
    backlog -= 500;
    assert.equal(adapter.update(backlog), 16);
  }
});

test('steps up after the link kept up for a while, and backs off when that fails', () => {
  const clock = new Clock();
  const link = new Link(20000 / 8); // 16 fits, 24 does not
  const adapter = new BitrateAdapter({ startKbps: 8, clock: clock.read });
  let history = run(adapter, clock, link, UP_AFTER - 0.5);
  assert.deepEqual(new Set(history), new Set([8])); // not before UP_AFTER seconds of a clear link
  history = run(adapter, clock, link, 3 * UP_AFTER);
  assert.ok(history.includes(16) && [16, 24].includes(history.at(-1)), history.join(' '));
  run(adapter, clock, link, 120);
  assert.ok(adapter.upAfter > UP_AFTER && adapter.upAfter <= LONGEST_UP_AFTER, String(adapter.upAfter));
  const tail = run(adapter, clock, link, 60);
  assert.ok(tail.filter((k) => k === 24).length < tail.length / 4);
});

test('a lagging transcript holds a step up; no backlog reading holds everything', () => {
  const clock = new Clock();
  const adapter = new BitrateAdapter({ startKbps: 12, clock: clock.read });
  for (let i = 0; i < 100; i++) {
    clock.now += 0.5;
    assert.equal(adapter.update(0, 9.0), 12);
    assert.equal(adapter.update(null), 12);
  }
  clock.now += 0.5;
  adapter.update(0, 1.0);
  clock.now += UP_AFTER;
  assert.equal(adapter.update(0, 1.0), 16);
});

test('the transcript lag is the audio sent beyond the last segment end', () => {
  assert.equal(transcriptLag(2.5, []), null);
  assert.equal(transcriptLag(2.5, null), null);
  assert.ok(Math.abs(transcriptLag(2.5, [{ end: 0.5 }, { end: '1.200' }]) - 1.3) < 1e-9);
  assert.equal(transcriptLag(1.0, [{ end: 3 }]), 0);
});
