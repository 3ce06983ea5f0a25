"""A command's short stops (whisper_live/cli_exit.py): one line on stderr and the exit status."""

from whisper_live.cli_exit import error_exit, interrupted_exit


def test_an_error_is_one_line_with_the_given_status(capsys):
    assert error_exit(RuntimeError("the server did not start"), 2) == 2
    assert capsys.readouterr() == ("", "error: the server did not start\n")


def test_ctrl_c_exits_130(capsys):
    assert interrupted_exit() == 130
    assert capsys.readouterr() == ("", "interrupted\n")
