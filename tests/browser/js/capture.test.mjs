// The page's capture (whisper_live/web/static/js/capture.js) under node, over fake Web Audio nodes: both paths
// (AudioWorklet, ScriptProcessorNode) hang their node between the source and the destination, deliver the audio,
// and on stop() hand over what they still hold before they take the node out of the graph.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCapture } from '../../../whisper_live/web/static/js/capture.js';

// A node that records the graph's calls, in order, into a shared log.
class FakeNode {
  constructor(name, log) {
    this.name = name;
    this.log = log;
  }

  connect(target) {
    this.log.push(`${this.name} -> ${target.name}`);
  }

  disconnect(target) {
    this.log.push(target ? `${this.name} -/- ${target.name}` : `${this.name} disconnected`);
  }
}

function fakeContext(log, { sampleRate = 16000, worklet = false } = {}) {
  const context = { sampleRate, destination: new FakeNode('destination', log) };
  context.createScriptProcessor = () => new FakeNode('processor', log);
  if (worklet) context.audioWorklet = { addModule: async () => log.push('module loaded') };
  return context;
}

// The worklet's side of the port: answers 'flush' with what it holds, then 'flushed'.
class FakeWorkletNode extends FakeNode {
  constructor(context, name, options) {
    super('worklet', context.destination.log);
    this.options = options;
    this.port = {
      onmessage: null,
      postMessage: (msg) => {
        this.log.push(`post ${msg}`);
        if (msg === 'flush') {
          setTimeout(() => {
            this.port.onmessage?.({ data: { type: 'audio', samples: Float32Array.from([0.25]), peak: 0.25 } });
            this.port.onmessage?.({ data: { type: 'flushed' } });
          }, 0);
        }
      },
    };
  }
}

test('the worklet path flushes the worklet, then stops it and leaves the graph', async () => {
  globalThis.AudioWorkletNode = FakeWorkletNode;
  try {
    const log = [];
    const chunks = [];
    const source = new FakeNode('source', log);
    const capture = await createCapture(fakeContext(log, { worklet: true }), source, {
      onAudio: (samples, peak) => chunks.push([Array.from(samples), peak]),
      workletUrl: 'fake-worklet.js',
    });
    assert.equal(capture.kind, 'worklet');
    assert.deepEqual(capture.node.options.processorOptions, { targetRate: 16000, chunkSamples: 1600 });
    assert.deepEqual(log, ['module loaded', 'source -> worklet', 'worklet -> destination']);

    capture.node.port.onmessage({ data: { type: 'audio', samples: Float32Array.from([0.5]), peak: 0.5 } });
    await capture.stop();
    assert.deepEqual(chunks, [[[0.5], 0.5], [[0.25], 0.25]], 'the flushed audio arrives before stop() returns');
    assert.deepEqual(log.slice(3), ['post flush', 'post stop', 'source -/- worklet', 'worklet disconnected']);
    assert.equal(capture.node.port.onmessage, null);
  } finally {
    delete globalThis.AudioWorkletNode;
  }
});

test('the script processor path resamples to 16 kHz chunks and flushes the rest on stop', async () => {
  const log = [];
  const chunks = [];
  const source = new FakeNode('source', log);
  const capture = await createCapture(fakeContext(log, { sampleRate: 16000 }), source, {
    onAudio: (samples) => chunks.push(samples.length),
    chunkSeconds: 0.01,
  });
  assert.equal(capture.kind, 'script-processor');
  assert.deepEqual(log, ['source -> processor', 'processor -> destination']);

  const channel = new Float32Array(250).fill(0.1);
  capture.node.onaudioprocess({ inputBuffer: { numberOfChannels: 1, getChannelData: () => channel } });
  assert.deepEqual(chunks, [160], 'whole chunks of 10 ms go out as they fill');
  await capture.stop();
  assert.equal(chunks.reduce((a, b) => a + b, 0), 250, 'stop() hands over the samples still held');
  assert.equal(capture.node.onaudioprocess, null);
  assert.deepEqual(log.slice(2), ['source -/- processor', 'processor disconnected']);
});

test('without a worklet the capture falls back to the script processor', async () => {
  const log = [];
  const capture = await createCapture(fakeContext(log, { worklet: true }), new FakeNode('source', log), {
    onAudio: () => {},
    useWorklet: false,
  });
  assert.equal(capture.kind, 'script-processor');
  await capture.stop();
});
