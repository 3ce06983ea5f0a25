// One transcription session over a WebSocket (docs/protocol.md): options, admission, audio, results, end.
//
//   const session = new TranscriptionSession(url, settings, {
//     onReady, onSegments(segments, transcript), onLanguage(code, p), onWarning(text), onEnd({reason, message}),
//     onReconnecting({attempt, delayMs}), onResumed({audioReceived}),
//   });
//   await session.connect();          // resolves on SERVER_READY; rejects with a SessionError otherwise
//   session.sendAudio(float32Chunk);  // 16 kHz mono, encoded by the session's sender (sender.js; PCM by default)
//   await session.finish();           // END_OF_AUDIO, final segments, DISCONNECT
//
// onEnd reports how the session ended, once: reason is 'finished' (after finish()), 'disconnect' (the server
// ended it), 'wait' (server full), 'error' (refused or broke the protocol), 'lost' (the connection dropped),
// 'closed' (close() was called). message is text for a person.
//
// When the server offers a resume (a resume_token in SERVER_READY) and the connection drops before the
// session ended, the session reconnects on its own (onReconnecting, bounded retries with backoff within
// the server's resume timeout) and resumes (onResumed); audio given to sendAudio() meanwhile is kept and sent
// once the server says how much it holds. Only when that fails does onEnd report 'lost'.
//
// The sender picks the audio_format of the options frame; before each chunk it is told the socket's backlog
// (bufferedAmount) and how far the transcript lags behind the audio sent, and may change its bitrate:
// onCodec(label) reports the codec and bitrate at the start and on each change ("opus 24 kbit/s", "pcm").
import {
  SAMPLE_RATE, buildOptions, describeClose, describeConnectFailure, describeWait, endOfAudioFrame,
  makeUid, parseServerMessage, withToken,
} from './protocol.js';
import { AudioHistory, resumeUrl, retryDelays } from './reconnect.js';
import { Transcript } from './transcript.js';
import { transcriptLag } from './bitrate.js';
import { PcmSender } from './sender.js';

export class SessionError extends Error {
  constructor(reason, message, extra = {}) {
    super(message);
    this.name = 'SessionError';
    this.reason = reason;
    Object.assign(this, extra);
  }
}

