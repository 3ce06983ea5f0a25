"""A run's plan: what each benchmark client streams and when it starts, and the server and settings it uses.

:func:`plan_clients` turns the speech to send and the client counts into one :class:`ClientPlan` per
client (speakers, then silent clients, with seeded start offsets); :class:`RunSettings` holds what every
client of a run shares: the server's address, the options sent (speaker labels among them), the frame
size, the timeouts, and the drops. :mod:`whisper_live.bench.clients` runs the plans.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np

from whisper_live import protocol
from whisper_live.bench.audio import Speech


@dataclass
class ClientPlan:
    name: str
    audio: np.ndarray
    speaking: bool
    reference: Optional[str]
    start_delay: float  # seconds after the run's start
    source: str = ""  # what the audio is (a file, a joined folder), for the report


@dataclass
class RunSettings:
    host: str = "127.0.0.1"
    port: int = 9090
    model: Optional[str] = None
    language: Optional[str] = "en"
    use_vad: bool = True
    frame_samples: int = 4096
    ready_timeout: float = 30.0  # for SERVER_READY / WAIT / ERROR after the options
    finish_timeout: float = 60.0  # for DISCONNECT after END_OF_AUDIO
    drop_every: float = 0.0  # seconds of audio between dropped connections (0: none)
    codec: Optional[str] = None  # "mulaw" / "alaw": sent as G.711 at 8 kHz; "opus": Opus; None: float32 at 16 kHz
    bitrate: Union[int, str] = 24  # with "opus": kbit/s, or "auto" (following the socket's send backlog)
    room: Optional[str] = None  # speakers publish into this public room (named after the client), readers follow it
    gate_timeout: float = 0.0  # with a gate: seconds an admitted speaker waits for it before streaming
    diarize: bool = False  # clients ask for speaker labels (enable_diarization)
    max_speakers: Optional[int] = None  # ... with this max_speakers (None: not sent)
    diarization_threshold: Optional[float] = None  # ... and this diarization_threshold (None: not sent)
    word_timestamps: bool = False  # clients ask for word times

    def client_options(self, uid: str, name: str) -> protocol.ClientOptions:
        """The options a client of this run sends first (``name``: its speaker's name in a room)."""
        return protocol.ClientOptions(uid=uid, language=self.language, model=self.model, use_vad=self.use_vad,
                                      room=self.room, speaker_name=name, room_public=True,
                                      enable_diarization=self.diarize, max_speakers=self.max_speakers,
                                      diarization_threshold=self.diarization_threshold,
                                      word_timestamps=self.word_timestamps)

    @property
    def uri(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def connect_uri(self, uid: Optional[str] = None) -> str:
        """Where a client connects: with its room as ``?room=`` (HAProxy sends a room's publishers to the server
        that holds it, docs/scaling.md) and, for a session that resumes, its ``uid``."""
        query = [f"room={self.room}"] if self.room else []
        query += [f"uid={uid}"] if uid else []
        return f"{self.uri}/?{'&'.join(query)}" if query else self.uri

    @property
    def frame_seconds(self) -> float:
        return self.frame_samples / protocol.SAMPLE_RATE


def plan_clients(speeches: list[Speech], speakers: int, silent: int, silence_maker: Callable[[int], np.ndarray],
                 stagger: float, seed: int) -> list[ClientPlan]:
    """Speakers first (``s0``..), then silent clients (``q0``..), each with a seeded random start offset.

    Speaker ``i`` streams ``speeches[i % len(speeches)]``.
    """
    rng = random.Random(seed)
    plans = []
    for i in range(speakers):
        speech = speeches[i % len(speeches)]
        plans.append(ClientPlan(f"s{i}", speech.audio, True, speech.reference, rng.uniform(0.0, stagger),
                                speech.source))
    for i in range(silent):
        plans.append(ClientPlan(f"q{i}", silence_maker(i), False, None, rng.uniform(0.0, stagger), "silence"))
    return plans
