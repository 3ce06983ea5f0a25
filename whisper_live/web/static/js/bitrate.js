// Opus bitrate that follows the link, for the page and the extensions: the policy of the Python client
// (whisper_live/client/link.py), with the same steps and thresholds, on a clock it is given.
//
// A browser sees two things of its link: WebSocket.bufferedAmount (bytes given to send() that have not gone
// out yet) and how far the server's transcript lags behind the audio sent. The bitrate steps down (32, 24,
// 16, 12, 8 kbit/s) while the backlog stays above HIGH_BACKLOG seconds of audio and is not shrinking, at most
// once a DOWN_EVERY; and up one step once the backlog has stayed under LOW_BACKLOG, with the transcript
// keeping up (lag under LAG_LIMIT), for UP_AFTER seconds (doubled each time a step up had to be taken back
// soon after, up to LONGEST_UP_AFTER).
// Plain ES module without imports.

export const BITRATES_KBPS = Object.freeze([32, 24, 16, 12, 8]);
export const DEFAULT_KBPS = 24;
export const HIGH_BACKLOG = 0.5; // seconds of audio waiting to go out: the link is falling behind
export const LOW_BACKLOG = 0.1; // ... the link keeps up
export const DOWN_EVERY = 1.0; // seconds between two steps down
export const UP_AFTER = 5.0; // seconds the link must keep up before a step up
export const LONGEST_UP_AFTER = 60.0;
export const LAG_LIMIT = 4.0; // seconds the transcript may lag behind the audio sent for a step up

const seconds = () => (globalThis.performance ? performance.now() : Date.now()) / 1000;

// update(backlogBytes, lagSeconds) -> kbit/s to encode at from now on.
export class BitrateAdapter {
  constructor({ startKbps = DEFAULT_KBPS, steps = BITRATES_KBPS, clock = seconds } = {}) {
    this.steps = [...steps].sort((a, b) => b - a);
    if (!this.steps.includes(startKbps)) throw new Error(`startKbps must be one of ${this.steps.join(', ')}`);
    this.clock = clock;
    this.kbps = startKbps;
    const now = clock();
    this._changedAt = now;
    this._referenceBytes = null; // the backlog when the last step down was judged
    this._judgedAt = now;
    this._clearSince = null; // since when the link keeps up
    this._upAt = null; // the last step up
    this.upAfter = UP_AFTER;
  }

  // Seconds of audio at the current bitrate that `backlogBytes` hold.
  backlogSeconds(backlogBytes) {
    return backlogBytes / ((this.kbps * 1000) / 8);
  }

  update(backlogBytes, lagSeconds = null) {
    const now = this.clock();
    if (backlogBytes == null) return this.kbps; // nothing to judge by: keep the bitrate
    const backlog = this.backlogSeconds(backlogBytes);
    if (backlog > HIGH_BACKLOG) {
      this._clearSince = null;
      if (now - this._judgedAt >= DOWN_EVERY || this._referenceBytes === null) {
        const growing = this._referenceBytes === null || backlogBytes >= this._referenceBytes;
        this._referenceBytes = backlogBytes;
        this._judgedAt = now;
        if (growing && now - this._changedAt >= DOWN_EVERY) this._step(+1, now);
      }
      return this.kbps;
    }
    this._referenceBytes = null;
    const keepingUp = backlog < LOW_BACKLOG && (lagSeconds == null || lagSeconds < LAG_LIMIT);
    if (!keepingUp) {
      this._clearSince = null;
      return this.kbps;
    }
    if (this._clearSince === null) this._clearSince = now;
    if (now - Math.max(this._clearSince, this._changedAt) >= this.upAfter) {
      this._step(-1, now);
      this._clearSince = now;
    }
    return this.kbps;
  }

  // One step down (+1) or up (-1) the list of bitrates, if there is one.
  _step(direction, now) {
    const index = this.steps.indexOf(this.kbps) + direction;
    if (index < 0 || index >= this.steps.length) return;
    if (direction > 0 && this._upAt !== null && now - this._upAt < 2 * this.upAfter) {
      this.upAfter = Math.min(LONGEST_UP_AFTER, this.upAfter * 2); // that step up was too much
    }
    if (direction < 0) this._upAt = now;
    this.kbps = this.steps[index];
    this._changedAt = now;
  }
}

// How far the transcript lags behind the audio sent: seconds sent minus the last segment's end (null when
// there is no segment to judge by).
export function transcriptLag(sentSeconds, segments) {
  if (!segments || segments.length === 0) return null;
  const end = Math.max(...segments.map((s) => Number(s.end) || 0));
  return Math.max(0, sentSeconds - end);
}
