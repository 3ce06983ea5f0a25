"""A file's transcript as Server-Sent Events (whisper_live/api/file_events.py), from a scripted feed."""

import json

from tests.unit.own_loop import run_on_own_loop
from whisper_live.api.file_events import events
from whisper_live.file_work import FileProgress
from whisper_live.transcriber.files import FileSegment


class ScriptedFeed:
    def __init__(self, *items):
        self.items = list(items)

    async def next(self, request):
        return self.items.pop(0)


class SplitAtTheDot:
    """Speakers that split each segment at its first ". ", the second piece being Bob's."""

    def label(self, segment):
        head, dot, tail = segment.text.partition(". ")
        if not dot:
            return [FileSegment(segment.id, 0, segment.start, segment.end, segment.text, speaker="Ann")]
        middle = (segment.start + segment.end) / 2
        return [FileSegment(segment.id, 0, segment.start, middle, head + ".", speaker="Ann"),
                FileSegment(segment.id, 0, middle, segment.end, " " + tail, speaker="Bob")]

    def finish(self):
        return []  # (every piece was given back with its segment)


def _run(feed, speakers):
    ended = []

    async def collect():
        return [json.loads(e[len("data: "):]) async for e in events(feed, None, speakers, lambda: ended.append(1))]

    out = run_on_own_loop(collect(), timeout=30)
    assert ended == [1]
    return out


def _feed():
    return ScriptedFeed((FileProgress(segment=FileSegment(0, 0, 0.0, 2.0, " Hi. Hello there.")), None),
                        (FileProgress(segment=FileSegment(1, 0, 2.0, 3.0, " Bye.")), None),
                        (FileProgress(done=True), None))


def test_text_deltas_then_done_without_speakers():
    out = _run(_feed(), None)
    assert out == [{"type": "transcript.text.delta", "delta": "Hi. Hello there."},
                   {"type": "transcript.text.delta", "delta": " Bye."},
                   {"type": "transcript.text.done", "text": "Hi. Hello there. Bye."}]


def test_with_speakers_each_piece_has_its_delta_and_its_segment_event():
    out = _run(_feed(), SplitAtTheDot())
    assert [e["type"] for e in out] == ["transcript.text.delta", "transcript.text.segment"] * 3 + \
        ["transcript.text.done"]
    segments = [e for e in out if e["type"] == "transcript.text.segment"]
    assert [(s["id"], s["speaker"], s["text"]) for s in segments] == [
        ("seg_0", "Ann", "Hi."), ("seg_1", "Bob", "Hello there."), ("seg_2", "Ann", "Bye.")]
    assert [e["segment_id"] for e in out if e["type"] == "transcript.text.delta"] == ["seg_0", "seg_1", "seg_2"]
    assert segments[1]["start"] == segments[0]["end"] == 1.0
    assert out[-1]["text"] == "Hi. Hello there. Bye."


def test_a_model_failure_ends_the_stream_with_an_error_event():
    out = _run(ScriptedFeed((None, RuntimeError("boom"))), SplitAtTheDot())
    assert out == [{"type": "error", "error": {"message": "transcription failed: boom", "type": "server_error",
                                               "param": None, "code": "model_error"}}]
