"""What counts as an answer that repeats itself (whisper_live/transcriber/fallback.py)."""

from whisper_live.transcriber.fallback import repeats_itself


def test_a_repetition_loop_is_told_from_a_sentence():
    assert repeats_itself(" It was natural therefore." * 12)
    assert not repeats_itself(" The earliest book printed with movable type, the aforesaid Gutenberg Bible.")
    assert not repeats_itself("")
