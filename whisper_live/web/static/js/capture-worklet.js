// AudioWorklet processor: downmixes its input to mono, resamples it to 16 kHz and posts it to the main thread
// in chunks of `chunkSamples` (Float32Array, transferred). Messages from the main thread: 'flush' (post what is
// buffered, then {type: 'flushed'}), 'stop' (end the processor).
import { StreamResampler, downmix } from './resample.js';

class WhisperLiveCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.targetRate = opts.targetRate || 16000;
    this.resampler = new StreamResampler(sampleRate, this.targetRate);
    this.chunkSize = opts.chunkSamples || 1600;
    this.chunk = new Float32Array(this.chunkSize);
    this.fill = 0;
    this.peak = 0;
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === 'flush') {
        this._push(this.resampler.flush());
        this._post(true);
        this.port.postMessage({ type: 'flushed' });
      } else if (event.data === 'stop') {
        this.running = false;
      }
    };
    this.port.postMessage({ type: 'started', inputRate: sampleRate, outputRate: this.targetRate });
  }

  _push(samples) {
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(samples.length - offset, this.chunkSize - this.fill);
      this.chunk.set(samples.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === this.chunkSize) this._post(false);
    }
  }

  _post(partial) {
    if (this.fill === 0) return;
    const samples = partial ? this.chunk.slice(0, this.fill) : this.chunk;
    this.port.postMessage({ type: 'audio', samples, peak: this.peak }, [samples.buffer]);
    // The full chunk's buffer was transferred (detached): start a fresh one.
    if (!partial) this.chunk = new Float32Array(this.chunkSize);
    this.fill = 0;
    this.peak = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const mono = downmix(input, this._mono);
      this._mono = mono;
      for (let i = 0; i < mono.length; i++) {
        const a = Math.abs(mono[i]);
        if (a > this.peak) this.peak = a;
      }
      this._push(this.resampler.process(mono));
    }
    return this.running;
  }
}

registerProcessor('whisper-live-capture', WhisperLiveCapture);
