// Offscreen document (Chrome): turns the tab-capture stream id into audio, plays it back so the tab stays
// audible, resamples it to 16 kHz in the AudioWorklet and streams it to the server (Opus where the browser
// encodes it: lib/sender.js); reports every change of the session to the service worker as
// {type: 'session-update', state}.
import { serverUrl } from './lib/protocol.js';
import { TranscriptionSession } from './lib/session.js';
import { createCapture } from './lib/capture.js';
import { chooseSender } from './lib/sender.js';

let current = null; // {tabId, session, capture, stream, context}

function report(tabId, session, status, message, error = false) {
  const t = session ? session.transcript : null;
  const state = {
    tabId,
    status,
    message,
    error,
    transcript: t ? t.toJSON() : null,
    language: t ? t.language : null,
    languageProbability: t ? t.languageProbability : null,
    codec: session ? session.sender.label : null,
  };
  return chrome.runtime.sendMessage({ type: 'session-update', state }).catch(() => {});
}

async function release(entry) {
  if (entry.capture) await entry.capture.stop().catch(() => {});
  entry.capture = null;
  entry.stream.getTracks().forEach((track) => track.stop());
  await entry.context.close().catch(() => {});
}

async function start({ tabId, streamId, settings }) {
  if (current) await stop({ wait: false });
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { mandatory: { chromeMediaSource: 'tab', chromeMediaSourceId: streamId } },
    video: false,
  });
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  source.connect(context.destination); // a captured tab is muted unless its audio is played back here
  const entry = { tabId, stream, context, capture: null, session: null };
  current = entry;

  let url;
  try {
    url = serverUrl(settings.server);
  } catch (err) {
    await release(entry);
    current = null;
    await report(tabId, null, 'ended', `"${settings.server}" is not a server address: fix it in the extension's settings.`, true);
    return;
  }
  const sender = await chooseSender(settings.codec, { stream });
  const session = new TranscriptionSession(url, settings, {
    onSegments: () => report(tabId, session, 'running', 'Captioning this tab.'),
    onLanguage: () => report(tabId, session, 'running', 'Captioning this tab.'),
    onWarning: (text) => report(tabId, session, 'running', `Server: ${text}`),
    onReconnecting: ({ attempt }) => report(tabId, session, 'running', `Connection lost: reconnecting… (attempt ${attempt})`),
    onResumed: () => report(tabId, session, 'running', 'Resumed: captioning this tab.'),
    onEnd: async ({ reason, message }) => {
      if (current === entry) current = null;
      await release(entry);
      const error = !['finished', 'closed', 'disconnect'].includes(reason);
      await report(tabId, session, 'ended', message, error);
    },
  }, { sender });
  entry.session = session;
  await report(tabId, session, 'connecting', `Connecting to ${url}…`);
  try {
    await session.connect();
  } catch (err) {
    return; // onEnd reported why
  }
  entry.capture = await createCapture(context, source, { onAudio: (samples) => session.sendAudio(samples) });
  await report(tabId, session, 'running', 'Captioning this tab.');
}

async function stop({ wait = true } = {}) {
  const entry = current;
  if (!entry) return;
  current = null;
  if (entry.capture) {
    const capture = entry.capture;
    entry.capture = null;
    await capture.stop().catch(() => {});
  }
  if (!entry.session) {
    await release(entry);
    return;
  }
  if (wait) {
    await report(entry.tabId, entry.session, 'finishing', 'Finishing: waiting for the last words…');
    await entry.session.finish();
  } else {
    entry.session.close();
  }
}

chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target !== 'offscreen') return undefined;
  let work;
  if (msg.type === 'start') work = start(msg);
  else if (msg.type === 'stop') work = stop(msg);
  else return undefined;
  work.then(() => sendResponse({ ok: true }), (err) => sendResponse({ ok: false, error: err.message || String(err) }));
  return true;
});
