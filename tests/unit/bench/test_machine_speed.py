from whisper_live.bench import machine_speed


def test_not_asked_for_says_so():
    assert machine_speed.measure_or_why(False) == {"skipped": "--no-machine-speed"}


def test_a_failed_measurement_says_why(monkeypatch):
    def no_model():
        raise FileNotFoundError("no model here")

    monkeypatch.setattr(machine_speed, "measure", no_model)
    assert machine_speed.measure_or_why() == {"skipped": "FileNotFoundError: no model here"}
    assert machine_speed.describe({"skipped": "x"}) == "machine speed: not measured (x)"


def test_describe_gives_the_speed_and_how():
    speed = {"speed": 16.63, "model": "tiny.en", "compute_type": "int8", "beam_size": 5, "audio_s": 20.0,
             "audio": "lj (first 20 s)"}
    assert machine_speed.describe(speed).startswith("machine speed 16.6 (tiny.en int8 beam 5, one thread, 20 s")
