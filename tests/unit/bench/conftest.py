"""The bench's unit tests run no model: the machine's speed is a fixed figure here."""

import pytest

FAKE_SPEED = {"speed": 16.6, "model": "tiny.en", "compute_type": "int8", "beam_size": 5, "threads": 1,
              "audio": "clip (first 20 s)", "audio_s": 20.0, "seconds": 1.205}


@pytest.fixture(autouse=True)
def fixed_machine_speed(monkeypatch):
    from whisper_live.bench import machine_speed

    monkeypatch.setattr(machine_speed, "measure", lambda *args, **kwargs: dict(FAKE_SPEED))
