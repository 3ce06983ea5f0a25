"""Left context for final windows: what the model said about new audio when it also heard the audio before.

Whisper transcribes a short window worse than the same words inside a 30 s window: on its own, a 4 s
phrase loses the sentence around it (names, "than"/"then", compounds). Offline transcription has that
context; a streaming final window, cut at a short pause, does not. So a final window is given up to a few
seconds of the audio just before it, audio whose text is already committed, and the answer is split
where that committed text ends.

The split relies on word timestamps and on the committed text: the words the model heard in the context
are aligned with the committed words; what follows is new. Whisper sometimes repeats or drops text around
such a join, so the split is refused (``None``) when the new part looks wrong, and the caller transcribes
the window again without context. What the context gains: docs/streaming.md, "Finals with context".

Finals decoded offline-style (beam search, ``--final_beam_size``) do without the split: the model is told
to start writing where the context ends (``Request.decode_from``), with the committed text as its prompt,
so it hears the context without decoding it again (less model time: docs/streaming.md, "Finals with
context"). :func:`check_continuation`
refuses such an answer on the same grounds, and when it runs on past the audio.
"""

from __future__ import annotations

import difflib
import logging
import re
from typing import Optional

from whisper_live.protocol import SAMPLE_RATE, Segment, Word
from whisper_live.transcriber.base import Prefix

log = logging.getLogger(__name__)

MIN_CONTEXT_SECONDS = 0.5  # less context than this is not worth the words it costs
MAX_GAP_SECONDS = 2.0  # context must end (and its segments follow each other) within this of the window
# A new part is refused when its words stop this long before the window's end (the model stopped early),
TAIL_SECONDS = 1.2
# or when it has fewer words than this per second of new speech (up to the end of the last speech the VAD
# heard in the window), past the first half second.
MIN_WORDS_PER_SECOND = 1.2
ALIGN_WORDS = 40  # committed words compared with the model's words
MAX_SHIFT = 3  # words the alignment may move the split away from the timestamp split
# ... or any number of words earlier, when at least this many words in a row match the committed text up to
# its end: the words heard after them in the context's audio were never committed (an earlier final
# stopped short: "... the quarry of the wild" for "... the wild huntsman of German legend"), so they are new.
RECOVER_AFTER_MATCHING = 4
# Committed words a final window is conditioned on (a prompt, as offline Whisper conditions each window on
# the text before it; its prompt holds up to 223 tokens, about 170 words).
PROMPT_WORDS = 100
# A continuation (decoded from the end of its context) with more words than this per second of new audio,
# plus two, ran on past the audio: Whisper, asked to go on after a phrase that ends mid-sentence, can make
# up the rest of the sentence. Read speech has 2-4 words a second.
MAX_WORDS_PER_SECOND = 6.0
# A continuation repeats its context when it writes four words in a row of the context's last twelve again
# (it went back to the last phrase it heard), not for any three words the context has too: read text says
# "the middle ages" or "the forms of printed letters" twice within 20 s, and the stricter test refused good
# continuations, each then decoded again without context (docs/streaming.md, "Finals with context").
CONTINUATION_TAIL_WORDS = 12
# ... and, anywhere in it, when it copies this many words in a row from the context: beam search, asked to
# go on from a window cut inside a sentence (a final cut where partial answers agreed, or at max_window),
# can write the phrase it heard and then a whole sentence of its prompt again ("... or printing. Now, as
# all books not primarily intended as picture books consist principally of types composed to form
# letterpress."). Read text can repeat six words within 20 s.
COPIED_RUN_WORDS = 8

# A final window with its replayed context fits in one request: Whisper's 30 s window, less the 3 s of
# silence the faster_whisper backend's trimmed window needs (it cuts longer audio at its end).
MAX_FINAL_SECONDS = 27.0
# ... and a final decoded from the end of its context (``final_beam_size`` above 1) in 24 s: Whisper does worse
# on new speech in the last seconds of its window (docs/streaming.md, "Finals with context").
MAX_CONTINUED_SECONDS = 24.0


def normalized_words(text: str) -> list[str]:
    """Lower-case words without punctuation, for comparing texts."""
    return [w for w in (re.sub(r"[^\w']", "", w) for w in text.lower().split()) if w]


