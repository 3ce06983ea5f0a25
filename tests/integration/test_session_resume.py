"""Real drops (TCP connections aborted with no close frame) mid-utterance, resumed: no word lost."""

from __future__ import annotations

import threading

import pytest

from tests.resume_session import REFERENCE, resume_clip, stream_with_drops
from tests.server_process import ServerProcess
from tests.ws_session import stream
from whisper_live.wer import normalize, wer

# Seconds of the padded clip at which the connection drops: inside words of the speech.
DROPS = [2.3, 4.7, 7.1]


@pytest.fixture(scope="module")
def clip(espeak):
    return resume_clip(espeak)


@pytest.fixture(scope="module")
def server():
    process = ServerProcess("--max_clients", "4", "--no_admission_control", "--resume_timeout", "20")
    yield process
    process.stop()


def test_drops_mid_utterance_lose_no_word_and_repeat_no_segment(server, clip):
    results = {}

    def uninterrupted():
        results["base"] = stream(server.url, clip, speed=1.5, uid="straight", language="en")

    thread = threading.Thread(target=uninterrupted)
    thread.start()
    resumed = stream_with_drops(server.url, clip, DROPS, speed=1.5, try_wrong_token=True, language="en")
    thread.join(180)
    base = results["base"]
    print("uninterrupted:", base.text, "\nresumed:     ", resumed.text)

    # a wrong token gets an ERROR, never the session
    assert [r.kind for r in resumed.refused] == ["error"] * len(DROPS)
    # each resume continues at most where the client had got to, and not before the last drop
    for drop, previous, reply in zip(DROPS, [0.0, *DROPS], resumed.resumes):
        assert previous <= reply.audio_received <= drop + 1e-3
    # the WER of an uninterrupted run, within one word per drop
    words = len(normalize(REFERENCE).split())
    assert wer(REFERENCE, resumed.text) <= wer(REFERENCE, base.text) + len(DROPS) / words
    # no completed segment repeated or rewritten; times run on across the drops
    assert all(len(texts) == 1 for texts in resumed.completed_versions.values())
    segments = resumed.completed
    texts = [normalize(s.text) for s in segments]
    assert len(set(texts)) == len(texts), texts
    for before, after in zip(segments, segments[1:]):
        assert after.start >= before.end - 1e-3
    assert segments[-1].end > DROPS[-1]
    assert resumed.of("disconnect")
