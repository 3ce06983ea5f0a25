"""Words lost and duplicated (bench --drop-every), from the alignment with the reference."""

from whisper_live.bench.drops import lost_and_duplicated


def test_nothing_lost_nothing_duplicated():
    assert lost_and_duplicated("the cat sat on the mat", "The cat sat on the mat.") == (0, 0)


def test_a_word_lost_and_a_word_repeated():
    assert lost_and_duplicated("the cat sat on the mat", "the cat on the mat") == (1, 0)
    assert lost_and_duplicated("the cat sat on the mat", "the cat sat sat on the mat") == (0, 1)
    assert lost_and_duplicated("the cat sat on the mat", "the cat sat on the cat sat on the mat") == (0, 4)


def test_a_misheard_or_extra_word_is_neither():
    assert lost_and_duplicated("the cat sat on the mat", "the bat sat on the mat") == (0, 0)
    assert lost_and_duplicated("the cat sat on the mat", "the cat sat down on the mat") == (0, 0)
