"""BER-TLV (ISO/IEC 8825-1, as used by ISO 7816-4 and ICAO 9303 part 10 §4.3): bounded parse, encode.

The parser never reads past its input and raises :class:`ChipDataError` on anything malformed, so
a hostile chip cannot crash or stall the counter.
"""

from __future__ import annotations

from collections.abc import Iterator

from madoguchi.chip.errors import ChipDataError

MAX_DEPTH = 16


def read_tag(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    """The tag at ``offset`` (as an int, e.g. 0x5F1F) and the offset after it."""
    if offset >= len(data):
        raise ChipDataError("TLV: truncated tag")
    tag = data[offset]
    offset += 1
    if tag & 0x1F == 0x1F:
        for _ in range(3):
            if offset >= len(data):
                raise ChipDataError("TLV: truncated tag")
            tag = (tag << 8) | data[offset]
            offset += 1
            if not tag & 0x80:
                break
        else:
            raise ChipDataError("TLV: tag too long")
    return tag, offset


def read_length(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    """The definite length at ``offset`` and the offset after it (indefinite lengths are refused)."""
    if offset >= len(data):
        raise ChipDataError("TLV: truncated length")
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0 or count > 4 or offset + count > len(data):
        raise ChipDataError("TLV: bad length")
    return int.from_bytes(bytes(data[offset : offset + count]), "big"), offset + count


def header_size(data: bytes) -> int:
    """Tag + length bytes of the TLV at the start of ``data`` plus its value length: the whole size."""
    _, offset = read_tag(data, 0)
    length, offset = read_length(data, offset)
    return offset + length


def items(data: bytes | memoryview) -> Iterator[tuple[int, bytes]]:
    """The (tag, value) pairs that fill ``data`` one after another, up to the padding (00 or FF,
    ISO 7816-4 §5.2.2) that may follow the last; found once, so a run of empty objects stays linear."""
    end = len(bytes(data).rstrip(b"\x00\xff"))
    offset = 0
    while offset < end:
        tag, offset = read_tag(data, offset)
        length, offset = read_length(data, offset)
        if offset + length > len(data):
            raise ChipDataError(f"TLV: value of tag {tag:X} runs past the data")
        yield tag, bytes(data[offset : offset + length])
        offset += length


def find(data: bytes, *path: int) -> bytes:
    """The value reached by following ``path`` (one tag per level); ChipDataError if absent."""
    if len(path) > MAX_DEPTH:
        raise ChipDataError("TLV: path too deep")
    value = data
    for wanted in path:
        for tag, inner in items(value):
            if tag == wanted:
                value = inner
                break
        else:
            raise ChipDataError(f"TLV: tag {wanted:X} not found")
    return value


def encode(tag: int, value: bytes) -> bytes:
    """One TLV with DER's shortest definite length."""
    tag_bytes = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    length = len(value)
    if length < 0x80:
        length_bytes = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        length_bytes = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return tag_bytes + length_bytes + value
