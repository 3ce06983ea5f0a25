// Speakers of a diarized transcript (segments with a `speaker` label, docs/protocol.md): a stable colour per
// label, the names a person gave them, and the clickable name chip that renames a speaker everywhere.
// Shared by the page and the extensions' popup and overlay (the popup's and the background's modules).
import { speakerName } from './transcript.js';

export { speakerName };

// Colours that carry white text and show on light and dark backgrounds alike.
export const SPEAKER_COLORS = Object.freeze([
  '#2563eb', '#c2410c', '#15803d', '#9333ea', '#be123c', '#0e7490', '#a16207', '#4d7c0f',
]);

// The same label always gets the same colour: SPEAKER_00 the first, SPEAKER_01 the second, ...; a label
// without a number (a name from speaker_names) gets one by a hash of its text.
export function speakerColor(label) {
  const text = String(label ?? '');
  const number = /(\d+)$/.exec(text);
  let index;
  if (number) {
    index = Number(number[1]);
  } else {
    index = 0;
    for (const ch of text) index = (index * 31 + ch.codePointAt(0)) >>> 0;
  }
  return SPEAKER_COLORS[index % SPEAKER_COLORS.length];
}

// A copy of `names` with `label` called `name` (a blank name goes back to the label).
export function renamed(names, label, name) {
  const out = { ...(names || {}) };
  const clean = String(name ?? '').trim();
  if (clean && clean !== label) out[label] = clean;
  else delete out[label];
  return out;
}

// The chip that shows a speaker's name in its colour; clicking it edits the name in place. `onRename(label,
// name)` is called with the new name (Enter or leaving the field; Escape keeps the old one).
export function speakerChip(label, names, onRename) {
  const chip = document.createElement('button');
  chip.type = 'button';
  chip.className = 'speaker';
  chip.dataset.speaker = label;
  chip.style.setProperty('--speaker-color', speakerColor(label));
  chip.textContent = speakerName(label, names);
  chip.title = 'Rename this speaker';
  chip.addEventListener('click', () => editName(chip, label, onRename));
  return chip;
}

function editName(chip, label, onRename) {
  const input = document.createElement('input');
  input.type = 'text';
  input.className = 'speaker-rename';
  input.value = chip.textContent;
  input.setAttribute('aria-label', `Name of ${label}`);
  input.style.setProperty('--speaker-color', speakerColor(label));
  let done = false;
  const finish = (save) => {
    if (done) return;
    done = true;
    input.replaceWith(chip);
    if (save) onRename(label, input.value);
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') finish(true);
    else if (e.key === 'Escape') finish(false);
  });
  input.addEventListener('blur', () => finish(true));
  chip.replaceWith(input);
  input.focus();
  input.select();
}

// Show `names` on every chip under `root` (after a rename).
export function relabelChips(root, names) {
  for (const chip of root.querySelectorAll('.speaker[data-speaker]')) {
    chip.textContent = speakerName(chip.dataset.speaker, names);
  }
}
