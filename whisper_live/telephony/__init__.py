"""Phone calls: Twilio Media Streams (and the Telnyx / SignalWire streams shaped like them) in, Twilio
Real-Time Transcription status callbacks out.

* :mod:`.media_stream`: the stream's JSON messages as typed events;
* :mod:`.reorder`: media released per track in chunk order;
* :mod:`.signature`: ``X-Twilio-Signature`` validation;
* :mod:`.callback_policy`: which webhook URLs the server may post to;
* :mod:`.transcription_callbacks`: the form fields of each status callback;
* :mod:`.webhook`: delivering them, in order per call, without blocking the call.
"""
