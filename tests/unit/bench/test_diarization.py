"""The diarization bench (whisper_live/bench/diarization.py): its REST mode against a scripted answer, its
command line."""

import httpx
import numpy as np
import pytest

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
    speech = [Turn("ann", 0.5, 4.0), Turn("bob", 5.0, 9.0)]  # the silence at the turns' ends left out
    run = diarization.run_rest(args.rest, talk, speech, args, seed=0)
    assert sent["url"] == "http://127.0.0.1:9/v1/audio/transcriptions"
    assert sent["data"]["response_format"] == "diarized_json" and sent["data"]["max_speakers"] == "3"
    assert sent["file"][1][:4] == b"RIFF"
    assert run["labels"] == 2 and run["speakers"] == 2 and run["segments"] == 3
    # of 7.5 s of speech, bob's last 2 s went to ann's label
    assert run["accuracy"] == pytest.approx(5.5 / 7.5, abs=0.01) and run["speech_s"] == 7.5
    assert run["labelled"] == pytest.approx(5.5 / 7.5, abs=0.01) and run["coverage"] == pytest.approx(1.0)


def test_labelled_share_leaves_unlabelled_time_out():
    turns = [Turn("ann", 0.0, 4.0), Turn("bob", 5.0, 10.0)]
    spans = [(0.5, 4.0, "A"), (5.0, 6.0, "B"), (6.0, 8.0, None), (8.0, 10.0, "A"), (10.0, 12.0, "C")]
    labelled, coverage = diarization.labelled_share(turns, spans, {"A": "ann", "B": "bob"})
    assert abs(labelled - 4.5 / 6.5) < 0.01 and abs(coverage - 6.5 / 9) < 0.01


@pytest.mark.parametrize("argv, error", [
    (["--rest", "http://127.0.0.1:9/v1", "--live", "ws://127.0.0.1:9"], "exclude each other"),
    (["--clients", "8"], "go with --live"),
    (["--diarization", "off"], "go with --live"),
    (["--live", "http://127.0.0.1:9"], "ws://HOST:PORT"),
    (["--live", "ws://192.0.2.1:9090"], "this machine only"),
])
def test_the_command_line_refuses_what_does_not_fit(argv, error, capsys):
    with pytest.raises(SystemExit):
        diarization.parse_args(argv)
    assert error in capsys.readouterr().err


def test_the_seeds_default_to_one_conversation_per_client():
    assert diarization.parse_args([]).seeds == "0,1,2"
    assert diarization.parse_args(["--live", "ws://127.0.0.1:9", "--clients", "8"]).seeds == "0,1,2,3,4,5,6,7"
    assert diarization.parse_args(["--live", "ws://127.0.0.1:9", "--clients", "2", "--seeds", "5"]).seeds == "5"
