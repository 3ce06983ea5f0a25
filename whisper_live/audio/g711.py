"""G.711 (ITU-T) mu-law and A-law: one byte per sample, to and from 16-bit linear PCM, in numpy.

Both laws split a sample into a sign, a 3-bit segment (exponent) and a 4-bit step (mantissa); each segment
doubles the step size of the one below. Values here are on the 16-bit scale: the standard's 14-bit
(mu-law) and 13-bit (A-law) codes shifted left by 2 and 3 bits, so full scale is +-32124 (mu-law) and
+-32256 (A-law). On the wire, mu-law codes are sent with all bits inverted, A-law codes with the even
bits inverted (XOR 0x55).
"""

from __future__ import annotations

import numpy as np

MULAW_BIAS = 0x84  # 33 on the 14-bit scale, added so that every segment starts at a power of two
MULAW_CLIP = 32635  # the largest magnitude that still fits segment 7 once biased
ALAW_MASK = 0x55


def _table(decode_one) -> np.ndarray:
    return np.array([decode_one(code) for code in range(256)], dtype=np.int16)


def _mulaw_value(code: int) -> int:
    code = ~code & 0xFF
    sign, segment, step = code & 0x80, (code >> 4) & 0x07, code & 0x0F
    magnitude = (((step << 3) + MULAW_BIAS) << segment) - MULAW_BIAS
    return -magnitude if sign else magnitude


def _alaw_value(code: int) -> int:
    code ^= ALAW_MASK
    sign, segment, step = code & 0x80, (code >> 4) & 0x07, code & 0x0F
    if segment == 0:
        magnitude = (step << 4) + 8
    else:
        magnitude = ((step << 4) + 0x108) << (segment - 1)
    return magnitude if sign else -magnitude


MULAW_TABLE = _table(_mulaw_value)  # code -> 16-bit linear value
ALAW_TABLE = _table(_alaw_value)


def mulaw_decode(codes) -> np.ndarray:
    """mu-law bytes (``bytes`` or a uint8 array) to int16 samples."""
    return MULAW_TABLE[_codes(codes)]


def alaw_decode(codes) -> np.ndarray:
    """A-law bytes (``bytes`` or a uint8 array) to int16 samples."""
    return ALAW_TABLE[_codes(codes)]


def mulaw_encode(pcm: np.ndarray) -> np.ndarray:
    """int16 samples to mu-law codes (uint8).

    A sample is cut to the standard's 14 bits (rounding down), split into sign and magnitude, biased by 33
    so that segment ``s`` starts at ``2 ** (s + 5)``, and the segment and step that hold it are sent.
    """
    v = np.asarray(pcm, dtype=np.int32) >> 2
    sign = np.where(v < 0, 0x80, 0x00)
    biased = np.minimum(np.abs(v), MULAW_CLIP >> 2) + (MULAW_BIAS >> 2)  # 33 .. 8191
    segment = _top_bit(biased) - 5
    step = (biased >> (segment + 1)) & 0x0F
    return (~(sign | (segment << 4) | step) & 0xFF).astype(np.uint8)


def alaw_encode(pcm: np.ndarray) -> np.ndarray:
    """int16 samples to A-law codes (uint8).

    A sample is cut to the standard's 13 bits (rounding down); A-law has no zero level, so a negative
    value's magnitude is its ones' complement (-1 is the first step below zero). Segment 0 and 1 share
    the smallest step; segment ``s`` >= 1 starts at ``2 ** (s + 4)``.
    """
    v = np.asarray(pcm, dtype=np.int32) >> 3
    sign = np.where(v >= 0, 0x80, 0x00)
    level = np.where(v >= 0, v, -v - 1)  # 0 .. 4095
    segment = np.clip(_top_bit(np.maximum(level, 1)) - 4, 0, 7)
    step = (level >> np.maximum(segment, 1)) & 0x0F
    return ((sign | (segment << 4) | step) ^ ALAW_MASK).astype(np.uint8)


def _top_bit(values: np.ndarray) -> np.ndarray:
    """The position of the highest set bit of each (positive) value."""
    return np.frexp(values.astype(np.float64))[1].astype(np.int32) - 1


def _codes(codes) -> np.ndarray:
    if isinstance(codes, (bytes, bytearray, memoryview)):
        return np.frombuffer(codes, dtype=np.uint8)
    return np.asarray(codes, dtype=np.uint8)
