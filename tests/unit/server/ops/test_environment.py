"""Every flag from an environment variable (whisper_live/server/ops/environment.py); flags win."""

from __future__ import annotations

import argparse

import pytest

from whisper_live.server.cli import build_parser, config_from_args
from whisper_live.server.ops.environment import with_environment


def test_every_flag_reads_its_environment_variable_and_flags_win():
    env = {"WHISPER_LIVE_PORT": "9191", "WHISPER_LIVE_API_KEY": "k1,k2", "WHISPER_LIVE_NO_SINGLE_MODEL": "true",
           "WHISPER_LIVE_CORS_ORIGINS": "https://a.example", "WHISPER_LIVE_LOG_FORMAT": "json"}
    parser = with_environment(build_parser(), env)
    config = config_from_args(parser.parse_args([]))
    assert (config.port, config.api_keys, config.single_model, config.cors_origins) == \
        (9191, ("k1", "k2"), False, ("https://a.example",))
    args = parser.parse_args(["--port", "1", "--api_key", "k3", "--cors_origins", "https://b.example"])
    config = config_from_args(args)
    assert (config.port, config.api_keys, config.cors_origins) == (1, ("k3",), ("https://b.example",))
    assert args.log_format == "json"
    help_text = parser.format_help()
    assert "WHISPER_LIVE_MAX_CLIENTS" in help_text and "k1" not in help_text, "--help never shows a key"


def test_a_flag_added_later_gets_its_variable_and_bad_values_are_refused():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rest-port", type=int, default=8000)
    parser.add_argument("--mode", choices=("a", "b"), default="a")
    assert with_environment(parser, {"WHISPER_LIVE_REST_PORT": "8123"}).parse_args([]).rest_port == 8123
    for env in ({"WHISPER_LIVE_REST_PORT": "x"}, {"WHISPER_LIVE_MODE": "c"}):
        parser = argparse.ArgumentParser()
        parser.add_argument("--rest-port", type=int, default=8000)
        parser.add_argument("--mode", choices=("a", "b"), default="a")
        with pytest.raises(SystemExit):
            with_environment(parser, env)


def test_a_repeatable_flag_of_anyone_replaces_its_variables_list():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tag", action="append")
    parser = with_environment(parser, {"WHISPER_LIVE_TAG": "a, b"})
    assert parser.parse_args([]).tag == ["a", "b"]
    assert parser.parse_args(["--tag", "c", "--tag", "d"]).tag == ["c", "d"]
