// Downmix to mono and resample to 16 kHz, in a stream: chunks of any size go in, 16 kHz samples come out,
// with no gaps or clicks between chunks. Used inside the AudioWorklet (capture-worklet.js) and by the
// ScriptProcessor fallback. Plain ES module without imports (the extension build can turn it into a classic
// script for the Firefox content script).
//
// The resampler is a windowed-sinc interpolator: output sample n sits at input position n * inRate / outRate,
// and is the sum of the input samples around it weighted by a Blackman-windowed sinc whose cutoff lies just
// under the lower of the two Nyquist frequencies, so downsampling 48 kHz to 16 kHz does not fold 8-24 kHz
// into the speech band. Positions are tracked with integers (no drift over hours); the fractional offsets
// repeat with period outRate / gcd(inRate, outRate), so the kernels are tabulated once per phase.

export function downmix(channels, out) {
  const count = channels ? channels.length : 0;
  if (count === 0) return out || new Float32Array(0);
  const n = channels[0].length;
  const mono = out && out.length === n ? out : new Float32Array(n);
  if (count === 1) {
    mono.set(channels[0]);
    return mono;
  }
  const scale = 1 / count;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < count; c++) sum += channels[c][i];
    mono[i] = sum * scale;
  }
  return mono;
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

const MAX_PHASES = 4096;

export class StreamResampler {
  constructor(inRate, outRate = 16000, { zeroCrossings = 16, rolloff = 0.94 } = {}) {
    if (!(inRate > 0 && outRate > 0) || !Number.isInteger(inRate) || !Number.isInteger(outRate)) {
      throw new RangeError(`sample rates must be positive integers, got ${inRate} -> ${outRate}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.passthrough = inRate === outRate;
    if (this.passthrough) return;
    const g = gcd(inRate, outRate);
    this.den = outRate / g;            // fractional positions are multiples of 1/den input samples
    this.stepInt = Math.floor(inRate / outRate);
    this.stepRem = (inRate / g) % this.den;
    this.phases = Math.min(this.den, MAX_PHASES);
    const cutoff = Math.min(1, outRate / inRate) * rolloff; // fraction of the input Nyquist
    this.half = Math.ceil(zeroCrossings / cutoff);        // kernel half-width, input samples
    const width = 2 * this.half;
    this.table = new Float32Array(this.phases * width);
    for (let p = 0; p < this.phases; p++) {
      const frac = p / this.phases;
      let sum = 0;
      for (let k = 0; k < width; k++) {
        // tap k multiplies input sample (i - half + 1 + k); its distance from the output position i + frac:
        const d = frac + this.half - 1 - k;
        const x = d * cutoff;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const w = d / this.half; // -1..1
        const win = Math.abs(w) >= 1 ? 0 : 0.42 + 0.5 * Math.cos(Math.PI * w) + 0.08 * Math.cos(2 * Math.PI * w);
        const h = sinc * win;
        this.table[p * width + k] = h;
        sum += h;
      }
      for (let k = 0; k < width; k++) this.table[p * width + k] /= sum; // unity gain at DC
    }
    // Input history: `buf` holds samples from absolute index `bufStart`; before the first sample, zeros.
    this.buf = new Float32Array(width + 4096);
    this.bufLen = this.half - 1; // leading zeros so that output 0 is centred on input 0
    this.bufStart = -(this.half - 1);
    this.pos = 0;    // integer part of the next output's input position
    this.rem = 0;    // fractional part, in 1/den
  }

  // Feed a chunk of mono samples at inRate; returns the 16 kHz samples it completes.
  process(input) {
    if (this.passthrough) return Float32Array.from(input);
    this._append(input);
    return this._drain();
  }

  // Pad with silence so that every input sample so far has produced its output; returns that last output.
  flush() {
    if (this.passthrough) return new Float32Array(0);
    // Output positions up to the last real input sample, no further.
    const lastInput = this.bufStart + this.bufLen - 1;
    this._append(new Float32Array(this.half + 1));
    const out = this._drain(lastInput);
    return out;
  }

  _append(input) {
    const need = this.bufLen + input.length;
    if (need > this.buf.length) {
      const grown = new Float32Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(input, this.bufLen);
    this.bufLen += input.length;
  }

  _drain(limit = Infinity) {
    const width = 2 * this.half;
    const last = this.bufStart + this.bufLen - 1; // last available absolute index
    // Output at position pos + rem/den needs input samples pos-half+1 .. pos+half.
    const bound = Math.max(0, Math.ceil(((last - this.half - this.pos + 1) * this.outRate) / this.inRate) + 1);
    const out = new Float32Array(bound);
    const table = this.table;
    const buf = this.buf;
    const quantize = this.phases !== this.den;
    let n = 0;
    while (n < bound && this.pos + this.half <= last && this.pos <= limit) {
      const phase = quantize ? Math.floor((this.rem * this.phases) / this.den) : this.rem;
      const base = this.pos - this.half + 1 - this.bufStart;
      const row = phase * width;
      let acc = 0;
      for (let k = 0; k < width; k++) acc += buf[base + k] * table[row + k];
      out[n++] = acc;
      this.pos += this.stepInt;
      this.rem += this.stepRem;
      if (this.rem >= this.den) {
        this.rem -= this.den;
        this.pos += 1;
      }
    }
    // Drop history that no future output needs.
    const keepFrom = this.pos - this.half + 1 - this.bufStart;
    if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom, this.bufLen);
      this.bufLen -= keepFrom;
      this.bufStart += keepFrom;
    }
    return n === out.length ? out : out.slice(0, n);
  }
}

// Downmix + resample + cut into fixed-size chunks: push() planar channels at any rate, onChunk(samples, peak)
// receives 16 kHz mono Float32Arrays of `chunkSamples` (the last one, from flush(), may be shorter).
export class ChunkedResampler {
  constructor(inRate, { outRate = 16000, chunkSamples = 1600, onChunk }) {
    this.resampler = new StreamResampler(inRate, outRate);
    this.chunkSamples = chunkSamples;
    this.onChunk = onChunk;
    this.chunk = new Float32Array(chunkSamples);
    this.fill = 0;
    this.peak = 0;
  }

  push(channels) {
    const mono = downmix(channels, this._mono);
    this._mono = mono;
    let peak = this.peak;
    for (let i = 0; i < mono.length; i++) {
      const a = Math.abs(mono[i]);
      if (a > peak) peak = a;
    }
    this.peak = peak;
    this._add(this.resampler.process(mono));
  }

  flush() {
    this._add(this.resampler.flush());
    if (this.fill > 0) this._emit(this.chunk.slice(0, this.fill));
  }

  _add(samples) {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(samples.length - offset, this.chunkSamples - this.fill);
      this.chunk.set(samples.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === this.chunkSamples) {
        const full = this.chunk;
        this.chunk = new Float32Array(this.chunkSamples); // the receiver may keep (or transfer) `full`
        this._emit(full);
      }
    }
  }

  _emit(samples) {
    const peak = this.peak;
    this.fill = 0;
    this.peak = 0;
    this.onChunk(samples, peak);
  }
}
