"""Offline model converters (``python -m whisper_live.convert``).

``openvino``: a CTranslate2 Whisper model (a directory, or the bundled ``tiny.en``/``base``) into an
OpenVINO model directory for ``--backend openvino``. See docs/openvino.md.
"""
