"""The server's configuration (whisper_live/server/config.py) from its flags: the finals each backend gets unless
told otherwise."""

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


def test_agreed_text_is_refined_while_its_audio_is_at_most_1_5_s_old_unless_told_otherwise():
    assert config().refine_agreed_within == ServerConfig().refine_agreed_within == 1.5
    assert config("--refine_agreed_within", "0").refine_agreed_within == 0.0
