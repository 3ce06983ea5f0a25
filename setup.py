from pathlib import Path

from setuptools import find_packages, setup


def requirements(name):
    """The packages of requirements/NAME, following its -r includes."""
    packages = []
    for line in Path(__file__).with_name("requirements").joinpath(name).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r "):
            packages += [p for p in requirements(line[3:].strip()) if p not in packages]
        elif line and not line.startswith("#"):
            packages.append(line)
    return packages


setup(
    name="whisper-live",
    version="0.1.0",
    description="Real-time speech transcription server speaking WhisperLive's WebSocket protocol",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["whisper_live", "whisper_live.*"]),
    include_package_data=True,
    package_data={"whisper_live": ["web/static/**/*", "web/static/*", "rooms/page/*"]},
    install_requires=requirements("server.txt"),
    extras_require={
        "test": requirements("test.txt"),
        "client": requirements("client.txt"),
        "openvino": requirements("openvino.txt"),
        "convert": requirements("convert.txt"),
        "api": requirements("api.txt"),
    },
    entry_points={
        "console_scripts": [
            "whisper-live-server=whisper_live.server.cli:main",
            "whisper-live-client=whisper_live.client.cli:main",
            "whisper-live-bench=whisper_live.bench.__main__:main",
            "whisper-live-convert=whisper_live.convert.__main__:main",
        ],
    },
)
