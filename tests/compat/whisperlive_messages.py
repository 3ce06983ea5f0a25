"""What WhisperLive's clients send, as data: the first (options) message of each, and how each ends a stream.

Facts read from collabora's sources: the published Python client (PyPI whisper-live 0.10.0,
``whisper_live/client.py``: ``Client.on_open`` and ``send_packet_to_server``) and the browser extensions of
the collabora/WhisperLive repository (``Audio-Transcription-Chrome/options.js`` and
``Audio-Transcription-Firefox/content.js``: ``socket.onopen``, ``onaudioprocess``).
"""

# TranscriptionClient(host, port, lang="en") of whisper-live 0.10.0: every key the client sends, with its
# defaults (model "small", no VAD parameters: null). The uid is a uuid4.
PYTHON_CLIENT_OPTIONS = {
    "uid": "5b0c9f1e-3a71-4c55-9d0e-6f2a8c1b7e40",
    "language": "en",
    "task": "transcribe",
    "model": "small",
    "use_vad": True,
    "send_last_n_segments": 10,
    "no_speech_thresh": 0.45,
    "clip_audio": False,
    "same_output_threshold": 10,
    "enable_translation": False,
    "target_language": "fr",
    "hotwords": None,
    "enable_diarization": False,
    "max_speakers": 10,
    "known_speakers": [],
    "word_timestamps": False,
    "initial_prompt": None,
    "vad_parameters": None,
}

# ``vad_parameters`` as WhisperLive's server hands them to faster-whisper's VadOptions (all of its fields;
# Python's json writes the default infinite max_speech_duration_s as the bare word Infinity) ...
VAD_PARAMETERS_FASTER_WHISPER = {
    "threshold": 0.5,
    "neg_threshold": None,
    "min_speech_duration_ms": 0,
    "max_speech_duration_s": float("inf"),
    "min_silence_duration_ms": 2000,
    "speech_pad_ms": 400,
}
# ... and the form WhisperLive's servers used as their default before that, the threshold named "onset".
VAD_PARAMETERS_ONSET = {"onset": 0.5}

# The Python client ends a stream with these bytes in a binary frame, then closes the socket.
PYTHON_CLIENT_END_OF_AUDIO = b"END_OF_AUDIO"
# Its audio: float32 frames of 4096 samples (a 16 kHz WAV file read 4096 frames at a time).
PYTHON_CLIENT_FRAME_SAMPLES = 4096

# The Chrome and Firefox extensions: five keys (modelSize and useVad from their settings; language null
# asks the server to detect it).
EXTENSION_OPTIONS = {
    "uid": "0f4c2d7a-91be-4e3f-a5c8-7d1e2b3c4a59",
    "language": None,
    "task": "transcribe",
    "model": "small",
    "use_vad": True,
}
# Their audio: a ScriptProcessor buffer of 4096 samples at 48 kHz resampled to 16 kHz, sent as a
# Float32Array; they send no END_OF_AUDIO and stop by closing the socket.
EXTENSION_FRAME_SAMPLES = round(4096 * 16000 / 48000)
