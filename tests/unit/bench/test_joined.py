"""Joining a shared folder's clips into one audio file (whisper_live/bench/joined.py; needs ../shared/audio)."""

import soundfile

from tests.conftest import SHARED_AUDIO, shared_manifest
from whisper_live.bench.joined import main


def test_joins_a_folder_with_its_references(tmp_path, capsys):
    rows = [r for r in shared_manifest()
            if r["file"].startswith("en/librispeech/") and r.get("reference_transcript", "").strip()]
    out = tmp_path / "libri.flac"
    assert main(["en/librispeech", "--out", str(out), "--gap", "0.5"]) == 0
    audio, rate = soundfile.read(out, dtype="float32")
    expected = sum(soundfile.info(SHARED_AUDIO / r["file"]).frames for r in rows) + len(rows) * 8000
    assert rate == 16000 and len(audio) == expected
    reference = (tmp_path / "libri.txt").read_text().split()
    assert len(reference) == sum(len(r["reference_transcript"].split()) for r in rows)
    assert f"{len(rows)} clips" in capsys.readouterr().out


def test_an_unknown_folder_is_a_clear_error(tmp_path, capsys):
    shared_manifest()
    assert main(["en/nothing_here", "--out", str(tmp_path / "x.flac")]) == 2
    assert "no clip with a reference under en/nothing_here/" in capsys.readouterr().err


def test_the_written_clip_cuts_at_whole_clips_like_the_folder(tmp_path):
    from whisper_live.bench import audio as audio_mod

    shared_manifest()
    out = tmp_path / "libri.flac"
    assert main(["en/librispeech", "--out", str(out)]) == 0
    from_file = audio_mod.cut(audio_mod.load_speech(str(out)), 30.0)
    from_folder = audio_mod.cut(audio_mod.load_speech("en/librispeech"), 30.0)
    assert from_file.reference == from_folder.reference and len(from_file.audio) == len(from_folder.audio)
