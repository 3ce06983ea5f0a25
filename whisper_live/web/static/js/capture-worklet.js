// AudioWorklet processor: downmixes its input to mono, resamples it to 16 kHz and posts it to the main thread
// in chunks of `chunkSamples` ({type: 'audio', samples: Float32Array (transferred), peak}). Messages from the
// main thread: 'flush' (post what is buffered, then {type: 'flushed'}), 'stop' (end the processor).
import { ChunkedResampler } from './resample.js';

class WhisperLiveCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const opts = (options && options.processorOptions) || {};
    this.chunker = new ChunkedResampler(sampleRate, {
      outRate: opts.targetRate || 16000,
      chunkSamples: opts.chunkSamples || 1600,
      onChunk: (samples, peak) => this.port.postMessage({ type: 'audio', samples, peak }, [samples.buffer]),
    });
    this.running = true;
    this.port.onmessage = (event) => {
      if (event.data === 'flush') {
        this.chunker.flush();
        this.port.postMessage({ type: 'flushed' });
      } else if (event.data === 'stop') {
        this.running = false;
      }
    };
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) this.chunker.push(input);
    return this.running;
  }
}

registerProcessor('whisper-live-capture', WhisperLiveCapture);
