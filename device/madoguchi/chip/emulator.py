"""A My Number card double on the real PC/SC stack: an emulated card for vsmartcard's vpcd.

vpcd (the PC/SC driver from vsmartcard-vpcd) waits for a card on TCP port 35963 (reader
"Virtual PCD 00 00"); each message either way is a 2-byte big-endian length and a body. A
1-byte body from vpcd is a control: 0 power off, 1 power on, 2 reset, 4 "send your ATR"; any
other body is a command APDU, answered with the response APDU. That is all this module speaks.

:class:`ResidenceCard` answers as :mod:`madoguchi.chip.residence` expects a residence card to.
:class:`MyNumberCard` holds the 券面事項確認AP as :mod:`madoguchi.chip.mynumber` reads it: a
retry counter on 照合番号B that blocks at zero (the state lives as long as the process, as on a
card), and a way to be torn away mid-read (``tear_after`` READ BINARYs, then the process leaves the
reader as a card leaves the field). :func:`personalise` builds its files from a face image.

Run by tests, the simulator and the benchmark: ``python -m madoguchi.chip.emulator --port 35963``
with the card as JSON on stdin (never a file: the face stays in memory).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import socket
import struct
import sys
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image

from madoguchi.chip import tlv
from madoguchi.chip.apdu import SW_BLOCKED, SW_NOT_FOUND, SW_OK, SW_SECURITY_NOT_SATISFIED
from madoguchi.chip.mynumber import (
    BODY,
    CERT_SIGNATURE,
    CERTIFICATE,
    EF_CERTIFICATE,
    EF_FACE_DATA,
    EF_PIN_B,
    FACE,
    KENKAKU_AID,
    OFFSETS,
    SIGNATURE,
)
from madoguchi.chip.securemessaging import decrypt, derive_key, encrypt, pad, retail_mac, unpad

ATR = bytes.fromhex("3B8880010000000000000000")  # a contactless Type B card as PC/SC shows it
CONTROL_OFF, CONTROL_ON, CONTROL_RESET, CONTROL_ATR = 0, 1, 2, 4
PIN_TRIES = 10
FACE_SIZE = (192, 256)  # width, height: a chip's low-resolution portrait
SW_WRONG_LENGTH, SW_INS_UNKNOWN, SW_OFFSET_PAST_END, SW_NOT_SELECTED = 0x6700, 0x6D00, 0x6B00, 0x6986


def chip_face(
    face: np.ndarray, size: tuple[int, int] = FACE_SIZE, rate: float = 24.0, grey: bool = True
) -> bytes:
    """``face`` (RGB) the way a chip stores it: ``size`` px, JPEG 2000 at about ``rate``:1, and for
    the My Number card monochrome (a few kilobytes)."""
    image = Image.fromarray(face).convert("L" if grey else "RGB").resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG2000", quality_mode="rates", quality_layers=[rate])
    return out.getvalue()


def personalise(
    face_jp2: bytes,
    birth_date: str,
    expiry: str,
    issuer_key: rsa.RSAPrivateKey,
    card_key: rsa.RSAPrivateKey | None = None,
) -> dict[int, bytes]:
    """EF '0002' and EF '0004' of a card with ``face_jp2``, signed as :mod:`madoguchi.chip.mynumber`
    checks it: card-face data under the card's AP key, the AP key's certificate under the issuer's."""
    card_key = card_key or rsa.generate_private_key(65537, 2048)
    numbers = card_key.public_key().public_numbers()
    public = tlv.encode(0x81, numbers.e.to_bytes(3, "big")) + tlv.encode(0x82, numbers.n.to_bytes(256, "big"))
    body = tlv.encode(BODY, b"J-LIS TEST ISSUR".ljust(16) + b"KENKAKU AP KEY  " + public)
    certificate = tlv.encode(
        CERTIFICATE,
        body + tlv.encode(CERT_SIGNATURE, issuer_key.sign(body, padding.PKCS1v15(), hashes.SHA256())),
    )
    objects = [
        (0xDF22, birth_date.encode()),
        (0xDF23, b"2"),
        (0xDF24, public),
        (0xDF25, b"\x89PNG name"),
        (0xDF26, b"\x89PNG address"),
        (FACE, face_jp2),
        (0xDF29, expiry.encode()),
        (0xDF2A, b"\x89PNG security code"),
    ]
    signed = b"".join(tlv.encode(tag, value) for tag, value in objects)
    signature = card_key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
    face_data = tlv.encode(OFFSETS, bytes(6)) + signed + tlv.encode(SIGNATURE, signature) + b"\xff" * 32
    return {EF_FACE_DATA: face_data, EF_CERTIFICATE: certificate}


