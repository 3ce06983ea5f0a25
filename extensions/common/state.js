// The captioning session's state, shared by the background, the popup and the overlay:
//   {tabId, status: 'connecting'|'running'|'finishing'|'ended', message, error, transcript (Transcript JSON),
//    language, languageProbability, updatedAt}
// kept in storage.session under "session" (one captioned tab at a time), and pushed to the tab's overlay.
// The names the user gave the session's speakers (popup: click a name) are kept beside it under
// "speakerNames" ({label: name}), and cleared when a new session starts.
import { ext } from './api.js';
import { Transcript } from './lib/transcript.js';
import { speakerColor, speakerName } from './lib/speakers.js';

export const STATE_KEY = 'session';
export const NAMES_KEY = 'speakerNames';

export async function readState() {
  const got = await ext.storage.session.get(STATE_KEY);
  return (got && got[STATE_KEY]) || null;
}

export async function writeState(state) {
  const fresh = state.status === 'connecting' ? { [NAMES_KEY]: {} } : {};  // a new session: no names yet
  await ext.storage.session.set({ [STATE_KEY]: { ...state, updatedAt: Date.now() }, ...fresh });
}

export async function readNames() {
  const got = await ext.storage.session.get(NAMES_KEY);
  return (got && got[NAMES_KEY]) || {};
}

export async function writeNames(names) {
  await ext.storage.session.set({ [NAMES_KEY]: names });
}

// What the overlay shows: the last completed lines ({text, speaker: its name or null, color}) and the
// partial text.
export function overlayView(state, lines = 2, names = {}) {
  const t = Transcript.fromJSON(state && state.transcript);
  const recent = t.completed.slice(-lines).filter((s) => s.text.trim()).map((s) => ({
    text: s.text.trim(),
    speaker: speakerName(s.speaker, names),
    color: s.speaker == null ? null : speakerColor(s.speaker),
  }));
  const partial = t.partial.map((s) => s.text.trim()).join(' ').trim();
  return {
    type: 'wl-overlay',
    status: state ? state.status : 'ended',
    message: state && state.error ? state.message : '',
    lines: recent,
    partial,
  };
}

// Push the state to storage and, when asked, to the captioned tab's overlay (injected on start).
export async function publish(state, { overlay = true } = {}) {
  await writeState(state);
  if (overlay && state.tabId != null) {
    try {
      await ext.tabs.sendMessage(state.tabId, overlayView(state, 2, await readNames()));
    } catch (err) {
      // No overlay in that tab (not injectable there, or the tab was closed): the popup still shows it all.
    }
  }
}

export async function injectOverlay(tabId, files = ['overlay.js']) {
  try {
    await ext.scripting.executeScript({ target: { tabId }, files });
    return true;
  } catch (err) {
    return false;
  }
}
