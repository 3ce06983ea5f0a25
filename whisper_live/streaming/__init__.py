"""The streaming core: one audio stream in, windows for the model out, its answers turned into a transcript.

No sockets and no model here (the server and the benches wire it up; the tests drive it with plain arrays
and a scripted fake transcriber). Each module answers one question:

* ``stream`` -- :class:`Stream`, one audio stream's state: its buffer, VAD gating, how far its audio is
  done with (``committed_until``), and the commit policy in brief; its two other parts are
* ``planning`` -- the window due now: its kind, its span, the committed speech it replays, handing it out;
* ``answers`` -- what the model's answer for a window changes: language, commits, partial text, retries;
* ``endpointing`` -- where utterances begin and end, from the VAD's frame probabilities;
* ``commit`` -- which segments of an answer commit now, why, and where the next window starts
  (``agreement``: which segments consecutive partial answers agree on; ``cuts``: where a window may be cut
  inside speech, and what to drop around such a cut);
* ``final_windows`` -- the final window a stream awaits, why, and how a refused one is asked for again;
* ``final_context`` -- the committed speech and text a final window is given, and whether its answer can
  be trusted;
* ``windows`` -- what a stream hands the scheduler, and how thoroughly each window is decoded;
* ``config`` -- what a stream is configured with, and the server's defaults for final windows.

docs/streaming.md explains the policy and the measurements behind it.
"""

from whisper_live.streaming.config import StreamConfig
from whisper_live.streaming.stream import SpeechDetector, Stream
from whisper_live.streaming.windows import FINAL, PARTIAL, Pending, Update, Window

__all__ = ["FINAL", "PARTIAL", "Pending", "StreamConfig", "SpeechDetector", "Stream", "Update", "Window"]
