"""``--drop-every S``: each client drops its connection (no close frame) every S seconds of audio sent and
resumes its session; what that costs in words.

The transcript of a client that dropped is aligned with its reference (the word alignment of
:mod:`whisper_live.wer`'s edit distance):

* words lost: reference words the alignment deletes (a run without drops has some too: compare);
* words duplicated: runs of inserted words that repeat the words just before or just after them, as
  audio transcribed twice across a resume would.
"""

from __future__ import annotations

from typing import Iterable

from whisper_live.wer import normalize


def lost_and_duplicated(reference: str, hypothesis: str) -> tuple[int, int]:
    """(reference words deleted, inserted words that repeat their neighbours)."""
    ref, hyp = normalize(reference).split(), normalize(hypothesis).split()
    # edit-distance table, then one optimal path back from its end
    table = [[0] * (len(hyp) + 1) for _ in range(len(ref) + 1)]
    for i in range(len(ref) + 1):
        table[i][0] = i
    for j in range(len(hyp) + 1):
        table[0][j] = j
    for i in range(1, len(ref) + 1):
        for j in range(1, len(hyp) + 1):
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,
                              table[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]))
    lost = 0
    inserted = []  # indices into hyp, from the end
    i, j = len(ref), len(hyp)
    while i or j:
        if i and j and table[i][j] == table[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            i, j = i - 1, j - 1
        elif i and table[i][j] == table[i - 1][j] + 1:
            lost += 1
            i -= 1
        else:
            inserted.append(j - 1)
            j -= 1
    return lost, sum(len(run) for run in _runs(sorted(inserted)) if _repeats_a_neighbour(hyp, run[0], run[-1] + 1))


def _runs(indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _repeats_a_neighbour(words: list[str], start: int, end: int) -> bool:
    """Whether words[start:end] is a copy of the as many words just before or just after it."""
    run = words[start:end]
    return words[max(0, 2 * start - end):start] == run or words[end:2 * end - start] == run


def drop_figures(logs: Iterable, transcript) -> dict:
    """Totals over the speaking clients with a reference: drops, resumes, words lost and duplicated."""
    logs = [log for log in logs if log.speaking and log.reference is not None and log.admission == "ready"]
    lost = duplicated = words = 0
    for log in logs:
        one_lost, one_duplicated = lost_and_duplicated(log.reference, transcript(log))
        lost += one_lost
        duplicated += one_duplicated
        words += len(normalize(log.reference).split())
    return {
        "drops": sum(log.drops for log in logs),
        "resumes": sum(log.resumes for log in logs),
        "reference_words": words,
        "words_lost": lost,
        "words_duplicated": duplicated,
    }
