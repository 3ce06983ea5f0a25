"""BENCHMARKS.md's tables (whisper_live/bench/tables.py) rendered from the workloads' JSON (no server, no
model): each machine's apart, under a line naming it; the notes of a run."""

from __future__ import annotations

import json

from tests.server_process import ROOT
from tests.unit.bench.fake_records import load_record, load_run, record
from whisper_live.bench import tables, workloads
from whisper_live.bench.table_rows import notes, record_notes

AVX2 = {"cpu": "AMD EPYC", "cpus": 2, "memory_gb": 8.0, "platform": "Linux", "python": "3.11.7", "family": "avx2"}


def _write(folder, rec):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rec['workload']}.json").write_text(json.dumps(rec))


def test_every_block_of_benchmarks_md_is_known_and_every_workload_has_a_block():
    names = [m.group(2) for document in ("BENCHMARKS.md", "benchmarks/AREAS.md", "benchmarks/CONFIGURATIONS.md")
             for m in tables.BLOCK.finditer((ROOT / document).read_text())]
    assert sorted(names) == sorted([*tables.blocks(), "setup", "targets"])
    shown = {w for rows in tables.blocks().values() for w in rows} | {"api-file"}  # (api-file: the api block's line)
    assert shown == set(workloads.BY_NAME)


def test_tables_render_the_figures_of_the_files_and_mark_what_is_missing(tmp_path):
    _write(tmp_path, load_record("speakers-8", [load_run(8, p90=1.36)]))
    _write(tmp_path, load_record("speakers-16", [load_run(8, p90=1.2), load_run(16, p90=1.94)], audio_s=90))
    _write(tmp_path, dict(load_record("mixed", []), result=None))  # a failed run
    records = tables.load(tmp_path)
    assert sorted(records) == ["speakers-16", "speakers-8"]

    speakers = tables.table("speakers", records)
    rows = [line for line in speakers.splitlines() if line.startswith(("| 8 speakers", "| 16 speakers"))]
    assert len(rows) == 3
    assert "| 8 speakers | 8/8 | 0.80 / 1.36 / 2.50 s | 0.40 / 0.70 s |" in rows[0]
    assert "0.0550 (0.0500, +10.0%)" in rows[0] and "150% (18.75%)" in rows[0] and "600 MB (3.2 MB)" in rows[0]
    assert rows[1].startswith("| 8 speakers, 90 s |") and rows[2].startswith("| 16 speakers, 90 s |")
    assert tables.table("mixed", records) == tables.NOT_MEASURED + "\n"
    assert tables.table("thread-per-client", records) == tables.NOT_MEASURED + "\n"
    only_8 = {"speakers-8": records["speakers-8"]}
    assert "Not yet measured on the current code: speakers-16." in tables.table("speakers", only_8)
    assert "Some CPU, 2 cores, 23.4 GB" in tables.setup(records)
    measured = load_record("speakers-8", [load_run(8, p90=1.36)], speed=16.0)
    assert "8 speakers: 0.50 speakers per unit of machine speed (16.0)." in tables.table(
        "speakers", {"speakers-8": measured})
    assert "speed 16.0 to 16.0 (tiny.en int8 beam 5" in tables.setup({"speakers-8": measured})
    assert "speakers per unit" not in speakers  # (not measured: nothing said)
    ramp = load_record("speakers-16", [load_run(8), load_run(16), load_run(24, finished=20)], speed=16.0)
    ramp_table = tables.table("speakers", {"speakers-16": ramp})
    assert "speakers-16: speakers per unit of machine speed (16.0): 0.50 (8), 1.00 (16)." in ramp_table
    assert ramp_table.count("per unit") == 1


def test_each_machine_renders_apart_under_a_line_naming_it_its_speed_and_dates(tmp_path):
    _write(tmp_path, load_record("speakers-8", [load_run(8, p90=1.36)]))
    other = load_record("speakers-8", [load_run(8, p90=2.7)], speed=9.4)
    other.update(machine=AVX2, started="2026-12-09T10:00:00Z")
    _write(tmp_path / "avx2", other)
    (tmp_path / "README.md").write_text("not a record")
    machines = tables.load_machines(tmp_path)
    assert list(machines) == ["avx512", "avx2"]
    block = tables.render("speakers", machines)
    intel, amd = block.split("*AMD EPYC")
    assert intel.startswith("*Some CPU, 2 cores (AVX-512), speed not measured; 2026-12-02:*") and "1.36" in intel
    assert amd.startswith(", 2 cores (AVX2 only), speed 9.4; 2026-12-09:*") and "2.70" in amd and "1.36" not in amd
    assert "Not yet measured on the current code: speakers-16." in amd
    assert tables.render("mixed", machines) == tables.NOT_MEASURED + "\n"  # no machine has it
    setup = tables.render("setup", machines)
    assert "Some CPU, 2 cores, 23.4 GB" in setup and "AMD EPYC, 2 cores, 8.0 GB" in setup

    document = "a\n<!-- generated: speakers -->\nold\n<!-- end generated -->\nb\n<!-- generated: mixed -->\n" \
               "<!-- end generated -->\n"
    updated = tables.update(document, machines)
    assert "old" not in updated and "2.70" in updated and "1.36" in updated
    assert updated.endswith("<!-- generated: mixed -->\n" + tables.NOT_MEASURED + "\n<!-- end generated -->\n")


