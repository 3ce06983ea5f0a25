"""Loading the model (whisper_live/server/model_pool.py): the options the configuration gives it."""

from whisper_live.server.cli import build_parser, config_from_args


def config(*flags):
    return config_from_args(build_parser().parse_args(list(flags)))


def test_full_encoder_input_gives_the_faster_whisper_model_whispers_30_s_windows(monkeypatch):
    from whisper_live.server import model_pool
    from whisper_live.transcriber.encoder_input import FULL_INPUTS

    assert config().sized_encoder_input and not config("--full_encoder_input").sized_encoder_input
    loaded = []

    def load(backend, path, **options):  # records what the model would be loaded with
        loaded.append(options.get("encoder_inputs"))
        raise RuntimeError("not loading a model here")

    monkeypatch.setattr(model_pool, "load_transcriber", load)
    monkeypatch.setattr(model_pool.ModelPool, "model_path", lambda self, name: ("tiny.en", "/nonexistent"))
    for flags in ((), ("--full_encoder_input",)):
        try:
            model_pool.ModelPool(config(*flags)).get()
        except RuntimeError:
            pass
    assert loaded == [None, FULL_INPUTS]  # None: the backend's default, sized to the audio
