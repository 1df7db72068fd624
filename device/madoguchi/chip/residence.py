"""Residence card (在留カード) and special permanent resident certificate (特別永住者証明書).

Source: 出入国在留管理庁 「在留カード等仕様書（一般公開用）」 Ver 1.5 (2024), published so that
businesses can check the cards' chips: §3.1 file structure (MF; DF1 AID D3 92 F0 00 4F 02 00 …
with the card-face image EF '05' and the photo EF '06'), §3.4 security (authentication by the
12-character card number, 在留カード等番号による認証; secure messaging), §3.5 reading sequence:
SELECT MF, READ BINARY of the card type (MF EF '02', free), GET CHALLENGE, MUTUAL AUTHENTICATE
keyed by SHA-1(card number)[:16] for both encryption and MAC, session key KSenc =
SHA-1((K.IFD xor K.ICC) || 00000001)[:16], VERIFY (CLA '08', P2 '86') of the card number
encrypted under KSenc in DO'86', then READ BINARY with CLA '08' (data encrypted in DO'86', Le in
DO'96'). The photo EF holds TLV 'D1' with a JPEG 2000 image.

The card-number authentication has no retry counter on the card. The issuer's signature (DF3)
is not checked yet: ``verified`` is None with that reason. Written from the specification's
description as summarised publicly; not yet tried on a real card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from madoguchi.chip import tlv
from madoguchi.chip.apdu import Response, command
from madoguchi.chip.bac import mutual_authenticate
from madoguchi.chip.errors import ChipDataError, UnsupportedCard, WrongAccessCode
from madoguchi.chip.files import select_application
from madoguchi.chip.passive import Verification
from madoguchi.chip.securemessaging import ENC, decrypt, derive_key, encrypt, pad, unpad
from madoguchi.chip.transport import Channel

DF1_AID = bytes.fromhex("D392F0004F0200000000000000000000")
SFI_CARD_TYPE, SFI_PHOTO = 0x02, 0x06
PHOTO = 0xD1
CHUNK = 0x400
MAX_PHOTO = 64 * 1024
SM_CLA = 0x08


@dataclass(frozen=True)
class ResidenceCardKey:
    """The 12-character residence card number printed at the top right (e.g. AB12345678CD)."""

    card_number: str

    def __post_init__(self) -> None:
        number = self.card_number
        if len(number) != 12 or not (
            number[:2].isalpha() and number[2:10].isdigit() and number[10:].isalpha()
        ):
            raise ValueError("a residence card number is 2 letters, 8 digits, 2 letters")

    def __repr__(self) -> str:
        return "ResidenceCardKey(…)"


@dataclass(frozen=True)
class ResidenceFace:
    face: bytearray
    verification: Verification


def _encrypted(session_key: bytes, data: bytes) -> bytes:
    return tlv.encode(0x86, b"\x01" + encrypt(session_key, pad(data)))


def _decrypted(session_key: bytes, response: Response) -> bytes:
    value = tlv.find(response.data, 0x86)
    if not value or value[0] != 0x01:
        raise ChipDataError("residence card: unexpected secure messaging object")
    return unpad(decrypt(session_key, value[1:]))


def read(channel: Channel, key: ResidenceCardKey) -> ResidenceFace:
    if not channel.transmit(command(0x00, 0xA4, 0x00, 0x00, b"\x3f\x00")).ok:
        raise UnsupportedCard("the card has no master file")
    card_type = channel.transmit(command(0x00, 0xB0, 0x80 | SFI_CARD_TYPE, 0x00, le=256))
    if not card_type.ok:
        raise UnsupportedCard(f"not a residence card (SW {card_type.sw:04X})")
    number = key.card_number.encode("ascii")
    k = hashlib.sha1(number).digest()[:16]
    session_seed, _ = mutual_authenticate(channel, k, k, "residence card authentication")
    session_key = derive_key(session_seed, ENC)
    verified = channel.transmit(command(SM_CLA, 0x20, 0x00, 0x86, _encrypted(session_key, number)))
    if not verified.ok:
        raise WrongAccessCode(f"the card number was refused (SW {verified.sw:04X})")
    select_application(channel, DF1_AID, "residence card DF1")
    photo = bytearray()
    while len(photo) < MAX_PHOTO:
        p1, p2 = (0x80 | SFI_PHOTO, 0) if not photo else (len(photo) >> 8, len(photo) & 0xFF)
        response = channel.transmit(
            command(SM_CLA, 0xB0, p1, p2, tlv.encode(0x96, CHUNK.to_bytes(2, "big")), le=65536)
        )
        if not response.ok:
            if photo:
                break
            raise ChipDataError(f"cannot read the photo (SW {response.sw:04X})")
        chunk = _decrypted(session_key, response)
        photo += chunk
        if len(chunk) < CHUNK:
            break
    face = bytearray(tlv.find(bytes(photo), PHOTO))
    return ResidenceFace(face, Verification(None, "residence card signature (DF3) not checked"))
