"""The command line: flags, transcript paths, exit codes and one-line errors (against the fake server)."""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.fake_server import FakeServer
from tests.client.media import encode, tone
from whisper_live.client.cli import build_parser, main, transcript_paths
from whisper_live.client.errors import ClientError

REPO = Path(__file__).resolve().parents[2]


def test_whisperlive_flags_are_accepted():
    args = build_parser().parse_args(
        ["-s", "h", "-p", "1", "-f", "a.wav", "b.mp3", "-m", "small", "-l", "de", "-t", "-a", "-r",
         "--enable_timestamps", "--n_display_segments", "5", "--format", "vtt", "--speed", "2", "-o", "out/"])
    assert (args.server, args.port, args.files, args.model, args.lang) == ("h", 1, ["a.wav", "b.mp3"], "small", "de")
    assert args.translate and args.mute_audio_playback and args.save_output_recording and args.enable_timestamps
    assert (args.n_display_segments, args.format, args.speed, args.output_file) == (5, "vtt", 2.0, "out/")


def test_transcript_paths(tmp_path):
    assert transcript_paths(["a.wav"], None, None, True) == ([None], [None])
    assert transcript_paths(["a.wav"], "x.vtt", None, True) == ([Path("x.vtt")], ["vtt"])
    assert transcript_paths(["a.wav"], "x.out", "json", True) == ([Path("x.out")], ["json"])
    assert transcript_paths(["d/a.wav", "b.mp3"], None, "txt", True) == ([Path("d/a.txt"), Path("b.txt")],
                                                                        ["txt", "txt"])
    assert transcript_paths(["d/a.wav", "b.mp3"], str(tmp_path), None, True) == (
        [tmp_path / "a.srt", tmp_path / "b.srt"], ["srt", "srt"])
    assert transcript_paths(["a.wav"], "outdir/", None, True) == ([Path("outdir/a.srt")], ["srt"])
    assert transcript_paths(["rtsp://h/x"], None, "json", False) == ([Path("transcript.json")], ["json"])
    with pytest.raises(ClientError, match="give a directory"):
        transcript_paths(["a.wav", "b.wav"], "one.srt", None, True)


def test_cli_transcribes_files_to_chosen_format(tmp_path, capsys):
    one = encode(tone(2.5, 300, amplitude=0.3), tmp_path / "one.wav", "pcm_s16le")
    two = encode(tone(1.2, 300, amplitude=0.3), tmp_path / "two.flac", "flac")
    with FakeServer() as server:
        rc = main(["-s", server.host, "-p", str(server.port), "-f", str(one), str(two), "--format", "txt",
                   "--speed", "0", "-a"])
    assert rc == 0
    assert (tmp_path / "one.txt").read_text() == "second 0\nsecond 1\nsecond 2\n"
    assert (tmp_path / "two.txt").read_text() == "second 0\nsecond 1\n"
    out = capsys.readouterr()
    assert "second 2" in out.out
    assert "one.wav: " in out.err and "100%" in out.err   # progress on stderr when not a terminal


def test_cli_output_file_single_input(tmp_path):
    one = encode(tone(1.5, 300, amplitude=0.3), tmp_path / "one.wav", "pcm_s16le")
    with FakeServer() as server:
        rc = main(["-s", server.host, "-p", str(server.port), "-f", str(one), "-o", str(tmp_path / "t.json"),
                   "--speed", "0", "-q"])
    assert rc == 0
    assert '"text": "second 0 second 1"' in (tmp_path / "t.json").read_text()


@pytest.mark.parametrize("mode,message", [
    ("error", "error: server refused the session: model 'huge' cannot be loaded"),
    ("error_mid", "error: server error: the model crashed"),
    ("disconnect_mid", "error: server ended the session before the audio was all sent (DISCONNECT)"),
    ("wait", "error: server is full (estimated wait: about 2.5 min); retry later, or allow retries"),
])
def test_cli_server_refusals_exit_non_zero_with_a_line(tmp_path, capsys, mode, message):
    one = encode(tone(2.5, 300, amplitude=0.3), tmp_path / "one.wav", "pcm_s16le")
    with FakeServer(mode=mode, after_seconds=1) as server:
        # at 4x, the 2.5 s file takes 0.6 s to send: the server acts after 1 s of audio, well before the end
        rc = main(["-s", server.host, "-p", str(server.port), "-f", str(one), "--speed", "4", "-q"])
    assert rc == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message)


def run_cli(*args, timeout=60):
    return subprocess.run([sys.executable, str(REPO / "run_client.py"), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def test_unreachable_server_and_missing_file_are_one_line_errors(tmp_path):
    with FakeServer() as server:
        port = server.port
    wav = encode(tone(0.5), tmp_path / "a.wav", "pcm_s16le")
    result = run_cli("-s", "127.0.0.1", "-p", str(port), "-f", str(wav))
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: cannot connect to ws://127.0.0.1:{port}: connection refused (is the " \
                                    "server running?)"
    result = run_cli("-p", str(port), "-f", str(tmp_path / "missing.mp3"))
    assert result.returncode == 1 and result.stderr.strip() == f"error: {tmp_path / 'missing.mp3'}: no such file"
    assert run_cli("-f", "a", "--hls_url", "http://x").returncode == 2


def test_microphone_without_a_device_is_a_one_line_error():
    try:
        import sounddevice
        if sounddevice.query_devices(kind="input"):
            pytest.skip("this machine has a real input device")
    except (OSError, ImportError, ValueError):
        pass
    except Exception:  # PortAudioError: no device
        pass
    with FakeServer() as server:
        result = run_cli("-s", server.host, "-p", str(server.port))
        assert server.connections == 0  # the microphone is checked before a session is opened
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "PortAudio" in lines[0] or "input device" in lines[0] or "sounddevice" in lines[0]


def test_ctrl_c_on_a_file_keeps_the_transcript_and_exits_130(tmp_path):
    import signal
    import time

    wav = encode(tone(6.0, 300, amplitude=0.3), tmp_path / "long.wav", "pcm_s16le")
    with FakeServer() as server:
        proc = subprocess.Popen([sys.executable, str(REPO / "run_client.py"), "-s", server.host, "-p",
                                 str(server.port), "-f", str(wav), "-o", str(tmp_path / "t.txt"), "-a", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                                # Ctrl-C as in a terminal, even where the suite runs with SIGINT ignored
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not server.sessions or server.audio().size < 16000 * 2):
            time.sleep(0.05)  # until 2 s of the 6 s file have arrived (it is sent at real time)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        received = server.audio().size / 16000
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert 2.0 <= received < 5.0  # stopped early, but what was sent got its final answer:
    assert (tmp_path / "t.txt").read_text().startswith("second 0\nsecond 1\n")


def test_interactive_view_redraws_in_place():
    import io

    from whisper_live.client.console import ConsoleView
    from whisper_live.protocol import Segment

    out = io.StringIO()
    view = ConsoleView(2, stream=out, interactive=True, min_interval=0)
    view.update("s", [Segment(0, 1, " one", True), Segment(1, 2, " two", False)], [])
    view.progress("f.wav", 1.0, 4.0)
    view.update("s", [Segment(1, 2, " two", True), Segment(2, 3, " three", False)], [])
    text = out.getvalue()
    assert text.endswith("\x1b[3F\x1b[Jtwo\nthree\nf.wav: 1.0 / 4.0 s (25%)\n")
