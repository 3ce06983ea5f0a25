"""Read and write CTranslate2's ``model.bin`` (binary format version 6, what ctranslate2 4.x writes).

Layout, all integers little-endian:

* ``u32`` binary version, the spec name (string), ``u32`` spec revision;
* ``u32`` number of variables, then for each: name (string), ``u8`` rank, ``rank`` x ``u32`` dims,
  ``u8`` dtype id, ``u32`` byte count, then the raw bytes (C order);
* ``u32`` number of aliases, then for each: the alias name and the name of the variable it stands for
  (two strings). CTranslate2 writes an alias where two variables were equal (e.g. tied embeddings).

A string is a ``u16`` length that counts a trailing NUL, the UTF-8 bytes, and the NUL.

Dtype ids: 0 float32, 1 int8, 2 int16, 3 int32, 4 float16, 5 bfloat16. Scalars (rank 0) hold options
such as ``decoder/activation`` or ``encoder/num_heads``.

Quantized weights come with a sibling ``<name>_scale``: int8 weights have one float32 scale per output
row (``real = stored / scale[row]``), int16 weights one scalar scale. :func:`dequantized` undoes that.

The writer exists for tests (a synthetic model to read back); it writes the same layout.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Iterable, Union

import numpy as np

SUPPORTED_BINARY_VERSIONS = (6,)  # what ctranslate2 4.x writes; the only version verified here
WRITE_BINARY_VERSION = 6

_DTYPES = (
    np.dtype("<f4"),  # 0 float32
    np.dtype("i1"),  # 1 int8
    np.dtype("<i2"),  # 2 int16
    np.dtype("<i4"),  # 3 int32
    np.dtype("<f2"),  # 4 float16
    None,  # 5 bfloat16: stored as uint16, widened to float32 on read
)
_BFLOAT16 = 5


class CT2FormatError(ValueError):
    """The file is not a CTranslate2 model.bin this reader understands."""


@dataclass
class CT2Model:
    """The variables of one model.bin, aliases resolved (an alias maps to the same array)."""

    spec_name: str
    revision: int
    binary_version: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.variables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.variables

    def get(self, name: str, default=None):
        return self.variables.get(name, default)

    def scalar(self, name: str, default=None):
        """An option stored as a rank-0 variable, as a Python number."""
        if name not in self.variables:
            return default
        return self.variables[name].reshape(()).item()

    def dequantized(self, name: str) -> np.ndarray:
        """The variable as float32, with a ``<name>_scale`` sibling applied if the weights are quantized."""
        value = self.variables[name]
        scale = self.variables.get(name + "_scale")
        if value.dtype.kind in "iu" and scale is not None:
            scale = scale.astype(np.float32)
            if scale.ndim == 0 or scale.size == 1:
                return value.astype(np.float32) / scale.reshape(())
            shape = (value.shape[0],) + (1,) * (value.ndim - 1)
            return value.astype(np.float32) / scale.reshape(shape)
        return value.astype(np.float32)


class _Reader:
    def __init__(self, data: memoryview):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> memoryview:
        if self.pos + n > len(self.data):
            raise CT2FormatError(f"truncated model.bin: wanted {n} bytes at offset {self.pos}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size))

    def string(self) -> str:
        (length,) = self.unpack("<H")
        raw = bytes(self.take(length))
        if not raw or raw[-1] != 0:
            raise CT2FormatError(f"string without its NUL terminator at offset {self.pos}")
        return raw[:-1].decode("utf-8")


def _decode_array(raw: memoryview, dtype_id: int, shape: tuple[int, ...], name: str) -> np.ndarray:
    if dtype_id >= len(_DTYPES):
        raise CT2FormatError(f"variable {name!r}: unknown dtype id {dtype_id}")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if dtype_id == _BFLOAT16:
        halves = np.frombuffer(raw, dtype="<u2", count=count)
        array = (halves.astype(np.uint32) << 16).view(np.float32)
    else:
        dtype = _DTYPES[dtype_id]
        if count * dtype.itemsize != len(raw):
            raise CT2FormatError(
                f"variable {name!r}: {len(raw)} bytes for shape {shape} of {dtype.name}")
        array = np.frombuffer(raw, dtype=dtype, count=count).copy()
    return array.reshape(shape)


def read_model_bin(source: Union[str, os.PathLike, bytes]) -> CT2Model:
    """Read a ``model.bin`` (a path, or the file's bytes)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = memoryview(bytes(source))
    else:
        with open(source, "rb") as f:
            data = memoryview(f.read())
    reader = _Reader(data)
    (version,) = reader.unpack("<I")
    if version not in SUPPORTED_BINARY_VERSIONS:
        raise CT2FormatError(
            f"model.bin binary version {version} is not supported (this reader knows "
            f"{', '.join(map(str, SUPPORTED_BINARY_VERSIONS))}); re-convert it with a recent ctranslate2")
    spec_name = reader.string()
    (revision,) = reader.unpack("<I")
    (count,) = reader.unpack("<I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(count):
        name = reader.string()
        (rank,) = reader.unpack("<B")
        shape = reader.unpack("<" + "I" * rank) if rank else ()
        dtype_id, nbytes = reader.unpack("<BI")
        variables[name] = _decode_array(reader.take(nbytes), dtype_id, tuple(shape), name)
    aliases: dict[str, str] = {}
    if reader.pos < len(data):
        (alias_count,) = reader.unpack("<I")
        for _ in range(alias_count):
            alias = reader.string()
            target = reader.string()
            aliases[alias] = target
    for alias, target in aliases.items():
        # An alias may point at another alias; follow the chain.
        seen = {alias}
        while target in aliases and target not in variables:
            if target in seen:
                raise CT2FormatError(f"alias cycle at {alias!r}")
            seen.add(target)
            target = aliases[target]
        if target not in variables:
            raise CT2FormatError(f"alias {alias!r} points at unknown variable {target!r}")
        variables[alias] = variables[target]
    if reader.pos != len(data):
        raise CT2FormatError(f"{len(data) - reader.pos} trailing bytes after the aliases")
    return CT2Model(spec_name, revision, version, variables, aliases)


def _dtype_id(array: np.ndarray) -> int:
    for index, dtype in enumerate(_DTYPES):
        if dtype is not None and array.dtype == dtype:
            return index
    raise ValueError(f"cannot write dtype {array.dtype}")


def write_model_bin(
    target: Union[str, os.PathLike, BinaryIO],
    spec_name: str,
    revision: int,
    variables: dict[str, np.ndarray],
    aliases: Iterable[tuple[str, str]] = (),
) -> None:
    """Write variables (numpy arrays: float32/float16/int8/int16/int32) in the model.bin layout."""
    out = io.BytesIO()

    def string(value: str) -> None:
        raw = value.encode("utf-8")
        out.write(struct.pack("<H", len(raw) + 1))
        out.write(raw)
        out.write(b"\x00")

    out.write(struct.pack("<I", WRITE_BINARY_VERSION))
    string(spec_name)
    out.write(struct.pack("<I", revision))
    out.write(struct.pack("<I", len(variables)))
    for name, value in variables.items():
        array = np.asarray(value)
        array = array if array.flags.c_contiguous else array.copy(order="C")  # keeps rank 0 (scalars)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        string(name)
        out.write(struct.pack("<B", array.ndim))
        for dim in array.shape:
            out.write(struct.pack("<I", dim))
        out.write(struct.pack("<BI", _dtype_id(array), array.nbytes))
        out.write(array.tobytes())
    aliases = list(aliases)
    out.write(struct.pack("<I", len(aliases)))
    for alias, name in aliases:
        string(alias)
        string(name)
    if hasattr(target, "write"):
        target.write(out.getvalue())
    else:
        with open(target, "wb") as f:
            f.write(out.getvalue())
