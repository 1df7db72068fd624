"""Selecting and reading transparent files (ISO/IEC 7816-4 §11.1–11.2), bounded in size."""

from __future__ import annotations

from madoguchi.chip import tlv
from madoguchi.chip.apdu import SW_NOT_FOUND, command
from madoguchi.chip.errors import ChipDataError, UnsupportedCard
from madoguchi.chip.transport import Channel

CHUNK = 0xDF  # leaves room for the DO'87'/'99'/'8E' of secure messaging in a short response
MAX_FILE = 512 * 1024
MAX_SHORT_OFFSET = 0x7FFF


def select_application(channel: Channel, aid: bytes, what: str) -> None:
    """SELECT by DF name, no response data (P2 = 0C); UnsupportedCard if the card lacks it."""
    response = channel.transmit(command(0x00, 0xA4, 0x04, 0x0C, aid))
    if response.sw == SW_NOT_FOUND or not response.ok:
        raise UnsupportedCard(f"the card has no {what} application (SW {response.sw:04X})")


def select_file(channel: Channel, fid: int) -> None:
    response = channel.transmit(command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
    if not response.ok:
        raise ChipDataError(f"cannot select file {fid:04X} (SW {response.sw:04X})")


def read_binary(channel: Channel, offset: int, length: int) -> bytes:
    """READ BINARY: INS B0 with the offset in P1-P2 up to 32767, beyond that INS B1 with the offset
    in DO'54' and the data in DO'53' (ISO 7816-4 §11.2.3)."""
    if offset <= MAX_SHORT_OFFSET:
        response = channel.transmit(command(0x00, 0xB0, offset >> 8, offset & 0xFF, le=length))
        data = response.data
    else:
        size = (offset.bit_length() + 7) // 8
        response = channel.transmit(
            command(0x00, 0xB1, 0, 0, tlv.encode(0x54, offset.to_bytes(size, "big")), le=length + 4)
        )
        data = tlv.find(response.data, 0x53) if response.data else b""
    if not response.ok and response.sw != 0x6282:  # 6282: end of file reached before Le bytes
        raise ChipDataError(f"READ BINARY at {offset} failed (SW {response.sw:04X})")
    return data


def read_tlv_file(channel: Channel, fid: int) -> bytes:
    """The whole of a file holding one BER-TLV object: read its header, then the rest in chunks."""
    select_file(channel, fid)
    head = read_binary(channel, 0, 6)
    if len(head) < 2:
        raise ChipDataError(f"file {fid:04X} is empty")
    total = tlv.header_size(head)
    if total > MAX_FILE:
        raise ChipDataError(f"file {fid:04X} claims {total} bytes")
    data = bytearray(head[:total])
    while len(data) < total:
        chunk = read_binary(channel, len(data), min(CHUNK, total - len(data)))
        if not chunk:
            raise ChipDataError(f"file {fid:04X} ended early")
        data += chunk
    return bytes(data[:total])
