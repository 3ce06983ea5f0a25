// Content script: captions over the page, in a shadow root so the page's styles do not reach it.
// Fed by {type: 'wl-overlay', status, message, lines: [{text, speaker, color}], partial} messages from the
// background (state.js overlayView); a line with a speaker starts with its name in its colour.
(() => {
  const ext = globalThis.browser ?? globalThis.chrome;
  if (globalThis.__whisperLiveOverlay) return;
  globalThis.__whisperLiveOverlay = true;

  let host = null;
  let box = null;

  function ensure() {
    if (host && host.isConnected) return;
    host = document.createElement('whisper-live-captions');
    host.style.cssText = 'all: initial; position: fixed; z-index: 2147483647; left: 50%; bottom: 6vh; transform: translateX(-50%); max-width: min(90vw, 60rem);';
    const root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = `
      .box { font: 500 20px/1.35 system-ui, sans-serif; color: #fff; background: rgba(12, 14, 18, .82);
             padding: .5em .8em; border-radius: .4em; box-shadow: 0 2px 12px rgba(0,0,0,.35); }
      .line { margin: 0; }
      .who { font-weight: 700; margin-right: .35em; }
      .partial { margin: 0; color: #c9d1dc; font-style: italic; }
      .message { margin: 0; color: #ffb4b4; font-size: 16px; }
      .bar { display: flex; justify-content: flex-end; }
      button { all: unset; cursor: pointer; color: #c9d1dc; font: 14px system-ui, sans-serif; padding: 0 .2em; }
      button:hover { color: #fff; }`;
    box = document.createElement('div');
    box.className = 'box';
    box.setAttribute('role', 'log');
    box.setAttribute('aria-live', 'polite');
    root.append(style, box);
    document.documentElement.append(host);
  }

  function render(view) {
    ensure();
    const bar = document.createElement('div');
    bar.className = 'bar';
    const close = document.createElement('button');
    close.textContent = '×';
    close.title = 'Hide captions';
    close.addEventListener('click', () => host.remove());
    bar.append(close);
    const parts = [bar];
    for (const line of view.lines || []) {
      const p = document.createElement('p');
      p.className = 'line';
      const { text, speaker, color } = typeof line === 'string' ? { text: line } : line;
      if (speaker) {
        const who = document.createElement('span');
        who.className = 'who';
        who.textContent = `${speaker}:`;
        // The speaker's colour, lightened to read on the dark box.
        if (color) who.style.color = `color-mix(in srgb, ${color} 55%, white)`;
        p.dataset.speaker = speaker;
        p.append(who);
      }
      p.append(text);
      parts.push(p);
    }
    if (view.partial) {
      const p = document.createElement('p');
      p.className = 'partial';
      p.textContent = view.partial;
      parts.push(p);
    }
    if (view.message) {
      const p = document.createElement('p');
      p.className = 'message';
      p.textContent = view.message;
      parts.push(p);
    }
    if (parts.length === 1) {
      const p = document.createElement('p');
      p.className = 'partial';
      p.textContent = view.status === 'connecting' ? 'Connecting to the transcription server…' : 'Listening…';
      parts.push(p);
    }
    box.replaceChildren(...parts);
    host.dataset.status = view.status;
  }

  ext.runtime.onMessage.addListener((msg) => {
    if (!msg || msg.type !== 'wl-overlay') return;
    clearTimeout(globalThis.__whisperLiveOverlayTimer);
    render(msg);
    if (msg.status === 'ended' && !msg.message) {
      // Finished normally: leave the last words up for a moment, then get out of the way.
      globalThis.__whisperLiveOverlayTimer = setTimeout(() => host && host.remove(), 6000);
    }
  });
})();
