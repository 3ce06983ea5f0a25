"""A piece of transcript as it crosses the wire: :class:`Segment` and its :class:`Word` timings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float = 1.0

    def to_wire(self) -> dict:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "word": self.word,
                "probability": round(self.probability, 4)}


@dataclass
class Segment:
    """A piece of transcript; times are seconds since the start of the client's stream."""

    start: float
    end: float
    text: str
    completed: bool = False
    words: Optional[list[Word]] = None
    speaker: Optional[str] = None  # with diarization: "SPEAKER_00" or a name
    speaker_provisional: bool = False  # (partials) ``speaker`` is a guess: the speaker heard last

    def to_wire(self) -> dict:
        # WhisperLive sends start/end as strings with three decimals; its clients parse them with float().
        data: dict = {"start": f"{self.start:.3f}", "end": f"{self.end:.3f}", "text": self.text,
                      "completed": self.completed}
        if self.words is not None:
            data["words"] = [w.to_wire() for w in self.words]
        if self.speaker is not None:
            data["speaker"] = self.speaker
            if self.speaker_provisional:
                data["speaker_provisional"] = True
        return data

    def shifted(self, seconds: float, keep_words: bool = True) -> "Segment":
        """A copy ``seconds`` later, words too (or without words)."""
        words = None if self.words is None or not keep_words else [
            Word(w.start + seconds, w.end + seconds, w.word, w.probability) for w in self.words]
        return Segment(start=self.start + seconds, end=self.end + seconds, text=self.text,
                       completed=self.completed, words=words, speaker=self.speaker,
                       speaker_provisional=self.speaker_provisional)

    @classmethod
    def from_wire(cls, data: dict) -> "Segment":
        words = data.get("words")
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data.get("text", "")),
            completed=bool(data.get("completed", False)),
            words=[Word(float(w["start"]), float(w["end"]), str(w["word"]), float(w.get("probability", 1.0)))
                   for w in words] if words is not None else None,
            speaker=str(data["speaker"]) if data.get("speaker") is not None else None,
            speaker_provisional=bool(data.get("speaker_provisional", False)),
        )
