"""whisper_live/wer.py, the oracle behind most transcript assertions, checked against jiwer.

Two independent checks: the edit distance (jiwer scores the texts our normaliser made), and the normaliser
itself (jiwer's own transforms, composed to do what ``normalize`` documents, score the raw texts).
"""

import random

import jiwer
import pytest

from whisper_live.wer import _NUMBERS, corpus_wer, normalize, wer

# What whisper_live.wer.normalize documents, built from jiwer's transforms: lower case, a hyphen splits
# words, other punctuation goes, lone digits 0-10 are spelled out.
JIWER_NORMALISED = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.SubstituteRegexes({r"-": " "}),
    jiwer.RemovePunctuation(),
    jiwer.RemoveMultipleSpaces(),
    jiwer.Strip(),
    jiwer.SubstituteWords({digit: word for digit, word in _NUMBERS.items()}),
    jiwer.ReduceToListOfListOfWords(),
])

EDGE_CASES = [
    ("", ""),
    ("hello world", "hello world"),
    ("Hello, World!", "hello world"),
    ("HELLO WORLD", "Hello world."),
    ("one two three", "1 2 3"),
    ("ten", "10"),
    ("eleven", "11"),  # only 0-10 are spelled out: a substitution
    ("I have 2 dogs", "i have two dogs."),
    ("twenty one", "21"),
    ("don't stop", "dont stop"),
    ("It's well-known.", "its well known"),
    ("a b c d", ""),
    ("a b c d", "a b c d e f"),
    ("the cat sat", "sat the cat"),
    ("  spaced   out  ", "spaced out"),
    ("Café au lait", "café au lait"),
    ("...", "uh"),
    ("What? No!", "what no"),
    ("the the the", "the"),
    ("x", "y z w v"),
]

VOCABULARY = ["the", "The", "cat", "Cat,", "sat", "on", "mat.", "mat", "1", "one", "10", "ten", "11", "don't",
              "dont", "well-known", "well", "known", "Hello!", "hello", "world?", "WORLD", "it's", "its", "2",
              "two", "a", "A", "quick", "brown", "fox", "jumps", "over", "lazy", "dog;", "dog"]


def random_pairs(count: int, seed: int = 27):
    """Pairs of sentences with random substitutions, deletions and insertions (references never empty)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(count):
        reference = [rng.choice(VOCABULARY) for _ in range(rng.randint(1, 14))]
        hypothesis = []
        for word in reference:
            roll = rng.random()
            if roll < 0.1:
                continue  # deleted
            hypothesis.append(rng.choice(VOCABULARY) if roll < 0.25 else word)
            if rng.random() < 0.08:
                hypothesis.append(rng.choice(VOCABULARY))  # inserted
        pairs.append((" ".join(reference), " ".join(hypothesis)))
    return pairs


PAIRS = EDGE_CASES[1:] + random_pairs(400)


@pytest.mark.parametrize("reference, hypothesis", EDGE_CASES, ids=range(len(EDGE_CASES)))
def test_edge_cases_agree_with_jiwer(reference, hypothesis):
    ours = wer(reference, hypothesis)
    expected = jiwer.wer(normalize(reference), normalize(hypothesis))
    scored_raw = jiwer.wer(reference, hypothesis, reference_transform=JIWER_NORMALISED,
                           hypothesis_transform=JIWER_NORMALISED)
    if normalize(reference):
        assert ours == pytest.approx(expected) == pytest.approx(scored_raw)
    else:
        # jiwer counts insertions against an empty reference; ours caps that at 1.0 (nothing expected,
        # something said: all wrong), and two empty texts agree
        assert ours == min(1.0, expected) == min(1.0, scored_raw)


def test_many_random_pairs_agree_with_jiwer():
    disagreements = []
    for reference, hypothesis in PAIRS:
        ours = wer(reference, hypothesis)
        on_our_normalisation = jiwer.wer(normalize(reference), normalize(hypothesis))
        on_jiwers_normalisation = jiwer.wer(reference, hypothesis, reference_transform=JIWER_NORMALISED,
                                            hypothesis_transform=JIWER_NORMALISED)
        if not ours == pytest.approx(on_our_normalisation) == pytest.approx(on_jiwers_normalisation):
            disagreements.append((reference, hypothesis, ours, on_our_normalisation, on_jiwers_normalisation))
    assert not disagreements, disagreements[:5]
    # the pairs are not trivial: they hold errors of every size
    scores = sorted(wer(r, h) for r, h in PAIRS)
    assert scores[0] == 0.0 and scores[-1] >= 1.0 and 0.05 < scores[len(scores) // 2] < 0.6


def test_corpus_wer_is_jiwers_wer_over_the_whole_list():
    references = [r for r, _ in PAIRS]
    hypotheses = [h for _, h in PAIRS]
    expected = jiwer.wer([normalize(r) for r in references], [normalize(h) for h in hypotheses])
    assert corpus_wer(references, hypotheses) == pytest.approx(expected)
    output = jiwer.process_words(references, hypotheses, reference_transform=JIWER_NORMALISED,
                                 hypothesis_transform=JIWER_NORMALISED)
    errors = output.substitutions + output.deletions + output.insertions
    assert corpus_wer(references, hypotheses) == pytest.approx(errors / (output.hits + output.substitutions
                                                                         + output.deletions))


def test_normaliser_matches_jiwers_transforms():
    for text in [r for r, _ in PAIRS] + [h for _, h in PAIRS]:
        assert normalize(text).split() == (JIWER_NORMALISED(text)[0] if text.strip() else []), text
