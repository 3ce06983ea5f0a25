"""What a runner is: the interface by which the server runs live clients' windows in front of one transcriber.

Two classes are runners: the shared :class:`~whisper_live.scheduler.Scheduler` (the default) and the
thread-per-client :class:`~whisper_live.locked_runner.LockedRunner` (``--inference_mode locked``). The
server's model pool holds one per loaded model; a session adds its client (anything with the
:class:`~whisper_live.scheduler.InferenceClient` methods), notifies the runner when the client may have work,
and removes it when the session ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Optional, Protocol, runtime_checkable

if TYPE_CHECKING:
    from whisper_live.admission import LoadMeter
    from whisper_live.scheduler import BatchReport, InferenceClient
    from whisper_live.transcriber.base import Transcriber


@runtime_checkable
class Runner(Protocol):
    transcriber: Transcriber  # the model the windows run on
    workers: int  # how many model calls may run at once
    meter: LoadMeter  # every model call is recorded here (admission and the status figures read it)
    on_batch: Optional[Callable[[BatchReport], None]]  # told of every model call (the server's metrics)

    def start(self) -> None:
        """Begin running windows."""

    def stop(self) -> None:
        """Stop running windows, and wait for the threads the runner started to end."""

    def add(self, client: InferenceClient) -> None:
        """Run ``client``'s windows from now on."""

    def notify(self, client: InferenceClient) -> None:
        """``client`` may have work (new audio, or the end of it)."""

    def remove(self, client: InferenceClient) -> None:
        """Take no more windows of ``client``."""


def speaker_of(client: InferenceClient):
    """Who the load meter counts a model call of ``client`` for: the live session the client belongs to (its
    ``session``), so that a session counts as one speaker whatever number of streams it runs (a Realtime
    session's turns); the client itself when it belongs to none (a file's work)."""
    return getattr(client, "session", None) or client