def context_segments(completed: list[Segment], window_start: float, max_seconds: float) -> list[Segment]:
    """The committed segments to replay before a window starting at ``window_start`` (seconds).

    The last few committed segments that start within ``max_seconds`` of the window and follow each other
    (and the window) without a long gap; empty when there are none.
    """
    chosen: list[Segment] = []
    for segment in reversed(completed):
        following = chosen[0].start if chosen else window_start
        if segment.start < window_start - max_seconds or following - segment.end > MAX_GAP_SECONDS:
            break
        chosen.insert(0, segment)
    if chosen and window_start - chosen[0].start < MIN_CONTEXT_SECONDS:
        return []
    return chosen


def context_budget(configured: float, window_seconds: float, continued: bool,
                   most: Optional[float] = None) -> float:
    """Seconds of context a final window of ``window_seconds`` may replay: ``configured``, less when it would
    not fit in one request with the window (``continued``: decoded from the context's end) or than ``most``
    (the quality ladder's rung, when the model is behind: whisper_live/ladder.py)."""
    limit = MAX_CONTINUED_SECONDS if continued else MAX_FINAL_SECONDS
    wanted = configured if most is None else min(configured, most)
    return min(wanted, limit - window_seconds)


def replay_from(completed: list[Segment], keep_from: int, max_seconds: float) -> int:
    """The first sample (from ``keep_from`` back) of committed speech a later final window may replay.

    The audio buffer keeps it so that :func:`context_for` finds the audio there; without context
    (``max_seconds`` 0) that is ``keep_from`` itself.
    """
    if max_seconds <= 0:
        return keep_from
    earliest = keep_from / SAMPLE_RATE - max_seconds
    start = keep_from
    for segment in reversed(completed):
        if segment.end <= earliest:
            break
        start = min(start, max(int(segment.start * SAMPLE_RATE), int(earliest * SAMPLE_RATE)))
    return start


def context_for(completed: list[Segment], start: int, buffer_start: int, max_seconds: float) -> tuple[int, str]:
    """(samples, text) of committed speech to replay before a final window starting at sample ``start``.

    (0, "") when there is none, or when its audio is no longer in the buffer (from ``buffer_start``).
    """
    chosen = context_segments(completed, start / SAMPLE_RATE, max_seconds)
    if not chosen:
        return 0, ""
    first = int(chosen[0].start * SAMPLE_RATE)
    if first < buffer_start or first >= start:
        return 0, ""
    return start - first, "".join(s.text for s in chosen)


def prompt_before(completed: list[Segment], before: float, initial_prompt: Optional[str] = None,
                  max_words: int = PROMPT_WORDS) -> Optional[str]:
    """The text to condition a final window on: the last ``max_words`` committed words that end before
    ``before`` (seconds: where the model starts writing, the end of the window's replayed context),
    after the client's own prompt.

    Offline Whisper conditions each 30 s window on the text before it. The prompt may cover audio the
    model hears only when the model is told to start writing after it (``Request.decode_from``); else
    the model writes that text down again.
    """
    return _after_client_prompt(_words_before(completed, before, max_words), initial_prompt)


def prompt_and_prefix(completed: list[Segment], before: float, heard_from: float,
                      initial_prompt: Optional[str] = None, go_on: bool = True) -> tuple[Optional[str],
                                                                                         Optional[Prefix]]:
    """(prompt, prefix) of a final window going on from its replayed context: :func:`prompt_before`'s
    text, less the last committed segment when the window replays it whole (:func:`open_segment`) and
    ``go_on``: that segment is then the start of the answer (``Request.prefix``).

    A segment with more words than the prompt holds stays in the prompt.
    """
    words = _words_before(completed, before, PROMPT_WORDS)
    text, start = open_segment(completed, before, heard_from) if go_on else ("", 0.0)
    said = text.split()
    if not said or len(said) > len(words):
        return _after_client_prompt(words, initial_prompt), None
    return _after_client_prompt(words[:len(words) - len(said)], initial_prompt), Prefix(text, start)


