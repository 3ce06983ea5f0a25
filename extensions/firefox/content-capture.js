// Firefox content script: the audio of the page's <audio>/<video> elements, downmixed and resampled to 16 kHz
// (shared ChunkedResampler from lib/shared-classic.js), sent to the background over the 'wl-capture' port.
// Each element is routed through one AudioContext for good (Web Audio allows one source node per element),
// and keeps playing to the speakers through it.
(() => {
  const ext = globalThis.browser ?? globalThis.chrome;
  if (globalThis.__whisperLiveCapture) return;
  globalThis.__whisperLiveCapture = true;
  const { ChunkedResampler } = globalThis.WhisperLiveShared;
  const graph = { context: null, sources: new WeakMap() };
  const NOTICE_EVERY_MS = 5000;

  function sameOrigin(el) {
    const src = el.currentSrc || el.src;
    if (!src || src.startsWith('blob:') || src.startsWith('data:') || el.srcObject) return true;
    try {
      return new URL(src, location.href).origin === location.origin || el.crossOrigin != null;
    } catch (err) {
      return false;
    }
  }

  ext.runtime.onConnect.addListener((port) => {
    if (port.name !== 'wl-capture') return;
    if (!graph.context) graph.context = new AudioContext();
    const context = graph.context;
    const proc = context.createScriptProcessor(4096, 2, 1);
    const chunker = new ChunkedResampler(context.sampleRate, {
      chunkSamples: 1600,
      onChunk: (samples) => port.postMessage({ type: 'audio', samples }),
    });
    const attached = new Set();
    let skipped = 0;

    function attach(el) {
      if (attached.has(el)) return;
      let source = graph.sources.get(el);
      if (!source) {
        // Cross-origin media without CORS would come out of Web Audio as silence, muting the page: leave it.
        if (!sameOrigin(el)) { skipped++; return; }
        try {
          source = context.createMediaElementSource(el);
        } catch (err) {
          skipped++; // already taken by the page's own Web Audio graph
          return;
        }
        source.connect(context.destination);
        graph.sources.set(el, source);
      }
      source.connect(proc);
      attached.add(el);
    }

    document.querySelectorAll('audio, video').forEach(attach);
    const observer = new MutationObserver(() => document.querySelectorAll('audio, video').forEach(attach));
    observer.observe(document.documentElement, { childList: true, subtree: true });
    if (attached.size === 0) {
      port.postMessage({
        type: 'error',
        message: skipped
          ? 'The media on this page comes from another site that does not allow its audio to be read, so Firefox cannot caption it.'
          : 'This page has no audio or video element to caption (in Firefox, captions come from the page\'s <audio> and <video> elements).',
      });
    }
    proc.onaudioprocess = (event) => {
      const input = event.inputBuffer;
      const channels = [];
      for (let c = 0; c < input.numberOfChannels; c++) channels.push(input.getChannelData(c));
      chunker.push(channels);
    };
    proc.connect(context.destination);
    // Firefox holds the AudioContext of a page nobody has clicked yet (its resume() waits for the click), and no
    // audio flows meanwhile. Until it runs, a notice is repeated: the person sees why nothing is captioned, and
    // the messages keep the background's event page, which Firefox stops after 30 s without any, alive.
    let stopped = false;
    let shown = null; // the notice last sent, and when
    let shownAt = 0;
    let waiting = null;
    function waitForAudio() {
      if (stopped || context.state === 'running') return;
      // Clicked, and still held: Firefox found no sound output device, without which it runs no Web Audio.
      const clicked = navigator.userActivation && navigator.userActivation.hasBeenActive;
      const message = clicked
        ? 'Firefox has not started this page\'s audio: it needs a sound output device (connect or enable one).'
        : 'Click anywhere in the page once so that Firefox lets its audio play.';
      if (message !== shown || Date.now() - shownAt >= NOTICE_EVERY_MS) {
        port.postMessage({ type: 'notice', message });
        shown = message;
        shownAt = Date.now();
      }
      waiting = setTimeout(waitForAudio, 1000);
    }
    function onStateChange() {
      if (stopped || context.state !== 'running') return;
      clearTimeout(waiting);
      if (shown) port.postMessage({ type: 'capturing' });
      shown = null;
    }
    context.addEventListener('statechange', onStateChange);
    context.resume().catch(() => {});
    waiting = setTimeout(waitForAudio, 500);

    function stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(waiting);
      context.removeEventListener('statechange', onStateChange);
      observer.disconnect();
      proc.onaudioprocess = null;
      for (const el of attached) {
        try { graph.sources.get(el).disconnect(proc); } catch (err) { /* gone */ }
      }
      proc.disconnect();
    }
    port.onMessage.addListener((msg) => {
      if (msg.type !== 'stop') return;
      stop();
      chunker.flush();
      port.postMessage({ type: 'flushed' });
    });
    port.onDisconnect.addListener(stop);
  });
})();
