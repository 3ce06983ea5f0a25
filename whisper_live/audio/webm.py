"""Opus packets out of a WebM (Matroska) byte stream that arrives in arbitrary slices (MediaRecorder's ``audio/webm``).

:class:`WebmOpusReader` is push-based: :meth:`~WebmOpusReader.feed` takes whatever bytes came and returns
the Opus frames of the blocks completed so far. It walks the EBML elements flat: the containers it needs
(Segment, Tracks, TrackEntry, Audio, Cluster, BlockGroup) are entered, whatever their size (a live
recorder writes Segment and Cluster with an unknown size), and every other element is skipped by its size,
without being held in memory. The first element must be the EBML header; the Opus track is the one with
CodecID ``A_OPUS`` (other tracks' blocks are skipped). A stream that breaks the structure is refused with a
:class:`~whisper_live.protocol.ProtocolError` that says what is wrong.
"""

from __future__ import annotations

from typing import Optional

from whisper_live.audio.opus import MAX_PACKET_BYTES, OpusHead
from whisper_live.protocol import ProtocolError

EBML, DOC_TYPE = 0x1A45DFA3, 0x4282
SEGMENT, TRACKS, TRACK_ENTRY, AUDIO = 0x18538067, 0x1654AE6B, 0xAE, 0xE1
TRACK_NUMBER, CODEC_ID, CODEC_PRIVATE = 0xD7, 0x86, 0x63A2
CLUSTER, BLOCK_GROUP, SIMPLE_BLOCK, BLOCK = 0x1F43B675, 0xA0, 0xA3, 0xA1
ENTERED = {EBML, SEGMENT, TRACKS, TRACK_ENTRY, AUDIO, CLUSTER, BLOCK_GROUP}
READ = {DOC_TYPE, TRACK_NUMBER, CODEC_ID, CODEC_PRIVATE, SIMPLE_BLOCK, BLOCK}
# An element read whole (a block, a codec header) is refused above this size; skipped ones may be larger.
MAX_READ_BYTES = MAX_PACKET_BYTES + 64
MAX_SKIPPED_BYTES = 64 << 20


def _vint(data, offset: int, max_length: int, keep_marker: bool) -> Optional[tuple[int, int, bool]]:
    """An EBML variable-length integer at ``offset``: (value, length, all value bits set), or None when the
    buffer ends before it does. Raises ValueError on a first byte no vint may have."""
    if offset >= len(data):
        return None
    first = data[offset]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > max_length:
        raise ValueError(first)
    if offset + length > len(data):
        return None
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    for byte in data[offset + 1:offset + length]:
        value = (value << 8) | byte
    return value, length, value == (1 << (7 * length)) - 1


class WebmOpusReader:
    """``feed(bytes) -> [Opus packets]``; :attr:`head` once the Opus track's CodecPrivate has been read."""

    def __init__(self):
        self.head: Optional[OpusHead] = None
        self._buffer = bytearray()
        self._position = 0  # of the buffer's first byte in the stream
        self._skip = 0  # bytes of a skipped element still to come
        self._started = False
        self._track: Optional[int] = None  # the Opus track's number
        self._entry: dict = {}  # the TrackEntry being read: number, codec, private

    def feed(self, data: bytes) -> list[bytes]:
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            self._position += dropped
            data = data[dropped:]
        self._buffer += data
        packets: list[bytes] = []
        while self._buffer and not self._skip:
            element = self._next_element()
            if element is None:
                break
            packet = self._read(*element)
            if packet is not None:
                packets.append(packet)
        return packets

    def finish(self) -> None:
        """The end of the audio: raises :class:`ProtocolError` when the stream stopped inside an element."""
        if self._buffer or self._skip:
            raise ProtocolError(f"the WebM stream is truncated: it ends inside an element (at byte "
                                f"{self._position + len(self._buffer)})")

    def _next_element(self) -> Optional[tuple[int, Optional[bytes]]]:
        """The next element's (ID, body), with body None for an element entered; None when more bytes are needed."""
        buffer = self._buffer
        try:
            element_id = _vint(buffer, 0, 4, keep_marker=True)
            size = element_id and _vint(buffer, element_id[1], 8, keep_marker=False)
        except ValueError:
            raise ProtocolError(self._corrupt("an element header is not valid EBML")) from None
        if element_id is None or size is None:
            return None
        ident, header = element_id[0], element_id[1] + size[1]
        if not self._started:
            if ident != EBML:
                raise ProtocolError("not a WebM stream: it must start with the EBML header (a new connection, "
                                    "resumed or not, starts a new stream with its headers)")
            self._started = True
        if ident in ENTERED:
            self._consume(header)
            if ident == TRACK_ENTRY:
                self._entry = {}
            return ident, None
        if size[2]:
            raise ProtocolError(self._corrupt(f"element 0x{ident:X} has an unknown size"))
        body_size = size[0]
        if ident in READ:
            if body_size > MAX_READ_BYTES:
                raise ProtocolError(self._corrupt(f"element 0x{ident:X} claims {body_size} bytes"))
            if len(buffer) < header + body_size:
                return None
            body = bytes(buffer[header:header + body_size])
            self._consume(header + body_size)
            return ident, body
        if body_size > MAX_SKIPPED_BYTES:
            raise ProtocolError(self._corrupt(f"element 0x{ident:X} claims {body_size} bytes"))
        available = min(len(buffer), header + body_size)
        self._skip = header + body_size - available
        self._consume(available)
        return ident, None

    def _consume(self, count: int) -> None:
        del self._buffer[:count]
        self._position += count

    def _corrupt(self, what: str) -> str:
        return f"the WebM stream is corrupt at byte {self._position}: {what}"

    def _read(self, ident: int, body: Optional[bytes]) -> Optional[bytes]:
        if body is None:
            return None
        if ident == DOC_TYPE and body.rstrip(b"\0") not in (b"webm", b"matroska"):
            raise ProtocolError(f"not a WebM stream: its DocType is {body.rstrip(bytes(1))!r}")
        if ident == TRACK_NUMBER:
            self._entry["number"] = int.from_bytes(body, "big")
        elif ident == CODEC_ID:
            self._entry["codec"] = body.rstrip(b"\0").decode("ascii", "replace")
        elif ident == CODEC_PRIVATE:
            self._entry["private"] = body
        elif ident in (SIMPLE_BLOCK, BLOCK):
            return self._frame_of(body)
        if {"number", "codec", "private"} <= self._entry.keys() and self._entry["codec"] == "A_OPUS" \
                and self._track is None:
            self.head = OpusHead.parse(self._entry["private"], "WebM")
            self._track = self._entry["number"]
        return None

    def _frame_of(self, block: bytes) -> Optional[bytes]:
        try:
            track = _vint(block, 0, 8, keep_marker=False)
        except ValueError:
            track = None
        if track is None or len(block) < track[1] + 3:
            raise ProtocolError(self._corrupt("a block is too short for its header"))
        if self._track is None:
            codecs = self._entry.get("codec")
            raise ProtocolError("the WebM stream has no Opus track before its first block"
                                + (f" (its track's codec is {codecs})" if codecs else ""))
        if track[0] != self._track:
            return None  # another track's block
        flags = block[track[1] + 2]
        if flags & 0x06:
            raise ProtocolError("the WebM stream uses laced blocks, which are not supported: send one Opus "
                                "frame per block")
        frame = block[track[1] + 3:]
        return frame or None