@dataclass
class MyNumberCard:
    """The 券面事項確認AP: ``files`` by FID, ``pin`` the 14 ASCII digits of 照合番号B."""

    files: dict[int, bytes]
    pin: bytes
    tries: int = PIN_TRIES
    tear_after: int | None = None
    reads: int = 0
    selected_ap: bool = False
    selected: int | None = None
    verified: bool = False

    def reset(self) -> None:
        self.selected_ap = self.verified = False
        self.selected = None

    def execute(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return _sw(SW_WRONG_LENGTH)
        _cla, ins, p1, p2 = apdu[:4]
        data = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if ins == 0xA4 and p1 == 0x04:
            self.reset()
            self.selected_ap = data == KENKAKU_AID
            return _sw(SW_OK if self.selected_ap else SW_NOT_FOUND)
        if not self.selected_ap:
            return _sw(SW_NOT_SELECTED)
        if ins == 0xA4 and p1 == 0x02:
            fid = int.from_bytes(data, "big")
            if fid not in self.files and fid != EF_PIN_B:
                return _sw(SW_NOT_FOUND)
            self.selected = fid
            return _sw(SW_OK)
        if ins == 0x20:
            return self._verify(data)
        if ins == 0xB0:
            return self._read((p1 << 8) | p2, apdu[4] if len(apdu) == 5 else 0)
        return _sw(SW_INS_UNKNOWN)

    def _verify(self, data: bytes) -> bytes:
        if self.selected != EF_PIN_B:
            return _sw(SW_NOT_SELECTED)
        if self.tries == 0:
            return _sw(SW_BLOCKED)
        if not data:
            return _sw(0x63C0 | self.tries)
        if data == self.pin:
            self.tries = PIN_TRIES
            self.verified = True
            return _sw(SW_OK)
        self.tries -= 1
        return _sw(SW_BLOCKED if self.tries == 0 else 0x63C0 | self.tries)

    def _read(self, offset: int, length: int) -> bytes:
        if self.selected not in self.files:
            return _sw(SW_NOT_SELECTED)
        if not self.verified:
            return _sw(SW_SECURITY_NOT_SATISFIED)
        self.reads += 1
        if self.tear_after is not None and self.reads > self.tear_after:
            raise ConnectionAbortedError("torn away")
        content = self.files[self.selected]
        if offset >= len(content):
            return _sw(SW_OFFSET_PAST_END)
        return content[offset : offset + (length or 256)] + _sw(SW_OK)


@dataclass
class ResidenceCard:
    """A residence card as :mod:`madoguchi.chip.residence` reads it: ``number`` the 12-character card
    number, ``photo`` the content of DF1 EF '06' (TLV 'D1' with the JPEG 2000 image)."""

    number: bytes
    photo: bytes
    tear_after: int | None = None
    reads: int = 0
    challenge: bytes = b""
    session_key: bytes = b""
    verified: bool = False
    offset_base: int = 0

    def reset(self) -> None:
        self.challenge = self.session_key = b""
        self.verified = False

    def execute(self, apdu: bytes) -> bytes:
        cla, ins, p1, p2 = apdu[:4]
        data = _data(apdu)
        if ins == 0xA4:
            return _sw(SW_OK)  # MF and DF1 exist; nothing else is asked for
        if ins == 0xB0 and cla == 0x00 and p1 == 0x80 | 0x02:
            return b"\xc1\x01\x31" + _sw(SW_OK)  # card type: residence card
        if ins == 0x84:
            self.challenge = os.urandom(8)
            return self.challenge + _sw(SW_OK)
        if ins == 0x82:
            return self._authenticate(data)
        if ins == 0x20 and cla == 0x08:
            return self._verify(data)
        if ins == 0xB0 and cla == 0x08:
            return self._read(p1, p2)
        return _sw(SW_INS_UNKNOWN)

    def _authenticate(self, data: bytes) -> bytes:
        key = hashlib.sha1(self.number).digest()[:16]
        e_ifd, m_ifd = data[:32], data[32:40]
        if not self.challenge or len(data) != 40 or retail_mac(key, pad(e_ifd)) != m_ifd:
            return _sw(0x6300)
        plain = decrypt(key, e_ifd)
        if plain[8:16] != self.challenge:
            return _sw(0x6300)
        k_icc = os.urandom(16)
        e_icc = encrypt(key, self.challenge + plain[:8] + k_icc)
        self.session_key = derive_key(bytes(a ^ b for a, b in zip(plain[16:], k_icc, strict=True)), 1)
        return e_icc + retail_mac(key, pad(e_icc)) + _sw(SW_OK)

    def _verify(self, data: bytes) -> bytes:
        if not self.session_key:
            return _sw(SW_SECURITY_NOT_SATISFIED)
        value = tlv.find(data, 0x86)
        self.verified = unpad(decrypt(self.session_key, value[1:])) == self.number
        return _sw(SW_OK if self.verified else 0x6300)

    def _read(self, p1: int, p2: int) -> bytes:
        if not self.verified:
            return _sw(SW_SECURITY_NOT_SATISFIED)
        self.reads += 1
        if self.tear_after is not None and self.reads > self.tear_after:
            raise ConnectionAbortedError("torn away")
        offset = 0 if p1 & 0x80 else (p1 << 8) | p2
        if offset >= len(self.photo):
            return _sw(SW_OFFSET_PAST_END)
        chunk = self.photo[offset : offset + 0x400]
        return tlv.encode(0x86, b"\x01" + encrypt(self.session_key, pad(chunk))) + _sw(SW_OK)


def _data(apdu: bytes) -> bytes:
    """The data field of a short or extended command APDU."""
    if len(apdu) <= 5:
        return b""
    if apdu[4] == 0 and len(apdu) > 7:
        return apdu[7 : 7 + int.from_bytes(apdu[5:7], "big")]
    return apdu[5 : 5 + apdu[4]]


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


def _receive(connection: socket.socket) -> bytes | None:
    header = _exactly(connection, 2)
    return None if header is None else _exactly(connection, struct.unpack(">H", header)[0])


def _exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(card: MyNumberCard | ResidenceCard, port: int, host: str = "127.0.0.1") -> None:
    """Sit on vpcd's reader until vpcd goes away or the card is torn away."""
    with socket.create_connection((host, port)) as connection:
        while (message := _receive(connection)) is not None:
            if len(message) == 1:
                if message[0] in (CONTROL_OFF, CONTROL_ON, CONTROL_RESET):
                    card.reset()
                elif message[0] == CONTROL_ATR:
                    connection.sendall(struct.pack(">H", len(ATR)) + ATR)
                continue
            try:
                answer = card.execute(message)
            except ConnectionAbortedError:
                return
            connection.sendall(struct.pack(">H", len(answer)) + answer)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=35963)
    parser.add_argument("--tear-after", type=int, help="leave the reader after this many READ BINARYs")
    args = parser.parse_args(argv)
    # My Number: {"files": {"0002": hex, ...}, "pin": "...", "tries": n};
    # residence card: {"kind": "residence", "number": "AB12345678CD", "photo": hex}
    spec = json.load(sys.stdin)
    if spec.get("kind") == "residence":
        card = ResidenceCard(spec["number"].encode("ascii"), bytes.fromhex(spec["photo"]), args.tear_after)
    else:
        card = MyNumberCard(
            files={int(fid, 16): bytes.fromhex(content) for fid, content in spec["files"].items()},
            pin=spec["pin"].encode("ascii"),
            tries=spec.get("tries", PIN_TRIES),
            tear_after=args.tear_after,
        )
    serve(card, args.port)


if __name__ == "__main__":
    main()
