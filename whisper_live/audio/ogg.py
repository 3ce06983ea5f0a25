"""Opus packets out of an Ogg byte stream that arrives in arbitrary slices (MediaRecorder's ``audio/ogg``).

:class:`OggOpusReader` is push-based: :meth:`~OggOpusReader.feed` takes whatever bytes came and returns
the audio packets of the pages completed so far, keeping a partial page for the next slice. Every page's
checksum and sequence number are checked, so a corrupt or spliced stream is refused with a
:class:`~whisper_live.protocol.ProtocolError` that says what is wrong. The first packet must be the
``OpusHead`` (RFC 7845), the second the ``OpusTags`` (skipped).
"""

from __future__ import annotations

import struct
from typing import Optional

from whisper_live.audio.opus import MAX_PACKET_BYTES, OpusHead
from whisper_live.protocol import ProtocolError

CAPTURE = b"OggS"
_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, flags, granule, serial, sequence, checksum, segments
CONTINUED = 0x01


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def page_checksum(page: bytes) -> int:
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, no final xor) of a page whose checksum field is 0."""
    crc = 0
    table = _CRC
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ byte]
    return crc


class OggOpusReader:
    """``feed(bytes) -> [Opus audio packets]``; :attr:`head` once the OpusHead has been read."""

    def __init__(self):
        self.head: Optional[OpusHead] = None
        self._buffer = bytearray()
        self._packet = bytearray()  # a packet continued on the next page
        self._serial: Optional[int] = None
        self._sequence = -1
        self._headers_seen = 0  # OpusHead, OpusTags
        self._ended = False

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        packets: list[bytes] = []
        while True:
            page = self._next_page()
            if page is None:
                return packets
            packets.extend(self._packets_of(*page))

    def finish(self) -> None:
        """The end of the audio: raises :class:`ProtocolError` when the stream stopped inside a page or packet."""
        if self._buffer:
            raise ProtocolError(f"the Ogg stream is truncated: it ends inside a page ({len(self._buffer)} bytes "
                                f"of page {self._sequence + 2} arrived)")
        if self._packet:
            raise ProtocolError("the Ogg stream is truncated: its last packet continues on a page that never came")

    def _next_page(self) -> Optional[tuple[int, bytes, bytes]]:
        buffer = self._buffer
        if len(buffer) < 4 and CAPTURE.startswith(bytes(buffer)):
            return None
        if buffer[:4] != CAPTURE:
            if self._serial is None:
                raise ProtocolError("not an Ogg stream: it must start with the page marker 'OggS' (a new "
                                    "connection, resumed or not, starts a new stream with its headers)")
            raise ProtocolError(f"the Ogg stream is corrupt: page {self._sequence + 2} does not start with 'OggS'")
        if len(buffer) < _HEADER.size:
            return None
        _, version, flags, _granule, serial, sequence, checksum, count = _HEADER.unpack_from(buffer)
        header_size = _HEADER.size + count
        if len(buffer) < header_size:
            return None
        lacing = bytes(buffer[_HEADER.size:header_size])
        size = header_size + sum(lacing)
        if len(buffer) < size:
            return None
        page = bytes(buffer[:size])
        del buffer[:size]
        if version != 0:
            raise ProtocolError(f"the Ogg stream is corrupt: page {sequence} has version {version}")
        if page_checksum(page[:22] + b"\0\0\0\0" + page[26:]) != checksum:
            raise ProtocolError(f"the Ogg stream is corrupt: page {sequence} fails its checksum")
        if self._serial is None:
            self._serial = serial
        elif serial != self._serial:
            raise ProtocolError("the Ogg stream holds a second logical stream: send one Opus stream per session")
        if sequence != self._sequence + 1:
            raise ProtocolError(f"the Ogg stream is missing pages: page {sequence} came after page {self._sequence}")
        self._sequence = sequence
        if not flags & CONTINUED and self._packet:
            raise ProtocolError(f"the Ogg stream is corrupt: page {sequence} drops a packet begun on the page before")
        return flags, lacing, page[header_size:]

    def _packets_of(self, flags: int, lacing: bytes, body: bytes) -> list[bytes]:
        packets, offset = [], 0
        for value in lacing:
            self._packet += body[offset:offset + value]
            offset += value
            if len(self._packet) > MAX_PACKET_BYTES:
                raise ProtocolError(f"the Ogg stream is corrupt: a packet of page {self._sequence} is longer "
                                    f"than {MAX_PACKET_BYTES} bytes")
            if value < 255:
                packet, self._packet = bytes(self._packet), bytearray()
                if self._headers_seen == 0:
                    self.head = OpusHead.parse(packet, "Ogg")
                    self._headers_seen = 1
                elif self._headers_seen == 1:
                    if not packet.startswith(b"OpusTags"):
                        raise ProtocolError("the Ogg stream is corrupt: its second packet is not the OpusTags header")
                    self._headers_seen = 2
                elif packet:  # an empty packet stands for a lost one: nothing to decode
                    packets.append(packet)
        return packets