def _words_before(completed: list[Segment], before: float, max_words: int) -> list[str]:
    """The last ``max_words`` words of the committed segments that end before ``before`` (seconds)."""
    words: list[str] = []
    for segment in reversed(completed):
        if len(words) >= max_words:
            break
        if segment.end <= before:
            words[:0] = segment.text.split()
    return words[-max_words:]


def _after_client_prompt(words: list[str], initial_prompt: Optional[str]) -> Optional[str]:
    text = " ".join(words)
    if initial_prompt and initial_prompt.strip():
        text = f"{initial_prompt.strip()} {text}".strip()
    return text or None


def open_segment(completed: list[Segment], before: float, heard_from: float) -> tuple[str, float]:
    """(text, start) of the last committed segment ending before ``before`` (seconds) when its audio starts
    at ``heard_from`` or later (the window replays it); ("", 0.0) when there is none.

    Its text is what a final window going on from its context writes first (``Request.prefix``), the
    start relative to ``heard_from``.
    """
    last = next((s for s in reversed(completed) if s.end <= before), None)
    if last is None or last.start < heard_from - 0.01 or not last.text.strip():
        return "", 0.0
    return " ".join(last.text.split()), max(0.0, last.start - heard_from)


def _first_word(word: Word) -> str:
    words = normalized_words(word.word)
    return words[0] if words else ""


def _split_index(words: list[Word], context_seconds: float, context_text: str) -> int:
    """Index of the first new word: by timestamps, corrected by aligning with the committed text.

    The text may move the split a few words either way (a word stamped on the wrong side of the join), or
    many words earlier to take back words heard in the context that were never committed.
    """
    by_time = next((i for i, w in enumerate(words) if (w.start + w.end) / 2 >= context_seconds), len(words))
    committed = normalized_words(context_text)[-ALIGN_WORDS:]
    heard = [_first_word(w) for w in words]
    matcher = difflib.SequenceMatcher(None, committed, heard, autojunk=False)
    by_text = matched = None
    for block in matcher.get_matching_blocks():
        if block.size and block.a + block.size >= len(committed) - 1:
            by_text = block.b + block.size
            if block.a + block.size < len(committed):  # the last committed word was heard otherwise
                by_text += _heard_as(committed[-1], heard[by_text:])
            matched = block.size
    if by_text is not None and (abs(by_text - by_time) <= MAX_SHIFT or
                                (by_text < by_time and matched >= RECOVER_AFTER_MATCHING)):
        return by_text
    return by_time


def _heard_as(word: str, heard: list[str]) -> int:
    """How many of the ``heard`` words stand for ``word``: two or three when they spell it together
    ("a sleep" for "asleep", "wood cutters" for "woodcutters"), else one."""
    for count in (2, 3):
        if len(heard) >= count and "".join(heard[:count]) == word:
            return count
    return 1


def _grams(words: list[str], n: int) -> list[tuple]:
    """Every ``n`` words in a row, in order."""
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def _repeats(new: list[str], context: list[str], run: int = 3) -> bool:
    """``run`` words in a row that the new part takes from the context early on, or a loop: three words it
    says twice in a row, or four it says twice anywhere. (Three words said twice apart are how sentences
    go: "the invention of movable metal letters ... as the invention of the art of printing".)"""
    seen = set(_grams(context, run))
    if any(g in seen for g in _grams(new, run)[:8]):
        return True
    threes, fours = _grams(new, 3), _grams(new, 4)
    return any(threes[i] == threes[i + 3] for i in range(len(threes) - 3)) or len(set(fours)) < len(fours)


def _copies(new: list[str], context: list[str], run: int) -> bool:
    """Whether ``run`` words in a row of ``new`` stand in ``context`` too."""
    return not set(_grams(new, run)).isdisjoint(_grams(context, run))