def test_the_renderer_cli_prints_every_block(tmp_path, capsys):
    _write(tmp_path, load_record("silent-16", [load_run(0, 16, p90=None)], audio_s=60))
    assert tables.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| 16 silent, 60 s | 16/16 |" in out
    for name in ("targets", "setup", *tables.blocks()):
        assert f"### {name}" in out


def test_benchmarks_md_notes_the_drops_of_a_run():
    rec = {"workload": "drops-8", "title": "8 speakers dropping every 20 s", "result": {"config": {}}}
    run = {"clients": 8, "silent": 0, "drops": {"drop_every_s": 20, "drops": 88, "resumes": 88,
                                                 "reference_words": 3400, "words_lost": 12, "words_duplicated": 1}}
    assert notes(rec, run) == [
        "8 speakers dropping every 20 s: 88 drops, 88 resumed; of 3400 reference words 12 lost and 1 duplicated."]


def test_notes_give_the_readers_the_bytes_of_a_codec_the_capacity_and_the_rungs():
    room = {"readers": 90, "sse": 45, "ws": 45, "complete": 90, "lines_per_reader": 12, "every_reader_got_every_line":
            True, "delay_s": {"p50": 0.004, "p99": 0.031}, "stalled": {"readers": 10, "dropped": 10}}
    rec = load_record("room-stalled", [load_run(1, room=room)])
    assert notes(rec, rec["result"]["runs"][0])[0] == (
        "1 speaker, 90 readers and 10 that never read, 90 s: 90/90 readers (45 SSE, 45 WebSocket) got all 12 lines; "
        "delay after the speaker's own client p50 0.00 s, p99 0.03 s; of 10 readers that never read, 10 dropped.")
    opus = load_record("opus-24", [load_run(4, bytes_per_audio_s=3100.4)], config={"codec": "opus"})
    assert "4 speakers, mixed sets, Opus 24 kbit/s: 3100 bytes per second of audio (float32 PCM: 64000)." in notes(
        opus, opus["result"]["runs"][0])
    pcm = load_record("opus-pcm", [load_run(4, bytes_per_audio_s=64000.0)], config={"codec": "float32"})
    assert not [n for n in notes(pcm, pcm["result"]["runs"][0]) if "bytes" in n]
    capacity = load_record("capacity", [load_run(4), load_run(5)], speed=10.0, max_clients_meeting_target=5,
                           config={"target_p90": 2.0, "target_max": 4.0})
    capacity["server_metrics"] = {"final_windows_by_rung": {"full": 90, "short_context": 10}}
    assert record_notes(capacity) == [
        "capacity: speakers per unit of machine speed (10.0): 0.40 (4), 0.50 (5).",
        "capacity: 5 speakers the most that meet final p90 ≤ 2.0 s, max ≤ 4.0 s (0.50 per unit of machine speed).",
        "capacity: final windows by the ladder's rung: full 90 (90%), short_context 10 (10%)."]
    assert record_notes(load_record("speakers-16", [load_run(8)], max_clients_meeting_target=16)) == []


def test_a_record_of_another_bench_renders_its_own_table(tmp_path):
    diar = record("diar-3", {"bench": "diarization", "accuracy": 0.962, "exact_labels": 3,
                             "runs": [{"cpu_per_audio_s": 0.01}] * 3}, machine=dict(AVX2, speed={"speed": 9.4}))
    block = tables.render("diarization", {"avx2": {"diar-3": diar}})
    assert block.startswith("*AMD EPYC, 2 cores (AVX2 only), speed 9.4; 2026-12-02:*")
    assert f"| {diar['title']} | 96.2% | 3/3 | - | - | 10.0 ms |" in block
    live = record("diar-8-off", {"bench": "diarization", "mode": "live", "diarization": "off", "wer": 0.0512,
                                 "final_latency_s": {"n": 90, "p50": 0.81, "p90": 1.52, "max": 2.9}, "runs": [{}] * 8})
    block = tables.render("diarization", {"avx2": {"diar-3": diar, "diar-8-off": live}})
    assert f"| {live['title']} | - (no labels) | - | 0.81 / 1.52 / 2.90 s | 0.0512 | - |" in block
