"""The diarization bench's live mode (whisper_live/bench/diarization_live.py) against the fake
WhisperLive-protocol server (tests/unit/bench/fake_server.py), which labels second i ``speaker_at(i)``."""

from tests.unit.bench.conftest import FAKE_SPEED
from tests.unit.bench.fake_server import FakeServer, noise
from whisper_live.bench import diarization, diarization_live
from whisper_live.diarization.conversations import Conversation, Turn

SECONDS = 4.0


def _talks(seeds):
    """Conversations of 4 s: ann for the first two seconds, bob for the next two (as the fake server labels
    them); their speech leaves out the first 0.5 s."""
    talks = []
    for seed in seeds:
        talk = Conversation(noise(SECONDS), [Turn("ann", 0.0, 2.0, "alpha bravo"), Turn("bob", 2.0, 4.0, "charlie delta")])
        talks.append((seed, talk, [Turn("ann", 0.5, 2.0), Turn("bob", 2.0, 4.0)]))
    return talks


def _run(port, *flags):
    args = diarization.parse_args(["--live", f"ws://127.0.0.1:{port}", "--finish-timeout", "10", *flags])
    said = []
    return diarization_live.run(args, _talks(int(s) for s in args.seeds.split(",")), diarization.scores,
                                said.append), said


def test_clients_ask_for_labels_and_the_conversations_are_scored():
    with FakeServer() as server:
        summary, said = _run(server.port, "--clients", "2", "--max-speakers", "3")
    assert [(o.enable_diarization, o.max_speakers) for o in server.options] == [(True, 3), (True, 3)]
    assert summary["mode"] == "live" and summary["clients"] == 2 and summary["finished"] == 2
    assert [r["seed"] for r in summary["runs"]] == [0, 1]
    for r in summary["runs"]:
        assert r["finished"] and r["segments"] == 4 and r["wer"] == 0.0
        assert (r["accuracy"], r["labels"], r["speakers"], r["speech_s"]) == (1.0, 2, 2, 3.5)
        assert r["coverage"] == 1.0 and r["labelled"] == 1.0
    assert summary["final_latency_s"]["n"] == 8 and summary["final_latency_s"]["p90"] < 1.0
    assert summary["wer"] == 0.0 and summary["machine"]["speed"] == FAKE_SPEED
    assert any("100.0% of 3.5 s of speech right" in line for line in said)


def test_with_diarization_off_the_same_run_asks_for_no_labels():
    with FakeServer() as server:
        summary, _ = _run(server.port, "--diarization", "off", "--seeds", "7", "--no-machine-speed")
    assert [(o.enable_diarization, o.word_timestamps) for o in server.options] == [(False, False)]
    [run] = summary["runs"]
    assert "accuracy" not in run and run["labels"] == 0 and run["segments"] == 4 and run["wer"] == 0.0
    assert summary["diarization"] == "off" and summary["machine"]["speed"] == {"skipped": "--no-machine-speed"}


def test_word_timestamps_are_asked_for_so_that_segments_end_where_labelled_ones_do():
    with FakeServer() as server:
        summary, _ = _run(server.port, "--diarization", "off", "--word-timestamps", "--seeds", "7",
                          "--no-machine-speed")
    assert [(o.enable_diarization, o.word_timestamps) for o in server.options] == [(False, True)]
    assert summary["word_timestamps"] is True
