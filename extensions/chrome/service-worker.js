// Chrome background (service worker): starts tab capture in the offscreen document, keeps the session state
// and forwards it to the overlay and the popup. The service worker may be stopped between events: all its
// state is in storage.session, the audio and the WebSocket live in the offscreen document.
import { ext } from './api.js';
import { loadSettings } from './settings.js';
import { injectOverlay, overlayView, publish, readState, writeState } from './state.js';

const OFFSCREEN_URL = 'offscreen.html';

async function hasOffscreen() {
  const contexts = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
  return contexts.length > 0;
}

async function ensureOffscreen() {
  if (await hasOffscreen()) return;
  try {
    await chrome.offscreen.createDocument({
      url: OFFSCREEN_URL,
      reasons: ['USER_MEDIA'],
      justification: 'Capture the tab audio and stream it to the transcription server.',
    });
  } catch (err) {
    if (!String(err.message).includes('single offscreen')) throw err; // created meanwhile
  }
}

async function start(tabId) {
  if (tabId == null) throw new Error('No tab to caption.');
  const previous = await readState();
  if (previous && previous.status !== 'ended') await stop(previous.tabId, { wait: false });
  const settings = await loadSettings();
  let streamId;
  try {
    streamId = await chrome.tabCapture.getMediaStreamId({ targetTabId: tabId });
  } catch (err) {
    throw new Error(`Chrome did not allow capturing this tab: ${err.message}. Open the extension from its toolbar button on the tab to caption (pages like chrome:// and the Web Store cannot be captured).`);
  }
  await writeState({ tabId, status: 'connecting', message: 'Connecting to the transcription server…', transcript: null });
  if (settings.overlay) await injectOverlay(tabId);
  try {
    await ensureOffscreen();
    const reply = await chrome.runtime.sendMessage({ target: 'offscreen', type: 'start', tabId, streamId, settings });
    if (reply && reply.ok === false) throw new Error(reply.error);
  } catch (err) {
    await publish({ tabId, status: 'ended', message: `Could not capture the tab's audio: ${err.message}`, error: true,
      transcript: null }, { overlay: settings.overlay });
    throw err;
  }
}

async function stop(tabId, { wait = true } = {}) {
  if (!(await hasOffscreen())) return;
  const reply = await chrome.runtime.sendMessage({ target: 'offscreen', type: 'stop', tabId, wait });
  if (reply && reply.ok === false) throw new Error(reply.error);
}

async function onUpdate(state) {
  const settings = await loadSettings();
  await publish(state, { overlay: settings.overlay });
  if (state.status === 'ended' && (await hasOffscreen())) {
    // Nothing else needs the offscreen document (one captioned tab at a time): release the capture.
    await chrome.offscreen.closeDocument().catch(() => {});
  }
}

ext.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!msg || msg.target === 'offscreen') return undefined;
  let work;
  if (msg.type === 'start') work = start(msg.tabId);
  else if (msg.type === 'stop') work = stop(msg.tabId);
  else if (msg.type === 'session-update') work = onUpdate(msg.state);
  else return undefined;
  work.then(() => sendResponse({ ok: true }), (err) => sendResponse({ ok: false, error: err.message || String(err) }));
  return true; // answer asynchronously
});

// A captioned tab that closes or navigates away ends its session.
chrome.tabs.onRemoved.addListener(async (tabId) => {
  const state = await readState();
  if (state && state.tabId === tabId && state.status !== 'ended') await stop(tabId, { wait: false });
});

// Keep the overlay in sync after a reload of the captioned page (the content script is gone then).
chrome.tabs.onUpdated.addListener(async (tabId, info) => {
  if (info.status !== 'complete') return;
  const state = await readState();
  if (!state || state.tabId !== tabId || state.status === 'ended') return;
  const settings = await loadSettings();
  if (settings.overlay && (await injectOverlay(tabId))) {
    await ext.tabs.sendMessage(tabId, overlayView(state)).catch(() => {});
  }
});
