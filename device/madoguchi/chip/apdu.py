"""Command APDUs and status words (ISO/IEC 7816-4 §5.1 and §5.6)."""

from __future__ import annotations

from dataclasses import dataclass

SW_OK = 0x9000
SW_NOT_FOUND = 0x6A82
SW_BLOCKED = 0x6983
SW_SECURITY_NOT_SATISFIED = 0x6982


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    """An APDU in short form when it fits, else extended form (ISO 7816-4 §5.1).

    ``le`` is the number of bytes expected (256 or 65536 for "as many as there are").
    """
    header = bytes([cla, ins, p1, p2])
    extended = len(data) > 255 or (le is not None and le > 256)
    if not extended:
        body = bytes([len(data)]) + data if data else b""
        if le is not None:
            body += bytes([le & 0xFF])
        return header + body
    body = b"\x00" + len(data).to_bytes(2, "big") + data if data else b""
    if le is not None:
        body += (b"" if data else b"\x00") + (le & 0xFFFF).to_bytes(2, "big")
    return header + body


@dataclass(frozen=True)
class Response:
    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        return self.sw == SW_OK


def tries_left(sw: int) -> int | None:
    """The retry counter in a 63Cx status word (ISO 7816-4 §5.6, table 6), else None."""
    return sw & 0x0F if sw & 0xFFF0 == 0x63C0 else None