def split_after_context(segments: list[Segment], context_seconds: float, context_text: str,
                        new_seconds: float) -> Optional[list[Segment]]:
    """The segments about the new audio, or None when the answer cannot be split reliably.

    ``segments`` are the model's answer for context + new audio, times in seconds from the start of the
    context, each with its words; ``new_seconds`` is how long the new audio holds speech (the caller's
    VAD heard its last speech that far after the context). The returned segments keep those times (the
    caller shifts them) and hold only the words past the split.
    """
    if any(s.words is None for s in segments):
        return None
    words = [w for s in segments for w in s.words]
    split = _split_index(words, context_seconds, context_text)
    new = words[split:]
    if _looks_wrong([_first_word(w) for w in new], new[-1].end if new else 0.0, context_seconds,
                    normalized_words(context_text), new_seconds) is not None:
        return None
    kept: list[Segment] = []
    carried: list[Word] = []  # new words of a segment that began in the context
    index = 0
    for segment in segments:
        mine = [w for i, w in enumerate(segment.words, index) if i >= split]
        index += len(segment.words)
        if 0 < len(mine) < len(segment.words):
            # A segment begun in the context ends with a few new words: they join the next segment rather
            # than arrive as a fragment of their own ("and it is worth" / "mention in passing that").
            carried = mine
            continue
        if not mine:
            continue
        kept.append(_segment(carried + mine, segment.end, context_seconds))
        carried = []
    if carried:
        kept.append(_segment(carried, segments[-1].end, context_seconds))
    return kept


def _looks_wrong(new: list[str], new_end: float, context_seconds: float, context_words: list[str],
                 new_seconds: float, run: int = 3) -> Optional[str]:
    """Why the ``new`` words the model heard after the context (the last ending at ``new_end``, seconds
    from the context's start) cannot be trusted: none, stopping early, too few, or repeating
    ``context_words`` (``run`` of them in a row); None when they can."""
    if not new:
        return "no words"
    if new_end - context_seconds < new_seconds - TAIL_SECONDS:
        return f"stops {new_seconds - (new_end - context_seconds):.1f} s before the end"
    if _spoken_words(new) < MIN_WORDS_PER_SECOND * (new_seconds - 0.5):
        return f"{len(new)} words for {new_seconds:.1f} s"
    if _repeats(new, context_words, run):
        return "repeats the context or itself"
    return None


def _spoken_words(words: list[str]) -> int:
    """About how many words ``words`` take to say: a number written in digits counts a word per digit, up
    to four ("1455" is "fourteen fifty-five")."""
    return sum(max(1, min(4, sum(c.isdigit() for c in w))) for w in words)


def _segment(words: list[Word], end: float, context_seconds: float) -> Segment:
    start = max(words[0].start, context_seconds)
    return Segment(start=start, end=max(end, start), text="".join(w.word for w in words), words=words)


def check_continuation(segments: list[Segment], context_seconds: float, context_text: str,
                       new_seconds: float) -> Optional[list[Segment]]:
    """The segments of an answer decoded from the end of its context, or None when it looks wrong.

    Such an answer (``Request.decode_from``) holds only the new audio's text, so nothing needs splitting;
    it is refused, as :func:`split_after_context` refuses a split, when its words stop early, are too few,
    are too many for the new audio (made up), repeat the context's end or copy eight of its words in a
    row anywhere, or are stamped before the context's end.
    Times are seconds from the start of the context and stay so; segments start no earlier than its end.
    """
    new = [s for s in segments if s.text.strip()]
    words = normalized_words(" ".join(s.text for s in new))
    context_words = normalized_words(context_text)
    tail = context_words[-CONTINUATION_TAIL_WORDS:]
    refusal = _looks_wrong(words, new[-1].end if new else 0.0, context_seconds, tail, new_seconds, run=4)
    if refusal is None and len(words) > MAX_WORDS_PER_SECOND * new_seconds + 2:
        refusal = f"{len(words)} words for {new_seconds:.1f} s"
    if refusal is None and _copies(words, context_words, COPIED_RUN_WORDS):
        refusal = f"copies {COPIED_RUN_WORDS} words of the context"
    if refusal is None and any(s.end < context_seconds or s.start < context_seconds - 0.5 for s in new):
        refusal = "stamped before the context's end"
    if refusal is not None:
        log.debug("continuation refused (%s): %r", refusal, " ".join(s.text.strip() for s in new))
        return None
    return [Segment(start=max(s.start, context_seconds), end=max(s.end, context_seconds), text=s.text,
                    words=s.words) for s in new]
