// Firefox background: Firefox has neither tabCapture nor offscreen documents, so a content script
// (content-capture.js) takes the audio of the page's <audio>/<video> elements, resamples it to 16 kHz and sends
// it here over a runtime port; this script owns the WebSocket session (Opus where the browser encodes it:
// lib/sender.js) and publishes its state.
import { ext } from './api.js';
import { loadSettings } from './settings.js';
import { injectOverlay, publish, readState } from './state.js';
import { serverUrl } from './lib/protocol.js';
import { TranscriptionSession } from './lib/session.js';
import { chooseSender } from './lib/sender.js';

let current = null; // {tabId, session, port, settings}

function state(entry, status, message, error = false) {
  const t = entry.session ? entry.session.transcript : null;
  return {
    tabId: entry.tabId, status, message, error,
    transcript: t ? t.toJSON() : null,
    language: t ? t.language : null,
    languageProbability: t ? t.languageProbability : null,
    codec: entry.session ? entry.session.sender.label : null,
  };
}

function report(entry, status, message, error = false) {
  return publish(state(entry, status, message, error), { overlay: entry.settings.overlay });
}

async function start(tabId) {
  if (tabId == null) throw new Error('No tab to caption.');
  if (current) await stop({ wait: false });
  const settings = await loadSettings();
  const entry = { tabId, settings, session: null, port: null };
  current = entry;
  const url = serverUrl(settings.server);
  if (settings.overlay) await injectOverlay(tabId);
  if (!(await injectOverlay(tabId, ['lib/shared-classic.js', 'content-capture.js']))) {
    current = null;
    await report(entry, 'ended', 'Firefox does not let extensions into this page (built-in and add-on store pages cannot be captioned).', true);
    return;
  }
  const sender = await chooseSender(settings.codec); // PCM from the content script: WebCodecs, or PCM
  const session = new TranscriptionSession(url, settings, {
    onSegments: () => report(entry, 'running', 'Captioning this tab.'),
    onLanguage: () => report(entry, 'running', 'Captioning this tab.'),
    onWarning: (text) => report(entry, 'running', `Server: ${text}`),
    onReconnecting: ({ attempt }) => report(entry, 'running', `Connection lost: reconnecting… (attempt ${attempt})`),
    onResumed: () => report(entry, 'running', 'Resumed: captioning this tab.'),
    onEnd: ({ reason, message }) => {
      if (current === entry) current = null;
      if (entry.port) {
        entry.port.disconnect();
        entry.port = null;
      }
      report(entry, 'ended', message, !['finished', 'closed', 'disconnect'].includes(reason));
    },
  }, { sender });
  entry.session = session;
  await report(entry, 'connecting', `Connecting to ${url}…`);
  try {
    await session.connect();
  } catch (err) {
    return; // onEnd reported why
  }
  const port = ext.tabs.connect(tabId, { name: 'wl-capture' });
  entry.port = port;
  port.onMessage.addListener((msg) => {
    if (msg.type === 'audio') session.sendAudio(msg.samples);
    else if (msg.type === 'flushed' && entry.flushed) entry.flushed();
    else if (msg.type === 'error') {
      session.close();
      report(entry, 'ended', msg.message, true);
    } else if (msg.type === 'notice') report(entry, 'running', msg.message);
    else if (msg.type === 'capturing') report(entry, 'running', 'Captioning this tab.');
  });
  port.onDisconnect.addListener(() => {
    // The page went away (closed, reloaded, navigated): finish with what was sent.
    if (entry.port === port) {
      entry.port = null;
      session.finish();
    }
  });
  await report(entry, 'running', 'Captioning this tab.');
}

async function stop({ wait = true } = {}) {
  const entry = current;
  if (!entry) return;
  current = null;
  if (entry.port) {
    const flushed = new Promise((resolve) => {
      entry.flushed = resolve;
      setTimeout(resolve, 1000);
    });
    entry.port.postMessage({ type: 'stop' });
    await flushed;
    const port = entry.port;
    entry.port = null;
    port.disconnect();
  }
  if (!entry.session) return;
  if (wait) {
    await report(entry, 'finishing', 'Finishing: waiting for the last words…');
    await entry.session.finish();
  } else {
    entry.session.close();
  }
}

ext.runtime.onMessage.addListener((msg) => {
  if (!msg) return undefined;
  // Firefox: a returned promise is the reply.
  if (msg.type === 'start') return start(msg.tabId).then(() => ({ ok: true }), (err) => ({ ok: false, error: err.message }));
  if (msg.type === 'stop') return stop().then(() => ({ ok: true }), (err) => ({ ok: false, error: err.message }));
  return undefined;
});

ext.tabs.onRemoved.addListener((tabId) => {
  if (current && current.tabId === tabId) stop({ wait: false });
});

// A reloaded page has lost its overlay; the session ended with the port. Nothing is left to sync but the state.
readState().then((s) => {
  if (s && s.status !== 'ended') publish({ ...s, status: 'ended', message: 'The extension was restarted.' }, { overlay: false });
});
