// Transcript merging and TXT/SRT export (whisper_live/web/static/js/transcript.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transcript, formatClock, formatTimestamp } from '../../../whisper_live/web/static/js/transcript.js';

const seg = (start, end, text, completed = true) => ({ start, end, text, completed });

test('completed segments are kept once; partials replaced by each update', () => {
  const t = new Transcript();
  assert.deepEqual(t.update([seg(0, 1, ' Hello', false)]), []);
  assert.deepEqual(t.partial.map((s) => s.text), [' Hello']);
  const added = t.update([seg(0, 1.2, ' Hello there.'), seg(1.2, 2, ' How', false)]);
  assert.deepEqual(added.map((s) => s.text), [' Hello there.']);
  // the "last n" window repeats the committed segment: not added twice
  assert.deepEqual(t.update([seg(0, 1.2, ' Hello there.'), seg(1.2, 2.5, ' How are you?')]).map((s) => s.text),
    [' How are you?']);
  t.update([seg(0, 1.2, ' Hello there.'), seg(1.2, 2.5, ' How are you?')]);
  assert.equal(t.completed.length, 2);
  assert.deepEqual(t.partial, []);
  assert.equal(t.toText(), 'Hello there.\nHow are you?');
});

test("the server's open repeat of the last completed segment is not in progress", () => {
  const t = new Transcript();
  t.update([seg(0, 1, ' One.'), seg(1, 2, ' tw', false)]);
  assert.deepEqual(t.update([seg(0, 1, ' One.'), seg(1, 2, ' Two.')]).map((s) => s.text), [' Two.']);
  assert.deepEqual(t.update([seg(1, 2, ' Two.', false)]), []);
  assert.deepEqual(t.partial, []);
  assert.equal(t.toText(), 'One.\nTwo.');
  assert.equal((t.toSRT().match(/Two\./g) || []).length, 1);
  // an open segment that differs from the last completed one is in progress
  t.update([seg(2, 3, ' Two.', false)]);
  assert.equal(t.toText(), 'One.\nTwo.\nTwo.');
});

test('a window that slid past old segments does not drop or reorder them', () => {
  const t = new Transcript();
  const all = Array.from({ length: 14 }, (_, i) => seg(i, i + 1, ` s${i}`));
  for (let n = 1; n <= all.length; n++) t.update(all.slice(Math.max(0, n - 10), n));
  assert.deepEqual(t.completed.map((s) => s.text.trim()), all.map((s) => s.text.trim()));
});

test('SRT and TXT include the partial text unless excluded', () => {
  const t = new Transcript();
  t.update([seg(0, 1.5, ' One.'), seg(61.25, 3723.5, ' Two.'), seg(3723.5, 3724, ' thr', false)]);
  assert.equal(t.toSRT({ includePartial: false }),
    '1\n00:00:00,000 --> 00:00:01,500\nOne.\n\n2\n00:01:01,250 --> 01:02:03,500\nTwo.\n');
  assert.match(t.toSRT(), /3\n01:02:03,500 --> 01:02:04,000\nthr\n$/);
  assert.equal(t.toText(), 'One.\nTwo.\nthr');
  assert.equal(t.toText({ includePartial: false }), 'One.\nTwo.');
});

test('empty segments are skipped in exports; isEmpty', () => {
  const t = new Transcript();
  assert.ok(t.isEmpty);
  t.update([seg(0, 1, '  ', false)]);
  assert.ok(t.isEmpty);
  assert.equal(t.toSRT(), '');
});

test('JSON round trip (extension state)', () => {
  const t = new Transcript();
  t.update([seg(0, 1, ' a'), seg(1, 2, ' b', false)]);
  t.setLanguage('de', 0.9);
  const back = Transcript.fromJSON(JSON.parse(JSON.stringify(t)));
  assert.equal(back.toText(), 'a\nb');
  assert.equal(back.language, 'de');
  assert.equal(Transcript.fromJSON(null).isEmpty, true);
});

test('timestamps', () => {
  assert.equal(formatTimestamp(0), '00:00:00,000');
  assert.equal(formatTimestamp(3723.4996), '01:02:03,500');
  assert.equal(formatTimestamp(5.5, '.'), '00:00:05.500');
  assert.equal(formatTimestamp(-1), '00:00:00,000');
  assert.equal(formatClock(65), '01:05');
  assert.equal(formatClock(3725), '1:02:05');
});
