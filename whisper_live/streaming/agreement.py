"""LocalAgreement-2 over the segments of consecutive partial answers.

A long utterance is committed piecewise before its pause: the leading segments that two consecutive
partial answers (each for a window from the same start, the second one longer) give alike are taken as
settled. Whisper often moves a segment boundary back and forth from one answer to the next ("... for
centuries before" / "... for centuries", "before the ..."), and then no two consecutive answers agree
for seconds; so when the previous answer agrees on nothing, the one before it is asked too. Without VAD
there is never a pause to end an utterance, so the last segment also counts once it came out the same
several times in a row (WhisperLive's ``same_output_threshold``, at most 3 here).
The commit rules (commit.py) decide where such a commit may cut the audio.
"""

from __future__ import annotations

from whisper_live.protocol import Segment


def same_text(a: str, b: str) -> bool:
    """Equal up to case and spacing."""
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


class Agreement:
    """The two previous partial answers of the open utterance, and how often the last segment repeated."""

    def __init__(self, repeats_needed: int):
        self.repeats_needed = repeats_needed
        self.previous: list[Segment] = []
        self.earlier: list[Segment] = []  # the answer before the previous one
        self.repeats = 0

    def reset(self) -> None:
        """A new utterance, or a commit: the next answer starts elsewhere and is compared with nothing."""
        self.previous, self.earlier, self.repeats = [], [], 0

    def update(self, segments: list[Segment], *, judge: bool, last_too: bool) -> int:
        """Remember ``segments``; how many leading ones the previous answer gave alike (0 unless ``judge``),
        or, when it gives none alike, the answer before it.

        With ``last_too`` the last segment counts as well once the whole answer came out the same
        ``repeats_needed`` times in a row.
        """
        previous, self.previous = self.previous, segments
        earlier, self.earlier = self.earlier, previous
        if not judge:
            return 0
        agreed = _leading_alike(segments, previous) or _leading_alike(segments, earlier)
        if last_too and segments and agreed == len(segments) - 1 and len(previous) == len(segments) \
                and same_text(segments[-1].text, previous[-1].text):
            self.repeats += 1
            if self.repeats + 1 >= self.repeats_needed:
                agreed = len(segments)
        else:
            self.repeats = 0
        return agreed


def _leading_alike(segments: list[Segment], other: list[Segment]) -> int:
    """How many leading segments of ``segments``, never the last, ``other`` gives alike."""
    alike = 0
    for new, old in zip(segments[:-1], other):
        if not same_text(new.text, old.text):
            break
        alike += 1
    return alike
