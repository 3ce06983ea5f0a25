// Options page: server address and session settings, saved in storage.sync.
import { loadSettings, saveSettings } from './settings.js';
import { LANGUAGES, serverUrl } from './lib/protocol.js';
import { TranscriptionSession } from './lib/session.js';

const $ = (id) => document.getElementById(id);
for (const [code, name] of Object.entries(LANGUAGES).sort((a, b) => a[1].localeCompare(b[1]))) {
  $('language').add(new Option(`${name} (${code})`, code));
}

function read() {
  return {
    server: $('server').value.trim(),
    apiKey: $('apiKey').value.trim(),
    language: $('language').value,
    task: $('task').value,
    model: $('model').value.trim(),
    useVad: $('vad').checked,
    speakers: $('speakers').checked,
    overlay: $('overlay').checked,
  };
}

function show(settings) {
  $('server').value = settings.server;
  $('apiKey').value = settings.apiKey || '';
  $('language').value = settings.language;
  $('task').value = settings.task;
  $('model').value = settings.model;
  $('vad').checked = settings.useVad;
  $('speakers').checked = settings.speakers === true;
  $('overlay').checked = settings.overlay;
}

function validUrl(settings) {
  try {
    return serverUrl(settings.server || 'localhost:9090');
  } catch (err) {
    $('status').textContent = `"${settings.server}" is not a server address.`;
    return null;
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const settings = read();
  if (!validUrl(settings)) return;
  show(await saveSettings(settings));
  $('status').textContent = 'Saved.';
});

// Opens a session with these settings and closes it as soon as the server admits it.
$('test').addEventListener('click', async () => {
  const settings = read();
  const url = validUrl(settings);
  if (!url) return;
  $('status').textContent = `Connecting to ${url}…`;
  const session = new TranscriptionSession(url, settings, {});
  try {
    const ready = await session.connect();
    $('status').textContent = `The server at ${url} is ready (backend: ${ready.backend || 'unknown'}).`;
    session.close();
  } catch (err) {
    $('status').textContent = err.message;
  }
});

loadSettings().then(show);
