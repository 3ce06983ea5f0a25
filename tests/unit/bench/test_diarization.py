"""The diarization bench's REST mode (whisper_live/bench/diarization.py), against a scripted answer."""

import httpx
import numpy as np

from whisper_live.bench import diarization
from whisper_live.diarization.conversations import Conversation, Turn


def test_rest_mode_scores_the_servers_diarized_segments(monkeypatch):
    talk = Conversation(np.zeros(16000 * 10, np.float32), [Turn("ann", 0.0, 4.0), Turn("bob", 5.0, 10.0)])
    sent = {}

    def post(url, data, files, timeout):
        sent.update(url=url, data=data, file=files["file"])
        segments = [{"start": 0.0, "end": 4.0, "speaker": "A"}, {"start": 5.0, "end": 7.0, "speaker": "B"},
                    {"start": 7.0, "end": 10.0, "speaker": "A"}]
        return httpx.Response(200, json={"segments": segments}, request=httpx.Request("POST", url))

    monkeypatch.setattr(httpx, "post", post)
    args = diarization.parse_args(["--rest", "http://127.0.0.1:9/v1/", "--max-speakers", "3"])
    run = diarization.run_rest(args.rest, talk, args, seed=0)
    assert sent["url"] == "http://127.0.0.1:9/v1/audio/transcriptions"
    assert sent["data"]["response_format"] == "diarized_json" and sent["data"]["max_speakers"] == "3"
    assert sent["file"][1][:4] == b"RIFF"
    assert run["labels"] == 2 and run["speakers"] == 2 and run["segments"] == 3
    assert abs(run["accuracy"] - 6 / 9) < 0.01  # of 9 s of speech, bob's last 3 s went to ann's label
    assert abs(run["labelled"] - 6 / 9) < 0.01 and abs(run["coverage"] - 1.0) < 0.01


def test_labelled_share_leaves_unlabelled_time_out():
    turns = [Turn("ann", 0.0, 4.0), Turn("bob", 5.0, 10.0)]
    spans = [(0.5, 4.0, "A"), (5.0, 6.0, "B"), (6.0, 8.0, None), (8.0, 10.0, "A"), (10.0, 12.0, "C")]
    labelled, coverage = diarization.labelled_share(turns, spans, {"A": "ann", "B": "bob"})
    assert abs(labelled - 4.5 / 6.5) < 0.01 and abs(coverage - 6.5 / 9) < 0.01
