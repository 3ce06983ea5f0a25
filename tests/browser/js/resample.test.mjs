// The shared downmix/resampler (whisper_live/web/static/js/resample.js) under node: the same code runs in the
// page's AudioWorklet, Chrome's offscreen document and Firefox's content script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedResampler, StreamResampler, downmix } from '../../../whisper_live/web/static/js/resample.js';

function tone(rate, seconds, freq, amp = 0.5) {
  const x = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < x.length; i++) x[i] = amp * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

// Feed in awkward chunk sizes (1 sample up to ~1000), as audio callbacks do.
function streamThrough(resampler, input) {
  const parts = [];
  let i = 0;
  let size = 1;
  while (i < input.length) {
    parts.push(resampler.process(input.subarray(i, i + size)));
    i += size;
    size = ((size * 7 + 3) % 997) + 1;
  }
  parts.push(resampler.flush());
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// Amplitude of frequency f in x (sampled at rate), by correlation with sin and cos.
function amplitude(x, rate, f) {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i] * Math.sin((2 * Math.PI * f * i) / rate);
    c += x[i] * Math.cos((2 * Math.PI * f * i) / rate);
  }
  return (2 * Math.hypot(s, c)) / x.length;
}

for (const inRate of [8000, 16000, 22050, 44100, 48000, 96000, 44101]) {
  test(`resamples ${inRate} Hz to 16 kHz: length, pitch and phase preserved across chunks`, () => {
    const seconds = 1.5;
    const input = tone(inRate, seconds, 440);
    const out = streamThrough(new StreamResampler(inRate, 16000), input);
    // one output for every 1/16000 s that the input covers
    assert.equal(out.length, Math.ceil((input.length * 16000) / inRate));
    let maxErr = 0;
    for (let n = 300; n < out.length - 300; n++) {
      maxErr = Math.max(maxErr, Math.abs(out[n] - 0.5 * Math.sin((2 * Math.PI * 440 * n) / 16000)));
    }
    assert.ok(maxErr < 1e-3, `max error ${maxErr}`);
  });
}

test('frequencies above 8 kHz are filtered out, not folded into the speech band', () => {
  // 12 kHz at 48 kHz would alias to 4 kHz; 9 kHz at 44.1 kHz to 7 kHz.
  for (const [rate, f, alias] of [[48000, 12000, 4000], [44100, 9000, 7000]]) {
    const out = new StreamResampler(rate, 16000).process(tone(rate, 1, f, 1));
    const steady = out.subarray(200, out.length - 200);
    assert.ok(amplitude(steady, 16000, alias) < 1e-3, `${f} Hz at ${rate} leaked into ${alias} Hz`);
  }
  // while the speech band passes flat up to 6.5 kHz
  for (const f of [100, 1000, 3000, 6000, 6500]) {
    const out = new StreamResampler(48000, 16000).process(tone(48000, 1, f, 1));
    const a = amplitude(out.subarray(200, out.length - 200), 16000, f);
    assert.ok(Math.abs(a - 1) < 0.01, `${f} Hz came out at ${a}`);
  }
});

test('rejects rates that are not positive integers', () => {
  assert.throws(() => new StreamResampler(0, 16000), RangeError);
  assert.throws(() => new StreamResampler(44100.5, 16000), RangeError);
});

test('downmix averages channels', () => {
  const left = Float32Array.from([1, 0.5, -1]);
  const right = Float32Array.from([0, 0.5, 1]);
  assert.deepEqual(Array.from(downmix([left, right])), [0.5, 0.5, 0]);
  assert.deepEqual(Array.from(downmix([left])), [1, 0.5, -1]);
  assert.equal(downmix([]).length, 0);
});

test('ChunkedResampler emits fixed chunks of 16 kHz mono, then the rest on flush', () => {
  const chunks = [];
  const peaks = [];
  const chunker = new ChunkedResampler(48000, { chunkSamples: 1600, onChunk: (c, p) => { chunks.push(c); peaks.push(p); } });
  const left = tone(48000, 1.05, 300, 0.8);
  const right = new Float32Array(left.length);
  for (let i = 0; i < left.length; i += 128) chunker.push([left.subarray(i, i + 128), right.subarray(i, i + 128)]);
  assert.equal(chunks.length, 10);
  assert.ok(chunks.every((c) => c.length === 1600));
  chunker.flush();
  assert.equal(chunks.length, 11);
  assert.equal(chunks.reduce((n, c) => n + c.length, 0), Math.round(16000 * 1.05));
  // left at 0.8 averaged with a silent right channel: 0.4
  assert.ok(Math.abs(peaks[3] - 0.4) < 0.01, `peak ${peaks[3]}`);
  assert.ok(Math.abs(amplitude(chunks[5], 16000, 300) - 0.4) < 0.01);
  // chunks are distinct buffers (a receiver may keep or transfer them)
  assert.notEqual(chunks[0].buffer, chunks[1].buffer);
});
