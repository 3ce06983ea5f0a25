"""The tables of the benches with a JSON line of their own (whisper_live/bench/area_tables.py)."""

from __future__ import annotations

from tests.unit.bench.fake_records import load_record, load_run, record
from whisper_live.bench import area_tables


def test_calls_sit_beside_the_clients_of_the_same_audio():
    call = record("phone-8", {"calls": 8, "all_delivered": True, "in_order": True, "wer": 0.0612,
                              "final_latency_s": {"n": 80, "p50": 0.9, "p90": 1.4, "max": 2.2},
                              "server": {"cpu_percent": 120.4}, "per_call": [{"all_delivered": True}] * 7
                              + [{"all_delivered": False}]})
    clients = load_record("phone-8-pcm", [load_run(8, p90=1.3, wer=0.06)])
    text = area_tables.render("phones", {"phone-8": call, "phone-8-pcm": clients})
    assert "| 8 calls, both tracks | 7/8 calls, every final delivered, in order | 0.90 / 1.40 / 2.20 s | 0.0612 | " \
           "120% |" in text
    assert "| 8 clients, float32 16 kHz | 8/8 clients | 0.80 / 1.30 / 2.50 s | 0.0600 | 150% |" in text
    assert text.endswith("Not yet measured on the current code: phone-1, phone-1-pcm.\n")
    assert area_tables.render("phones", {}) == area_tables.NOT_MEASURED + "\n"


def test_a_file_through_the_api_sits_beside_faster_whispers_own_transcribe():
    side = {"seconds": 70.2, "all_seconds": [70.2, 71.0], "rtf": 0.109, "wer": 0.0608}
    rec = record("file-int8", {"audio_s": 645.3, "api": side, "faster_whisper": dict(side, seconds=68.0, wer=0.0607),
                               "speed_vs_faster_whisper": 0.969})
    row = area_tables.render("files", {"file-int8": rec}).splitlines()[2]
    assert row == ("| the joined file, int8 | 645 s | 70.2 s (best of 2, RTF 0.109) | 68.0 s (best of 2, RTF 0.109) "
                   "(97% of its speed) | 0.0608 / 0.0607 |")


def test_a_throttled_link_shows_opus_beside_pcm():
    r = {"config": {"rate": "48kbit", "opus_s": 120.0, "pcm_s": 120.0},
         "opus": {"final_latency_s": {"p50": 1.0, "p90": 1.6, "max": 2.5}, "wer": 0.05, "bitrates_kbps": [16, 24],
                  "link_backlog_s": {"p90": 0.2, "max": 0.9}, "drops": 0},
         "pcm": {"final_latency_s": {"p50": 9.0, "p90": 15.0, "max": 20.0}, "link_backlog_s_every_30s": [20.0, 45.0],
                 "first_drop_s": 75.3, "transcribed_until_s": 21.0, "drops": 1}}
    opus, pcm = area_tables.link_row(record("opus-link", r)).splitlines()
    assert "| Opus, adaptive, 120 s |" in opus and "| 0.0500 | 16, 24 | p90 0.20 s, max 0.90 s | the end | 0 |" in opus
    assert pcm.startswith("| | PCM int16, 120 s |") and pcm.endswith("| every 30 s: 20, 45 s, then dropped at 75 s | 21 s | 1 |")
