// What a session needs to resume after its connection dropped (docs/protocol.md, "Resuming a session"):
// the audio captured lately, and when to try again. The server says on a resume how much audio it holds
// (audio_received); the session sends again from there, so it keeps what it captured for up to the
// server's resume timeout.
import { SAMPLE_RATE } from './protocol.js';

// Waits between reconnection attempts: doubling from the first, never above the longest.
export const FIRST_RETRY_MS = 250;
export const LONGEST_RETRY_MS = 4000;

// The waits before each attempt, until they add up to the resume timeout.
export function retryDelays(windowSeconds) {
  const delays = [];
  let delay = FIRST_RETRY_MS;
  let total = 0;
  while (total + delay <= windowSeconds * 1000) {
    delays.push(delay);
    total += delay;
    delay = Math.min(LONGEST_RETRY_MS, delay * 2);
  }
  return delays;
}

// Audio chunks (Float32Array, 16 kHz) of the last `seconds`, by sample position since the session began.
export class AudioHistory {
  constructor(seconds) {
    this.limit = Math.round(seconds * SAMPLE_RATE);
    this.chunks = []; // {start, samples}
    this.end = 0;     // samples in every chunk added so far
    this.held = 0;
  }

  add(samples) {
    this.chunks.push({ start: this.end, samples });
    this.end += samples.length;
    this.held += samples.length;
    while (this.chunks.length && this.held - this.chunks[0].samples.length >= this.limit) {
      this.held -= this.chunks.shift().samples.length;
    }
  }

  // The first sample still held.
  get start() {
    return this.chunks.length ? this.chunks[0].start : this.end;
  }

  // The chunks from `sample` on, the first one cut to start there.
  since(sample) {
    const out = [];
    for (const { start, samples } of this.chunks) {
      if (start + samples.length <= sample) continue;
      out.push(samples.subarray(Math.max(0, sample - start)));
    }
    return out;
  }
}

// The URL of a resume: the uid as a query parameter too, so that a load balancer can send it back to the
// server that holds the session.
export function resumeUrl(url, uid) {
  const u = new URL(url);
  u.searchParams.set('uid', uid);
  return u.toString();
}
