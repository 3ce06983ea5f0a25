"""Word error rate with one text normalisation, shared by the tests and the benchmark."""

from __future__ import annotations

import re
import unicodedata

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
    "8": "eight", "9": "nine", "10": "ten",
}


def normalize(text: str) -> str:
    """Lower case, no punctuation, single spaces; lone digits 0-10 spelled out; accents kept."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    text = text.replace("'", "")
    words = [_NUMBERS.get(w, w) for w in text.split()]
    return " ".join(words)


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h))
        previous = current
    return previous[-1]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one hypothesis against one reference, both normalised here."""
    ref = normalize(reference).split()
    hyp = normalize(hypothesis).split()
    if not ref:
        return 0.0 if not hyp else 1.0
    return _edit_distance(ref, hyp) / len(ref)


def corpus_wer(references: list[str], hypotheses: list[str]) -> float:
    """Total edits over total reference words, across several pairs."""
    edits = words = 0
    for reference, hypothesis in zip(references, hypotheses):
        ref = normalize(reference).split()
        edits += _edit_distance(ref, normalize(hypothesis).split())
        words += len(ref)
    return edits / words if words else 0.0
