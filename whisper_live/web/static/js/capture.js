// Capture from a Web Audio source node: 16 kHz mono Float32Array chunks go to onAudio(samples, peak).
// Uses the AudioWorklet (capture-worklet.js) and falls back to a ScriptProcessorNode where a worklet cannot be
// loaded (for example in a Firefox content script). Also: opening the microphone, and whether an AudioContext runs.
import { describeMediaError } from './protocol.js';
import { ChunkedResampler } from './resample.js';

const WORKLET_URL = new URL('./capture-worklet.js', import.meta.url).href;
const loaded = new WeakMap(); // AudioContext -> Promise of addModule

export async function createCapture(context, source, { onAudio, chunkSeconds = 0.1, workletUrl = WORKLET_URL, useWorklet = true } = {}) {
  const targetRate = 16000;
  const chunkSamples = Math.round(targetRate * chunkSeconds);
  if (useWorklet && context.audioWorklet) {
    try {
      return await workletCapture(context, source, { onAudio, chunkSamples, targetRate, workletUrl });
    } catch (err) {
      console.warn('AudioWorklet unavailable, using ScriptProcessorNode:', err);
    }
  }
  return scriptProcessorCapture(context, source, { onAudio, chunkSamples, targetRate });
}

async function workletCapture(context, source, { onAudio, chunkSamples, targetRate, workletUrl }) {
  if (!loaded.has(context)) loaded.set(context, context.audioWorklet.addModule(workletUrl));
  await loaded.get(context);
  const node = new AudioWorkletNode(context, 'whisper-live-capture', {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    channelCountMode: 'max',
    processorOptions: { targetRate, chunkSamples },
  });
  let flushed = null;
  node.port.onmessage = (event) => {
    const msg = event.data;
    if (msg.type === 'audio') onAudio(msg.samples, msg.peak);
    else if (msg.type === 'flushed' && flushed) flushed();
  };
  return inGraph(context, source, node, 'worklet', async () => {
    const done = new Promise((resolve) => {
      flushed = resolve;
      setTimeout(resolve, 500);
    });
    node.port.postMessage('flush');
    await done;
    node.port.postMessage('stop');
    node.port.onmessage = null;
  });
}

function scriptProcessorCapture(context, source, { onAudio, chunkSamples, targetRate }) {
  const node = context.createScriptProcessor(4096, 2, 1);
  const chunker = new ChunkedResampler(context.sampleRate, { outRate: targetRate, chunkSamples, onChunk: onAudio });
  node.onaudioprocess = (event) => {
    const input = event.inputBuffer;
    const channels = [];
    for (let c = 0; c < input.numberOfChannels; c++) channels.push(input.getChannelData(c));
    chunker.push(channels);
  };
  return inGraph(context, source, node, 'script-processor', async () => {
    node.onaudioprocess = null;
    chunker.flush();
  });
}

// Hang `node` between `source` and the destination and return the capture: its stop() runs `finish` (hand over
// what the node still holds), then takes the node out of the graph. The node writes silence; connecting it to the
// destination keeps it pulled by the graph in every browser.
function inGraph(context, source, node, kind, finish) {
  source.connect(node);
  node.connect(context.destination);
  return {
    kind,
    node,
    async stop() {
      await finish();
      try { source.disconnect(node); } catch (err) { /* already gone */ }
      node.disconnect();
    },
  };
}

// Whether the AudioContext runs within a few seconds (Firefox leaves it suspended, its resume() pending, where
// there is no sound output device).
export async function audioStarts(ctx, waitMs = 5000) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, waitMs); });
  await Promise.race([ctx.resume().catch(() => {}), timeout]);
  clearTimeout(timer);
  return ctx.state === 'running';
}

export async function openMicrophone() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new Error(window.isSecureContext
      ? 'This browser cannot capture the microphone.'
      : 'Browsers allow the microphone only on secure pages: open this page over https://, or as http://localhost on the server machine. You can still transcribe a file.');
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
    });
  } catch (err) {
    throw new Error(describeMediaError(err, 'microphone'));
  }
}
