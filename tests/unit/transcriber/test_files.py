"""How a whole file is transcribed (whisper_live/transcriber/files.py): the options a request gives."""

from whisper_live.transcriber.files import FileOptions


def test_temperatures_go_up_from_the_one_asked_for():
    assert FileOptions().temperatures == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert FileOptions(temperature=0.5).temperatures == (0.5, 0.7, 0.9)
    assert FileOptions(temperature=1.0).temperatures == (1.0,)
