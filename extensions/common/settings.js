// Extension settings (options page), kept in storage.sync. The protocol fields are those of the page
// (protocol.js DEFAULT_SETTINGS); the extension adds the server address default and the overlay switch.
import { ext } from './api.js';
import { DEFAULT_SETTINGS } from './lib/protocol.js';

export const EXTENSION_DEFAULTS = Object.freeze({
  ...DEFAULT_SETTINGS,
  server: 'localhost:9090',
  overlay: true,
});

export async function loadSettings() {
  const stored = await ext.storage.sync.get('settings');
  return { ...EXTENSION_DEFAULTS, ...(stored && stored.settings) };
}

export async function saveSettings(settings) {
  const clean = { ...EXTENSION_DEFAULTS, ...settings };
  await ext.storage.sync.set({ settings: clean });
  return clean;
}
