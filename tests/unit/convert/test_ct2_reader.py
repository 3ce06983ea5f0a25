"""The CTranslate2 model.bin reader and writer (whisper_live/convert/ct2_reader.py)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from tests.unit.convert.tiny_whisper import model_bin
from whisper_live.convert.ct2_reader import CT2FormatError, read_model_bin


def test_reader_round_trip_keeps_names_shapes_dtypes_values_and_aliases():
    variables = {
        "a/weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "a/half": np.array([1.5, -2.25], dtype=np.float16),
        "a/q": np.array([[-128, 127]], dtype=np.int8),
        "a/i16": np.array([3, -4], dtype=np.int16),
        "a/i32": np.array([1 << 20], dtype=np.int32),
        "scalar/flag": np.array(1, dtype=np.int8),
    }
    model = read_model_bin(model_bin(variables, [("b/weight", "a/weight"), ("c/weight", "b/weight")]))
    assert model.spec_name == "WhisperSpec" and model.revision == 3 and model.binary_version == 6
    for name, value in variables.items():
        assert model[name].dtype == value.dtype and model[name].shape == value.shape
        np.testing.assert_array_equal(model[name], value)
    np.testing.assert_array_equal(model["b/weight"], variables["a/weight"])
    np.testing.assert_array_equal(model["c/weight"], variables["a/weight"])  # alias of an alias
    assert model.scalar("scalar/flag") == 1


def test_reader_layout_matches_the_documented_bytes():
    # version 6, name "S", revision 2, one variable "x" of shape (2,) int16, no alias
    raw = (struct.pack("<I", 6) + struct.pack("<H", 2) + b"S\0" + struct.pack("<I", 2) + struct.pack("<I", 1)
           + struct.pack("<H", 2) + b"x\0" + struct.pack("<B", 1) + struct.pack("<I", 2)
           + struct.pack("<BI", 2, 4) + struct.pack("<hh", 7, -7) + struct.pack("<I", 0))
    model = read_model_bin(raw)
    assert model.spec_name == "S" and model.revision == 2
    np.testing.assert_array_equal(model["x"], np.array([7, -7], np.int16))


def test_reader_bfloat16_widens_to_float32():
    values = np.array([1.0, -3.5, 0.15625], np.float32)
    halves = (values.view(np.uint32) >> 16).astype("<u2")
    raw = (struct.pack("<I", 6) + struct.pack("<H", 2) + b"S\0" + struct.pack("<II", 1, 1)
           + struct.pack("<H", 2) + b"x\0" + struct.pack("<BI", 1, 3) + struct.pack("<BI", 5, 6)
           + halves.tobytes() + struct.pack("<I", 0))
    np.testing.assert_array_equal(read_model_bin(raw)["x"], values)


@pytest.mark.parametrize("mutate, message", [
    (lambda raw: struct.pack("<I", 99) + raw[4:], "binary version 99"),
    (lambda raw: raw[:-10], "truncated"),
    (lambda raw: raw + b"\0", "trailing"),
])
def test_reader_rejects_broken_files(mutate, message):
    raw = model_bin({"x": np.ones(3, np.float32)}, [])
    with pytest.raises(CT2FormatError, match=message):
        read_model_bin(mutate(raw))
