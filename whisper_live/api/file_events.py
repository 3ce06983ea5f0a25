"""A file's transcript as Server-Sent Events (``stream=true``), in OpenAI's shapes, as its windows are decoded.

``transcript.text.delta`` for each segment's text as it comes, then ``transcript.text.done`` with the whole
text (the deltas joined). A request that asks for speakers (``response_format=diarized_json``) gets each
segment labelled first (and its times fitted to its speech once the next one is known): its delta then
carries the ``segment_id``, and a ``transcript.text.segment`` event
follows it with ``id``, ``start``, ``end``, ``text`` and ``speaker``. A model failure ends the stream with an
``error`` event.
"""

from __future__ import annotations

import json
from typing import Callable, Optional

from whisper_live.api.errors import error_body
from whisper_live.api.formats import diarized_segment, segment_id
from whisper_live.api.speakers import FileSpeakers, labelled, last_labelled


def sse(event: dict) -> str:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


async def events(feed, request, speakers: Optional[FileSpeakers], end: Callable[[], None]):
    """The events of the job behind ``feed`` (a :class:`whisper_live.api.transcriptions.JobFeed`) until it is
    done, the model fails or the client leaves; ``end()`` is called last, whichever it is."""
    count = 0  # the segments sent
    sent = []  # the deltas, whose concatenation is the done event's text
    try:
        while True:
            progress, error = await feed.next(request)
            if error is not None:
                yield sse({"type": "error", **error_body(f"transcription failed: {error}", "server_error",
                                                         code="model_error")})
                return
            ready = (await labelled(speakers, progress.segment)) if progress.segment is not None else []
            for segment in ready + (last_labelled(speakers) if progress.done else []):
                delta = segment.text if sent else segment.text.lstrip()
                if delta:
                    sent.append(delta)
                    extra = {"segment_id": segment_id(count)} if speakers is not None else {}
                    yield sse({"type": "transcript.text.delta", "delta": delta, **extra})
                if speakers is not None:
                    yield sse(diarized_segment(count, segment))
                count += 1
            if progress.done:
                yield sse({"type": "transcript.text.done", "text": "".join(sent)})
                return
    except ConnectionResetError:
        return
    finally:
        end()
