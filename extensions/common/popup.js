// Popup: start/stop captions for the current tab, and the transcript of the session with copy and downloads.
import { ext } from './api.js';
import { readState, STATE_KEY } from './state.js';
import { languageName } from './lib/protocol.js';
import { Transcript, download } from './lib/transcript.js';

const $ = (id) => document.getElementById(id);
let tabId = null;
let transcript = new Transcript();

async function currentTabId() {
  // ?tab=ID lets the popup be opened as a page for a given tab (keyboard users, tests); else the active tab.
  const fromUrl = new URLSearchParams(location.search).get('tab');
  if (fromUrl) return Number(fromUrl);
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab ? tab.id : null;
}

function render(state) {
  const mine = state && state.tabId === tabId;
  const active = mine && state.status !== 'ended';
  const other = state && state.status !== 'ended' && !mine;
  $('start').disabled = active;
  $('stop').disabled = !active;
  $('start').textContent = other ? 'Caption this tab instead' : 'Start captions';
  const err = mine && state.error ? state.message : '';
  $('error').textContent = err;
  $('error').hidden = !err;
  if (!state) $('status').textContent = 'Caption the audio of this tab.';
  else if (other) $('status').textContent = 'Captioning another tab.';
  else if (!mine) $('status').textContent = 'Caption the audio of this tab.';
  else if (!state.error) $('status').textContent = state.message || state.status;
  else $('status').textContent = 'Stopped.';

  transcript = Transcript.fromJSON(mine ? state.transcript : null);
  const segs = $('segments');
  segs.replaceChildren(...transcript.completed.map((s) => {
    const p = document.createElement('p');
    p.textContent = s.text.trim();
    return p;
  }));
  $('partial').textContent = transcript.partial.map((s) => s.text.trim()).join(' ');
  const lang = mine && state.language;
  $('language').hidden = !lang;
  if (lang) $('language').textContent = languageName(lang);
  const codec = active && state.codec;
  $('codec').hidden = !codec;
  if (codec) $('codec').textContent = codec;
  for (const id of ['copy', 'download-txt', 'download-srt']) $(id).disabled = transcript.isEmpty;
  const box = $('transcript');
  box.scrollTop = box.scrollHeight;
}

async function send(message) {
  const reply = await ext.runtime.sendMessage(message);
  if (reply && reply.ok === false) {
    $('error').textContent = reply.error;
    $('error').hidden = false;
  }
  return reply;
}

$('start').addEventListener('click', () => {
  $('error').hidden = true;
  $('start').disabled = true;
  send({ type: 'start', tabId }).finally(async () => render(await readState()));
});
$('stop').addEventListener('click', () => send({ type: 'stop', tabId }));
$('copy').addEventListener('click', async () => {
  await navigator.clipboard.writeText(transcript.toText());
  $('status').textContent = 'Copied.';
});
$('download-txt').addEventListener('click', () => download('transcript.txt', transcript.toText() + '\n', 'text/plain'));
$('download-srt').addEventListener('click', () => download('transcript.srt', transcript.toSRT(), 'application/x-subrip'));
$('options').addEventListener('click', (e) => {
  e.preventDefault();
  ext.runtime.openOptionsPage();
});

ext.storage.onChanged.addListener((changes, area) => {
  if (area === 'session' && changes[STATE_KEY]) render(changes[STATE_KEY].newValue);
});

(async () => {
  tabId = await currentTabId();
  render(await readState());
  document.body.dataset.ready = 'true'; // knows its tab and shows the state (tests wait for it)
})();
