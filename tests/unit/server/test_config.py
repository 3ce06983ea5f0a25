"""How the server's flags become its configuration: the finals each backend gets unless told otherwise."""

from whisper_live.server.config import ServerConfig
from whisper_live.server.cli import build_parser, config_from_args
from whisper_live.streaming.config import default_finals
from whisper_live.transcriber import continues_mid_window
from whisper_live.transcriber.faster_whisper_backend import FasterWhisperTranscriber
from whisper_live.transcriber.openvino_backend import OpenVINOTranscriber


def config(*flags):
    return config_from_args(build_parser().parse_args(list(flags)))


def test_faster_whisper_decodes_finals_with_beam_search_over_20_s_of_context_by_default():
    assert FasterWhisperTranscriber.continues_mid_window and continues_mid_window("faster_whisper")
    assert default_finals(True) == (5, 20.0)
    assert (config().final_beam_size, config().final_context) == (5, 20.0)
    cfg = ServerConfig()
    assert (cfg.final_beam_size, cfg.final_context) == (5, 20.0)


def test_backends_that_cannot_start_mid_window_default_to_greedy_finals_over_8_s():
    assert not OpenVINOTranscriber.continues_mid_window
    assert default_finals(False) == (1, 8.0)
    for backend in ("openvino", "tensorrt"):
        assert not continues_mid_window(backend)
        cfg = config("--backend", backend)
        assert (cfg.final_beam_size, cfg.final_context) == (1, 8.0)


def test_greedy_finals_asked_for_get_the_greedy_context_unless_it_is_given():
    cfg = config("--final_beam_size", "1")
    assert (cfg.final_beam_size, cfg.final_context) == (1, 8.0)
    cfg = config("--final_beam_size", "1", "--final_context", "0")
    assert (cfg.final_beam_size, cfg.final_context) == (1, 0.0)
    cfg = config("--backend", "openvino", "--final_beam_size", "3")
    assert (cfg.final_beam_size, cfg.final_context) == (3, 20.0)
    cfg = ServerConfig(final_context=12.0)
    assert (cfg.final_beam_size, cfg.final_context) == (5, 12.0)


def test_flags_out_of_range_are_clamped():
    cfg = config("--final_beam_size", "0", "--final_context", "-3", "--refine_agreed_within", "-1")
    assert (cfg.final_beam_size, cfg.final_context, cfg.refine_agreed_within) == (1, 0.0, 0.0)


def test_agreed_text_is_refined_while_its_audio_is_at_most_1_5_s_old_unless_told_otherwise():
    assert config().refine_agreed_within == ServerConfig().refine_agreed_within == 1.5
    assert config("--refine_agreed_within", "0").refine_agreed_within == 0.0


def test_help_states_each_default():
    text = build_parser().format_help()
    assert "default: None" not in text
    assert "Default: 5 with faster_whisper" in " ".join(text.split())


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


def test_the_api_is_off_unless_enabled_and_its_flags_have_defaults():
    args = build_parser().parse_args([])
    assert (args.enable_rest, args.rest_port, args.max_upload_mb) == (False, 8000, 100)
    args = build_parser().parse_args(["--enable_rest", "--rest_port", "8100", "--max_upload_mb", "2.5"])
    assert (args.enable_rest, args.rest_port, args.max_upload_mb) == (True, 8100, 2.5)
    text = build_parser().format_help()
    assert "--enable_rest" in text and "--max_upload_mb" in text
