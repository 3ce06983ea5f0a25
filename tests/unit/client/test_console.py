"""The console's lines (whisper_live/client/console.py) name the speaker when the server labels one."""

import io

from whisper_live.client.console import ConsoleView, format_segment
from whisper_live.protocol import Segment


def test_a_line_names_the_speaker_after_the_times():
    seg = Segment(61.5, 62.0, " Hello.", True, speaker="Ann")
    assert format_segment(seg, timestamps=False) == "Ann: Hello."
    assert format_segment(seg, timestamps=True) == "[01:01.500 --> 01:02.000] Ann: Hello."
    assert format_segment(Segment(0.0, 1.0, " Hello.", True), timestamps=False) == "Hello."


def test_committed_lines_printed_to_a_pipe_carry_the_speaker():
    out = io.StringIO()
    view = ConsoleView(3, stream=out, interactive=False)
    talk = [Segment(0.0, 1.0, " Hi.", True, speaker="SPEAKER_00"),
            Segment(1.0, 2.0, " Hey.", True, speaker="SPEAKER_01")]
    view.update("mic", talk, talk)
    assert out.getvalue() == "SPEAKER_00: Hi.\nSPEAKER_01: Hey.\n"
