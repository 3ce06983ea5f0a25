// Speakers: the option that asks for them, labels on segments, colours, names, and exports that name them
// (whisper_live/web/static/js/speakers.js, transcript.js, protocol.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOptions, parseServerMessage } from '../../../whisper_live/web/static/js/protocol.js';
import { SPEAKER_COLORS, renamed, speakerColor, speakerName } from '../../../whisper_live/web/static/js/speakers.js';
import { Transcript } from '../../../whisper_live/web/static/js/transcript.js';

const seg = (start, end, text, speaker, completed = true) => ({ start, end, text, completed, speaker });

test('the speakers setting asks for diarization; without it nothing is asked', () => {
  assert.equal(JSON.parse(buildOptions({ speakers: true }, 'u')).enable_diarization, true);
  assert.equal('enable_diarization' in JSON.parse(buildOptions({}, 'u')), false);
  assert.equal('enable_diarization' in JSON.parse(buildOptions({ speakers: false }, 'u')), false);
});

test('segments keep their speaker label', () => {
  const msg = parseServerMessage(JSON.stringify({ uid: 'u', segments: [
    { start: '0.000', end: '1.000', text: ' Hi.', completed: true, speaker: 'SPEAKER_01' },
    { start: '1.000', end: '2.000', text: ' Yo.', completed: true, speaker: null },
  ] }));
  assert.equal(msg.segments[0].speaker, 'SPEAKER_01');
  assert.equal('speaker' in msg.segments[1], false);
});

test('colours are stable by label: numbered labels in order, names by their text', () => {
  assert.equal(speakerColor('SPEAKER_00'), SPEAKER_COLORS[0]);
  assert.equal(speakerColor('SPEAKER_01'), SPEAKER_COLORS[1]);
  assert.notEqual(speakerColor('SPEAKER_00'), speakerColor('SPEAKER_01'));
  assert.equal(speakerColor(`SPEAKER_${SPEAKER_COLORS.length}`), SPEAKER_COLORS[0]);
  assert.equal(speakerColor('Ann'), speakerColor('Ann'));
  assert.ok(SPEAKER_COLORS.includes(speakerColor('Ann')));
});

test('names: a rename applies to its label; a blank name goes back to the label', () => {
  let names = renamed({}, 'SPEAKER_00', '  Ann ');
  assert.deepEqual(names, { SPEAKER_00: 'Ann' });
  assert.equal(speakerName('SPEAKER_00', names), 'Ann');
  assert.equal(speakerName('SPEAKER_01', names), 'SPEAKER_01');
  assert.equal(speakerName(undefined, names), null);
  names = renamed(names, 'SPEAKER_00', '');
  assert.deepEqual(names, {});
});

test('exports name the speakers, with the names given', () => {
  const t = new Transcript();
  t.update([seg(0, 1, ' Hello.', 'SPEAKER_00'), seg(1, 2, ' How are you?', 'SPEAKER_00'),
    seg(2.5, 3, ' Fine & you?', 'SPEAKER_01'), seg(3, 4, ' Good.', 'SPEAKER_00', false)]);
  const names = { SPEAKER_00: 'Ann' };
  assert.equal(t.toText({ names }), 'Ann: Hello. How are you?\nSPEAKER_01: Fine & you?\nAnn: Good.');
  assert.equal(t.toSRT({ names, includePartial: false }),
    '1\n00:00:00,000 --> 00:00:01,000\nAnn: Hello.\n\n2\n00:00:01,000 --> 00:00:02,000\nAnn: How are you?\n\n'
    + '3\n00:00:02,500 --> 00:00:03,000\nSPEAKER_01: Fine & you?\n');
  assert.equal(t.toVTT({ names, includePartial: false }),
    'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Ann>Hello.\n\n00:00:01.000 --> 00:00:02.000\n<v Ann>How are you?\n\n'
    + '00:00:02.500 --> 00:00:03.000\n<v SPEAKER_01>Fine &amp; you?\n');
  const data = JSON.parse(t.toJSONFile({ names, includePartial: false }));
  assert.deepEqual(data.speakers, ['Ann', 'SPEAKER_01']);
  assert.deepEqual(data.segments.map((s) => s.speaker), ['Ann', 'Ann', 'SPEAKER_01']);
  assert.equal(data.text, 'Hello. How are you? Fine & you?');
});

test('without speakers the exports are as before', () => {
  const t = new Transcript();
  t.update([{ start: 0, end: 1, text: ' One.', completed: true }, { start: 1, end: 2, text: ' Two.', completed: true }]);
  assert.equal(t.toText(), 'One.\nTwo.');
  assert.equal(t.toVTT(), 'WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nOne.\n\n00:00:01.000 --> 00:00:02.000\nTwo.\n');
  const data = JSON.parse(t.toJSONFile());
  assert.equal('speakers' in data, false);
  assert.equal('speaker' in data.segments[0], false);
});
