"""Every command-line flag can also come from an environment variable (for containers).

A flag's variable is ``WHISPER_LIVE_`` and its long name in upper case, dashes as underscores
(``--port`` → ``WHISPER_LIVE_PORT``, ``--cors-origins`` → ``WHISPER_LIVE_CORS_ORIGINS``). A flag given on the
command line wins over its variable. Switches take ``1/true/yes/on`` or ``0/false/no/off``; a repeatable
flag takes a comma-separated list. :func:`with_environment` applies this to a whole parser, so every flag
gets it, whoever adds it, and ``--help`` names each variable.
"""

from __future__ import annotations

import argparse
import os
from typing import Mapping, Optional

PREFIX = "WHISPER_LIVE_"
TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off", "")
SECRET_WORDS = ("key", "token", "password", "secret")


def variable(action: argparse.Action) -> Optional[str]:
    """The environment variable of a flag: from its first ``--long`` name; None for positionals and --help."""
    longs = [o for o in action.option_strings if o.startswith("--")]
    if not longs or isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return None
    return PREFIX + longs[0][2:].replace("-", "_").upper()


def with_environment(parser: argparse.ArgumentParser,
                     environ: Optional[Mapping[str, str]] = None) -> argparse.ArgumentParser:
    """Take each flag's default from its environment variable, where set, and name the variable in --help."""
    environ = os.environ if environ is None else environ
    for action in parser._actions:
        name = variable(action)
        if name is None:
            continue
        if action.help is not argparse.SUPPRESS:
            action.help = f"{action.help or ''} [env {name}]".strip()
        if name in environ:
            action.default = _value(parser, action, name, environ[name])
            action.required = False
            if _secret(action) and action.help is not argparse.SUPPRESS:
                action.help += "%(default).0s"  # --help must not print a key taken from the environment
    return parser


def _secret(action: argparse.Action) -> bool:
    return any(word in action.dest.lower() for word in SECRET_WORDS) and not action.dest.endswith("_file")


class ReplaceDefault(argparse._AppendAction):
    """A repeatable flag whose values on the command line replace its default (from the environment)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if getattr(namespace, self.dest, None) is self.default:
            setattr(namespace, self.dest, None)
        super().__call__(parser, namespace, values, option_string)


def add_list_flag(group, *names: str, metavar: str, help: str, **options) -> None:
    """A repeatable flag that takes a list (comma-separated in its environment variable), None by default."""
    group.add_argument(*names, action=ReplaceDefault, metavar=metavar, default=None, help=help, **options)


def _value(parser: argparse.ArgumentParser, action: argparse.Action, name: str, text: str):
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        word = text.strip().lower()
        if word not in TRUE + FALSE:
            parser.error(f"{name}={text!r}: expected one of {', '.join(TRUE + FALSE[:-1])}")
        given = word in TRUE
        return given if isinstance(action, argparse._StoreTrueAction) else not given
    if isinstance(action, argparse._AppendAction):
        if type(action) is argparse._AppendAction:
            action.__class__ = ReplaceDefault  # flags on the command line replace the variable's list
        return [_convert(parser, action, name, part.strip()) for part in text.split(",") if part.strip()]
    return _convert(parser, action, name, text)


def _convert(parser: argparse.ArgumentParser, action: argparse.Action, name: str, text: str):
    value = text
    if action.type is not None:
        try:
            value = action.type(text)
        except (TypeError, ValueError, argparse.ArgumentTypeError):
            parser.error(f"{name}={text!r}: not a valid value for {action.option_strings[0]}")
    if action.choices is not None and value not in action.choices:
        parser.error(f"{name}={text!r}: choose from {', '.join(map(str, action.choices))}")
    return value
