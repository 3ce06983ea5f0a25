// The transcript of one session, built from the server's segment updates (docs/protocol.md, "Results"):
// completed segments never change and are re-sent only inside the "last n" window, so they are kept once
// each; segments with completed=false are the current hypothesis and are replaced by every update. With
// nothing in progress the server repeats the last completed segment as open, for WhisperLive's own client:
// that repeat is not in progress and is dropped.
// Plain ES module without imports (the extension build can turn it into a classic script).

function key(seg) {
  return `${seg.start.toFixed(3)}|${seg.end.toFixed(3)}|${seg.text}`;
}

export class Transcript {
  constructor() {
    this.clear();
  }

  clear() {
    this.completed = [];
    this.partial = [];
    this.language = null;
    this.languageProbability = null;
    this._seen = new Set();
  }

  // segments: normalized segments ({start, end: numbers, text, completed}) of one update.
  // Returns the completed segments that were new in it.
  update(segments) {
    const added = [];
    const partial = [];
    for (const seg of segments) {
      if (!seg.completed) {
        partial.push(seg);
        continue;
      }
      const k = key(seg);
      if (this._seen.has(k)) continue;
      const last = this.completed[this.completed.length - 1];
      // Something older than what is already committed is a stale repeat, not new text.
      if (last && seg.end <= last.start && seg.start < last.start) continue;
      this._seen.add(k);
      this.completed.push(seg);
      added.push(seg);
    }
    const last = this.completed[this.completed.length - 1];
    this.partial = last ? partial.filter((seg) => key(seg) !== key(last)) : partial;
    return added;
  }

  setLanguage(language, probability = null) {
    this.language = language;
    this.languageProbability = probability;
  }

  // Completed segments, then (unless excluded) the partial ones: what a person sees.
  segments({ includePartial = true } = {}) {
    const out = this.completed.slice();
    if (includePartial) out.push(...this.partial.filter((s) => s.text.trim() !== ''));
    return out;
  }

  get isEmpty() {
    return this.segments().length === 0;
  }

  // Exports. options: {includePartial, names: {label: name}}. Segments with a speaker (diarization) name it:
  // a "Name: text" line per turn in text, "Name: text" cues in SRT, <v Name> voice spans in WebVTT, and a
  // speaker per segment in JSON, as the Python client writes them (whisper_live/client/output.py).
  toText(options = {}) {
    const lines = [];
    let turn;
    for (const seg of this.segments(options)) {
      const text = seg.text.trim();
      if (!text) continue;
      const who = speakerName(seg.speaker, options.names);
      if (who === null) lines.push(text);
      else if (who === turn && lines.length) lines[lines.length - 1] += ` ${text}`;
      else lines.push(`${who}: ${text}`);
      turn = who;
    }
    return lines.join('\n');
  }

  toSRT(options = {}) {
    return this._cues(options).map(({ seg, text, who }, i) => {
      const cue = who === null ? text : `${who}: ${text}`;
      return `${i + 1}\n${formatTimestamp(seg.start, ',')} --> ${formatTimestamp(Math.max(seg.end, seg.start), ',')}\n${cue}\n`;
    }).join('\n');
  }

  toVTT(options = {}) {
    const blocks = this._cues(options).map(({ seg, text, who }) => {
      const cue = who === null ? text : `<v ${escapeVTT(who)}>${escapeVTT(text)}`;
      return `${formatTimestamp(seg.start, '.')} --> ${formatTimestamp(Math.max(seg.end, seg.start), '.')}\n${cue}\n`;
    });
    return ['WEBVTT\n', ...blocks].join('\n');
  }

  // The transcript as a JSON file: {language, speakers (in order of appearance, when any), segments}.
  toJSONFile(options = {}) {
    const cues = this._cues(options);
    const segments = cues.map(({ seg, text, who }) => {
      const item = { start: round3(seg.start), end: round3(Math.max(seg.end, seg.start)), text };
      if (who !== null) item.speaker = who;
      return item;
    });
    const data = { language: this.language, text: cues.map((c) => c.text).join(' '), segments };
    const speakers = [...new Set(segments.filter((s) => s.speaker !== undefined).map((s) => s.speaker))];
    if (speakers.length) data.speakers = speakers;
    return JSON.stringify(data, null, 2) + '\n';
  }

  _cues(options) {
    return this.segments(options)
      .map((seg) => ({ seg, text: seg.text.trim(), who: speakerName(seg.speaker, options.names) }))
      .filter((c) => c.text !== '');
  }

  toJSON() {
    return {
      completed: this.completed,
      partial: this.partial,
      language: this.language,
      languageProbability: this.languageProbability,
    };
  }

  static fromJSON(data) {
    const t = new Transcript();
    if (!data) return t;
    t.update([...(data.completed || []), ...(data.partial || [])]);
    t.language = data.language ?? null;
    t.languageProbability = data.languageProbability ?? null;
    return t;
  }
}

// What a person sees for a speaker label: the name they gave it in `names`, else the label (null: no speaker).
export function speakerName(label, names = {}) {
  if (label == null) return null;
  const name = names && names[label];
  return typeof name === 'string' && name.trim() ? name.trim() : String(label);
}

function escapeVTT(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

// 3723.5 -> "01:02:03,500" (SRT; pass '.' for WebVTT).
export function formatTimestamp(seconds, separator = ',') {
  const totalMs = Math.max(0, Math.round((Number(seconds) || 0) * 1000));
  const ms = totalMs % 1000;
  const totalS = Math.floor(totalMs / 1000);
  const s = totalS % 60;
  const m = Math.floor(totalS / 60) % 60;
  const h = Math.floor(totalS / 3600);
  const pad = (x, n = 2) => String(x).padStart(n, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms, 3)}`;
}

// "01:02" style clock for on-screen segment times.
export function formatClock(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  const s = total % 60;
  const pad = (x) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/** Save text as a file through a temporary link (browser only). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
