"""The scripts in benchmarks/: they parse and say how to use them."""

from __future__ import annotations

import subprocess

from tests.server_process import ROOT


def test_the_whisperlive_script_parses_and_says_how_to_use_it():
    script = ROOT / "benchmarks" / "whisperlive.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    usage = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    assert usage.returncode == 2 and "setup | serve" in usage.stderr
    bad = subprocess.run(["bash", str(script), "serve", "--nonsense"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown flag --nonsense" in bad.stderr
    assert "[--batch]" in usage.stderr
