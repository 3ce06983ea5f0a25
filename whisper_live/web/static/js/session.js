// One transcription session over a WebSocket (docs/protocol.md): options, admission, audio, results, end.
//
//   const session = new TranscriptionSession(url, settings, {
//     onReady, onSegments(segments, transcript), onLanguage(code, p), onWarning(text), onEnd({reason, message}),
//   });
//   await session.connect();          // resolves on SERVER_READY; rejects with a SessionError otherwise
//   session.sendAudio(float32Chunk);  // 16 kHz mono
//   await session.finish();           // END_OF_AUDIO, final segments, DISCONNECT
//
// onEnd reports how the session ended, once: reason is 'finished' (after finish()), 'disconnect' (the server
// ended it), 'wait' (server full), 'error' (refused or broke the protocol), 'lost' (the connection dropped),
// 'closed' (close() was called). message is text for a person.
import {
  buildOptions, describeClose, describeConnectFailure, describeWait, encodeAudio, endOfAudioFrame, makeUid,
  parseServerMessage, withToken,
} from './protocol.js';
import { Transcript } from './transcript.js';

export class SessionError extends Error {
  constructor(reason, message, extra = {}) {
    super(message);
    this.name = 'SessionError';
    this.reason = reason;
    Object.assign(this, extra);
  }
}

// Audio queued in the socket beyond this many bytes (about 30 s of float32) is dropped, not buffered forever.
const MAX_BUFFERED_BYTES = 16000 * 4 * 30;

export class TranscriptionSession {
  constructor(url, settings = {}, handlers = {}, { WebSocketImpl = globalThis.WebSocket, finishTimeoutMs = 60000 } = {}) {
    this.url = url;
    this.settings = settings;
    this.handlers = handlers;
    this.WebSocketImpl = WebSocketImpl;
    this.finishTimeoutMs = finishTimeoutMs;
    this.uid = makeUid();
    this.transcript = new Transcript();
    this.state = 'idle'; // idle -> connecting -> ready -> finishing -> ended
    this.samplesSent = 0;
    this.droppedSamples = 0;
    this.backend = null;
    this._ended = false;
  }

  connect() {
    return new Promise((resolve, reject) => {
      this.state = 'connecting';
      let opened = false;
      let ws;
      try {
        ws = new this.WebSocketImpl(withToken(this.url, this.settings.apiKey));
      } catch (err) {
        const e = new SessionError('error', describeConnectFailure(this.url));
        this._end(e.reason, e.message);
        reject(e);
        return;
      }
      this.ws = ws;
      ws.binaryType = 'arraybuffer';
      this._admit = { resolve, reject };
      ws.onopen = () => {
        opened = true;
        ws.send(buildOptions(this.settings, this.uid));
      };
      ws.onmessage = (event) => this._onMessage(event.data);
      ws.onerror = () => {};
      ws.onclose = (event) => {
        if (this._ended) return;
        if (this.state === 'finishing') {
          this._end('finished', 'Transcription finished.');
        } else if (!opened) {
          this._fail(new SessionError('lost', describeConnectFailure(this.url), { code: event.code }));
        } else {
          this._fail(new SessionError('lost', describeClose(event.code, this.url), { code: event.code }));
        }
      };
    });
  }

  _fail(err) {
    this._end(err.reason, err.message, err);
  }

  _onMessage(data) {
    if (typeof data !== 'string') return; // the server sends only text frames
    const event = parseServerMessage(data);
    const h = this.handlers;
    switch (event.type) {
      case 'ready':
        this.state = 'ready';
        this.backend = event.backend;
        if (this._admit) { this._admit.resolve(event); this._admit = null; }
        if (h.onReady) h.onReady(event);
        break;
      case 'wait':
        this._fail(new SessionError('wait', describeWait(event.minutes), { minutes: event.minutes }));
        this._close();
        break;
      case 'error':
        this._fail(new SessionError('error', `The server refused the session: ${event.message}`, { serverMessage: event.message }));
        this._close();
        break;
      case 'warning':
        if (h.onWarning) h.onWarning(event.message);
        break;
      case 'segments': {
        const added = this.transcript.update(event.segments);
        if (h.onSegments) h.onSegments(this.transcript, added);
        break;
      }
      case 'language':
        this.transcript.setLanguage(event.language, event.probability);
        if (h.onLanguage) h.onLanguage(event.language, event.probability);
        break;
      case 'disconnect':
        if (this.state === 'finishing') this._end('finished', 'Transcription finished.');
        else this._end('disconnect', 'The server ended the session (its time limit may have been reached).');
        this._close();
        break;
      default:
        break;
    }
  }

  get isOpen() {
    return this.state === 'ready' && this.ws && this.ws.readyState === 1;
  }

  sendAudio(samples) {
    if (!this.isOpen || samples.length === 0) return false;
    if (this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.droppedSamples += samples.length;
      return false;
    }
    this.ws.send(encodeAudio(samples, 'float32'));
    this.samplesSent += samples.length;
    return true;
  }

  // End of audio: the server transcribes what it still holds, sends it, then DISCONNECT. Resolves when the
  // session has ended (or after finishTimeoutMs).
  finish() {
    if (this._ended) return Promise.resolve();
    if (!this.isOpen) {
      this.close();
      return Promise.resolve();
    }
    this.state = 'finishing';
    this.ws.send(endOfAudioFrame());
    return new Promise((resolve) => {
      this._finished = resolve;
      this._finishTimer = setTimeout(() => {
        this._end('finished', 'Transcription finished (the server did not confirm the end in time).');
        this._close();
      }, this.finishTimeoutMs);
    });
  }

  // Drop the session now, without waiting for the last words.
  close() {
    if (!this._ended) this._end('closed', 'Stopped.');
    this._close();
  }

  _close() {
    if (this.ws && this.ws.readyState <= 1) {
      try { this.ws.close(1000); } catch (err) { /* closing anyway */ }
    }
  }

  _end(reason, message, error = null) {
    if (this._ended) return;
    this._ended = true;
    this.state = 'ended';
    if (this._finishTimer) clearTimeout(this._finishTimer);
    if (this._finished) this._finished();
    if (this._admit) {
      // connect() is still waiting: it fails with the same reason.
      this._admit.reject(error || new SessionError(reason, message));
      this._admit = null;
    }
    const h = this.handlers;
    if (h.onEnd) h.onEnd({ reason, message, error });
  }
}
