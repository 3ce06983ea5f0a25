"""BENCHMARKS.md's tables (whisper_live/bench/tables.py) rendered from the workloads' JSON (no server, no
model), and the notes of a run."""

from __future__ import annotations

import json

from tests.server_process import ROOT
from whisper_live.bench import tables, workloads


def test_every_table_block_of_benchmarks_md_is_known_and_every_table_has_a_block():
    names = [m.group(2) for m in tables.BLOCK.finditer((ROOT / "BENCHMARKS.md").read_text())]
    assert sorted(names) == sorted([*tables.TABLES, "setup"])
    assert {w for rows in tables.TABLES.values() for w in rows} == set(workloads.BY_NAME)


def _run(clients, silent, p90, wer=0.055, offline=0.05):
    return {"clients": clients, "silent": silent, "finished": clients + silent,
            "replies": {"wait": 0, "error": 0, "warning": 0},
            "final_latency_s": {"n": 10, "p50": 0.8, "p90": p90, "max": 2.5, "mean": 1.0},
            "partial_latency_s": {"n": 50, "p50": 0.4, "p90": 0.7, "max": 1.0, "mean": 0.5},
            "silent_final_latency_s": {"n": 0}, "silent_words": 0,
            "wer": wer, "wer_offline": offline, "wer_vs_offline": wer / offline - 1,
            "server": {"cpu_percent": 150.0, "cpu_percent_per_client": 18.75, "rss_peak_mb": 600.0,
                       "rss_per_client_mb": 3.2}}


def _record(name, runs, audio_s=231.0):
    return {"workload": name, "title": workloads.BY_NAME[name].title, "commit": "abc123",
            "machine": {"cpu": "Some CPU", "cpus": 2, "memory_gb": 23.4, "platform": "Linux", "python": "3.11.7"},
            "software": {"faster-whisper": "1.2.0"}, "started": "2026-12-02T10:00:00Z",
            "result": {"config": {"audio_s": audio_s, "silent_speaks_every_s": None}, "runs": runs}}


def test_tables_render_the_figures_of_the_files_and_mark_what_is_missing(tmp_path):
    (tmp_path / "speakers-8.json").write_text(json.dumps(_record("speakers-8", [_run(8, 0, 1.36)])))
    (tmp_path / "speakers-16.json").write_text(json.dumps(
        _record("speakers-16", [_run(8, 0, 1.2), _run(16, 0, 1.94)], audio_s=90)))
    (tmp_path / "mixed.json").write_text(json.dumps(dict(_record("mixed", []), result=None)))  # failed run
    records = tables.load(tmp_path)
    assert sorted(records) == ["speakers-16", "speakers-8"]

    speakers = tables.table("speakers", records)
    rows = [line for line in speakers.splitlines() if line.startswith("| 8 speakers") or
            line.startswith("| 16 speakers")]
    assert len(rows) == 3
    assert "| 8 speakers | 8/8 | 0.80 / 1.36 / 2.50 s | 0.40 / 0.70 s |" in rows[0]
    assert "0.0550 (0.0500, +10.0%)" in rows[0] and "150% (18.75%)" in rows[0] and "600 MB (3.2 MB)" in rows[0]
    assert rows[1].startswith("| 8 speakers, 90 s |") and rows[2].startswith("| 16 speakers, 90 s |")
    assert "1.94" in rows[2]
    assert tables.table("mixed", records) == tables.NOT_MEASURED + "\n"
    # a comparison whose reference alone was run is not a table yet; a table missing one of its own runs says so
    assert tables.table("thread-per-client", records) == tables.NOT_MEASURED + "\n"
    only_8 = {"speakers-8": records["speakers-8"]}
    assert "Not yet measured on the current code: speakers-16." in tables.table("speakers", only_8)
    assert "Some CPU, 2 cores, 23.4 GB" in tables.setup(records)
    # with the machine's speed measured in the run: capacity per unit of it, and the speed in the setup
    measured = _record("speakers-8", [_run(8, 0, 1.36)])
    measured["result"]["machine"] = {"speed": {"speed": 16.0}}
    assert "8 speakers: 0.50 speakers per unit of machine speed (16.0)." in tables.table(
        "speakers", {"speakers-8": measured})
    assert "speed 16.0 to 16.0 (tiny.en int8 beam 5" in tables.setup({"speakers-8": measured})
    assert "speakers per unit" not in speakers  # (not measured: nothing said)

    document = "a\n<!-- generated: speakers -->\nold\n<!-- end generated -->\nb\n<!-- generated: mixed -->\n" \
               "<!-- end generated -->\n"
    updated = tables.update(document, records)
    assert "old" not in updated and "1.94" in updated
    assert updated.endswith("<!-- generated: mixed -->\n" + tables.NOT_MEASURED + "\n<!-- end generated -->\n")


def test_the_renderer_cli_prints_every_table(tmp_path, capsys):
    (tmp_path / "silent-16.json").write_text(json.dumps(_record("silent-16", [_run(0, 16, None)], audio_s=60)))
    assert tables.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| 16 silent, 60 s | 16/16 |" in out
    for name in tables.TABLES:
        assert f"### {name}" in out


def test_benchmarks_md_notes_the_drops_of_a_run():
    record = {"workload": "drops-8", "title": "8 speakers dropping every 20 s", "result": {"config": {}}}
    run = {"clients": 8, "silent": 0, "drops": {"drop_every_s": 20, "drops": 88, "resumes": 88,
                                                 "reference_words": 3400, "words_lost": 12, "words_duplicated": 1}}
    assert tables.notes(record, run) == [
        "8 speakers dropping every 20 s: 88 drops, 88 resumed; of 3400 reference words 12 lost and 1 duplicated."]
