// Popup: start/stop captions for the current tab, and the transcript of the session with copy and downloads.
// With speakers, each speaker's lines are in its colour and a click on a name renames that speaker (kept in
// storage.session beside the state, so the overlay and the downloads use it too).
import { ext } from './api.js';
import { NAMES_KEY, readNames, readState, STATE_KEY, writeNames } from './state.js';
import { languageName } from './lib/protocol.js';
import { renamed, speakerChip, speakerColor } from './lib/speakers.js';
import { Transcript, download } from './lib/transcript.js';

const $ = (id) => document.getElementById(id);
let tabId = null;
let transcript = new Transcript();
let names = {};         // speaker label -> name
let shown = null;       // the state on screen

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

  shown = state;
  transcript = Transcript.fromJSON(mine ? state.transcript : null);
  const segs = $('segments');
  // While a name is being edited its field stays: the lines are redrawn once it is done.
  if (!segs.querySelector('.speaker-rename')) segs.replaceChildren(...lines(transcript.completed));
  $('speakers-hint').hidden = !transcript.completed.some((s) => s.speaker);
  $('partial').textContent = transcript.partial.map((s) => s.text.trim()).join(' ');
  const lang = mine && state.language;
  $('language').hidden = !lang;
  if (lang) $('language').textContent = languageName(lang);
  for (const id of ['copy', 'download-txt', 'download-srt', 'download-vtt', 'download-json']) {
    $(id).disabled = transcript.isEmpty;
  }
  const box = $('transcript');
  box.scrollTop = box.scrollHeight;
}

// A paragraph per segment; a speaker's in its colour, with its name where its turn starts.
function lines(segments) {
  return segments.map((s, i) => {
    const p = document.createElement('p');
    if (s.speaker) {
      p.className = 'has-speaker';
      p.dataset.speaker = s.speaker;
      p.style.setProperty('--speaker-color', speakerColor(s.speaker));
      if (i === 0 || segments[i - 1].speaker !== s.speaker) {
        p.append(speakerChip(s.speaker, names, (label, name) => writeNames(renamed(names, label, name))));
      }
    }
    p.append(s.text.trim());
    return p;
  });
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
  await navigator.clipboard.writeText(transcript.toText({ names }));
  $('status').textContent = 'Copied.';
});
$('download-txt').addEventListener('click', () => download('transcript.txt', transcript.toText({ names }) + '\n', 'text/plain'));
$('download-srt').addEventListener('click', () => download('transcript.srt', transcript.toSRT({ names }), 'application/x-subrip'));
$('download-vtt').addEventListener('click', () => download('transcript.vtt', transcript.toVTT({ names }), 'text/vtt'));
$('download-json').addEventListener('click', () => download('transcript.json', transcript.toJSONFile({ names }), 'application/json'));
$('options').addEventListener('click', (e) => {
  e.preventDefault();
  ext.runtime.openOptionsPage();
});

ext.storage.onChanged.addListener((changes, area) => {
  if (area !== 'session') return;
  if (changes[NAMES_KEY]) names = changes[NAMES_KEY].newValue || {};
  if (changes[STATE_KEY]) render(changes[STATE_KEY].newValue);
  else if (changes[NAMES_KEY]) render(shown);
});

(async () => {
  tabId = await currentTabId();
  names = await readNames();
  render(await readState());
  document.body.dataset.ready = 'true'; // knows its tab and shows the state (tests wait for it)
})();