export class TranscriptionSession {
  constructor(url, settings = {}, handlers = {}, { WebSocketImpl = globalThis.WebSocket, finishTimeoutMs = 60000,
    sender = new PcmSender() } = {}) {
    this.url = url;
    this.settings = settings;
    this.handlers = handlers;
    this.WebSocketImpl = WebSocketImpl;
    this.finishTimeoutMs = finishTimeoutMs;
    this.sender = sender;
    this.uid = makeUid();
    this.transcript = new Transcript();
    this.state = 'idle'; // idle -> connecting -> ready (<-> reconnecting) -> finishing -> ended
    this.samplesSent = 0;
    this.droppedSamples = 0;
    this.bytesSent = 0; // audio bytes given to the socket
    this.lagSeconds = null; // how far the transcript lags behind the audio sent
    this.backend = null;
    this.resumes = 0;
    this._ended = false;
    this._resumeToken = null;
    this._history = null;
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
        ws.send(this._options());
      };
      ws.onmessage = (event) => this._onMessage(event.data);
      ws.onerror = () => {};
      ws.onclose = (event) => this._onClose(ws, opened, event.code);
    });
  }

  _fail(err) {
    this._end(err.reason, err.message, err);
  }

  _onClose(ws, opened, code) {
    if (this._ended || ws !== this.ws) return;
    if (opened && this._resumeToken && this.state !== 'connecting') {
      this._reconnect(code);
    } else if (this.state === 'finishing') {
      this._end('finished', 'Transcription finished.');
    } else if (!opened) {
      this._fail(new SessionError('lost', describeConnectFailure(this.url), { code }));
    } else {
      this._fail(new SessionError('lost', describeClose(code, this.url), { code }));
    }
  }

  // The connection dropped: try again (bounded, with backoff) to resume the session on a new one.
  async _reconnect(code) {
    const finishing = this.state === 'finishing';
    this.state = 'reconnecting';
    const h = this.handlers;
    const delays = retryDelays(this._resumeWindow);
    for (let attempt = 1; attempt <= delays.length && !this._ended; attempt++) {
      if (h.onReconnecting) h.onReconnecting({ attempt, delayMs: delays[attempt - 1] });
      await new Promise((r) => setTimeout(r, delays[attempt - 1]));
      if (this._ended) return;
      const outcome = await this._tryResume(finishing);
      if (outcome === 'resumed' || this._ended) return;
    }
    if (!this._ended) this._fail(new SessionError('lost', describeClose(code, this.url), { code }));
  }

  // One attempt: resolves 'resumed', 'failed' (the session cannot be resumed: ended) or 'retry'.
  _tryResume(finishing) {
    return new Promise((resolve) => {
      let ws;
      try {
        ws = new this.WebSocketImpl(withToken(resumeUrl(this.url, this.uid), this.settings.apiKey));
      } catch (err) {
        resolve('retry');
        return;
      }
      ws.binaryType = 'arraybuffer';
      let settled = false;
      const settle = (outcome) => { if (!settled) { settled = true; resolve(outcome); } };
      ws.onopen = () => {
        const options = JSON.parse(this._options());
        ws.send(JSON.stringify({ ...options, resume: true, resume_token: this._resumeToken }));
      };
      ws.onerror = () => {};
      ws.onclose = (event) => {
        if (!settled) settle('retry');
        else this._onClose(ws, true, event.code);
      };
      ws.onmessage = (event) => {
        if (settled) { this._onMessage(event.data); return; }
        if (typeof event.data !== 'string') return;
        const reply = parseServerMessage(event.data);
        if (reply.type === 'ready' && reply.resumed && this._ended) {
          settle('failed');
          try { ws.close(1000); } catch (err) { /* closing anyway */ }
        } else if (reply.type === 'ready' && reply.resumed) {
          this.ws = ws;
          finishing = finishing || this._finishAfterResume;
          this.state = finishing ? 'finishing' : 'ready';
          this._startSending(); // a new stream for the new connection (a fresh encoder, a new container)
          if (this.sender.resendsAudio) {
            for (const chunk of this._history.since(Math.round(reply.audioReceived * SAMPLE_RATE))) this.sender.push(chunk);
          }
          if (finishing) this._sendEnd();
          this.resumes += 1;
          settle('resumed');
          if (this.handlers.onResumed) this.handlers.onResumed({ audioReceived: reply.audioReceived });
        } else if (reply.type === 'error' || reply.type === 'wait') {
          settle('failed');
          this._fail(new SessionError('lost', `The connection dropped and the session could not be resumed: ${
            reply.type === 'wait' ? 'the server is shutting down' : reply.message}`));
          try { ws.close(1000); } catch (err) { /* closing anyway */ }
        }
      };
    });
  }

  _onMessage(data) {
    if (typeof data !== 'string') return; // the server sends only text frames
    const event = parseServerMessage(data);
    const h = this.handlers;
    switch (event.type) {
      case 'ready':
        this.state = 'ready';
        this.backend = event.backend;
        this._startSending();
        if (event.resumeToken) {
          this._resumeToken = event.resumeToken;
          this._resumeWindow = event.resumeWindow;
          this._history = new AudioHistory(event.resumeWindow);
        }
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
        this.lagSeconds = transcriptLag(this.samplesSent / SAMPLE_RATE, event.segments) ?? this.lagSeconds;
        const added = this.transcript.update(event.segments);
        if (h.onSegments) h.onSegments(this.transcript, added);
        break;
      }
      case 'language':
        this.transcript.setLanguage(event.language, event.probability);
        if (h.onLanguage) h.onLanguage(event.language, event.probability);
        break;
      case 'disconnect':
        this._resumeToken = null; // the server ended the session: nothing to resume
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
    if (this.state === 'reconnecting' && samples.length) {
      this._history.add(samples); // sent once the session is resumed
      return true;
    }
    if (!this.isOpen || samples.length === 0) return false;
    const backlog = this.ws.bufferedAmount;
    if (backlog > this.sender.maxBacklogBytes) {
      this.droppedSamples += samples.length;
      return false;
    }
    if (this.sender.adapt(backlog, this.lagSeconds)) this._codecChanged();
    this.sender.push(samples);
    if (this._history) this._history.add(samples);
    this.samplesSent += samples.length;
    return true;
  }

  // End of audio: the server transcribes what it still holds, sends it, then DISCONNECT. Resolves when the
  // session has ended (or after finishTimeoutMs).
  finish() {
    if (this._ended) return Promise.resolve();
    if (this.state === 'reconnecting') {
      this._finishAfterResume = true;
    } else if (!this.isOpen) {
      this.close();
      return Promise.resolve();
    } else {
      this.state = 'finishing';
      this._sendEnd();
    }
    return new Promise((resolve) => {
      this._finished = resolve;
      this._finishTimer = setTimeout(() => {
        this._end('finished', 'Transcription finished (the server did not confirm the end in time).');
        this._close();
      }, this.finishTimeoutMs);
    });
  }

  _options() {
    return buildOptions(this.settings, this.uid, { format: this.sender.format, sampleRate: this.sender.sampleRate });
  }

  // The sender begins on the current connection: what it encodes goes to that socket.
  _startSending() {
    const ws = this.ws;
    this.sender.start((data) => {
      if (ws !== this.ws || ws.readyState !== 1) return; // a former connection's: its stream ended with it
      ws.send(data);
      this.bytesSent += data.byteLength;
    }, { onError: (err) => {
      this._fail(new SessionError('error', `The browser's audio encoder failed: ${(err && err.message) || err}`));
      this._close();
    } });
    this._codecChanged();
  }

  _codecChanged() {
    if (this.handlers.onCodec) this.handlers.onCodec(this.sender.label);
  }

  // END_OF_AUDIO once the sender has handed over what it still holds (the encoder's last packets).
  _sendEnd() {
    const ws = this.ws;
    const end = () => { if (ws === this.ws && ws.readyState === 1) ws.send(endOfAudioFrame()); };
    const pending = this.sender.flush(); // null: nothing held back (PCM)
    if (pending) pending.catch(() => {}).then(end);
    else end();
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
    this._resumeToken = null;
    this.state = 'ended';
    this.sender.close();
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
