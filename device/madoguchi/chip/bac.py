"""Basic Access Control (ICAO Doc 9303 part 11 §4.3) and the MRZ check digits it needs (part 3 §4.9).

The key is the document number, date of birth and date of expiry printed in the MRZ (§4.3.2). BAC
has no retry counter; a wrong key is answered with an error status and we never try again by
ourselves: the caller decides (the counter asks staff to re-check the MRZ).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from madoguchi.chip.apdu import command
from madoguchi.chip.errors import ChipDataError, WrongAccessCode
from madoguchi.chip.securemessaging import (
    ENC,
    MAC,
    SecureChannel,
    decrypt,
    derive_key,
    encrypt,
    pad,
    retail_mac,
)
from madoguchi.chip.transport import Channel

WEIGHTS = (7, 3, 1)


def check_digit(field: str) -> str:
    """Doc 9303 part 3 §4.9: digits as themselves, A–Z as 10–35, '<' as 0, weights 7 3 1 mod 10."""
    total = 0
    for index, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError(f"not an MRZ character: {char!r}")
        total += value * WEIGHTS[index % 3]
    return str(total % 10)


@dataclass(frozen=True)
class MrzKey:
    """The access key of an ICAO eMRTD: document number, date of birth and date of expiry (YYMMDD),
    as in the MRZ. Check digits are computed here."""

    document_number: str
    birth_date: str
    expiry_date: str

    def __post_init__(self) -> None:
        for date in (self.birth_date, self.expiry_date):
            if len(date) != 6 or not date.isdigit():
                raise ValueError("MRZ dates are YYMMDD")
        number = self.document_number.upper()
        if not number or len(number) > 9 or any(not (c.isalnum() or c == "<") for c in number):
            raise ValueError("a document number is 1 to 9 letters or digits")

    def information(self) -> bytes:
        """MRZ_information (§4.3.2): number padded with '<' to 9 (longer TD1 numbers are not
        handled) + check digit, birth date + check digit, expiry + check digit."""
        number = self.document_number.upper().ljust(9, "<")
        return "".join(
            field + check_digit(field) for field in (number, self.birth_date, self.expiry_date)
        ).encode()

    def __repr__(self) -> str:  # the key is personal data: keep it out of logs and tracebacks
        return "MrzKey(…)"


def authenticate(channel: Channel, key: MrzKey) -> SecureChannel:
    """Run BAC's mutual authentication (§4.3.3.1–4.3.3.3) once and return the secure channel."""
    seed = hashlib.sha1(key.information()).digest()[:16]
    session_seed, ssc = mutual_authenticate(channel, derive_key(seed, ENC), derive_key(seed, MAC), "BAC")
    return SecureChannel(channel, derive_key(session_seed, ENC), derive_key(session_seed, MAC), ssc)


def mutual_authenticate(channel: Channel, k_enc: bytes, k_mac: bytes, what: str) -> tuple[bytes, int]:
    """GET CHALLENGE, then EXTERNAL/MUTUAL AUTHENTICATE with 3DES and retail MAC (§4.3.3); the session
    key seed K.IFD xor K.IC and the send sequence counter (§9.8.2). Sent once, never retried."""
    challenge = channel.transmit(command(0x00, 0x84, 0x00, 0x00, le=8))  # GET CHALLENGE
    if not challenge.ok or len(challenge.data) != 8:
        raise ChipDataError(f"GET CHALLENGE failed (SW {challenge.sw:04X})")
    rnd_ic = challenge.data
    rnd_ifd, k_ifd = os.urandom(8), os.urandom(16)
    e_ifd = encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    answer = channel.transmit(command(0x00, 0x82, 0x00, 0x00, e_ifd + retail_mac(k_mac, pad(e_ifd)), le=40))
    if not answer.ok:
        # 6300 (Doc 9303-11 §4.3.3.3 note) or 6982/6988: the key does not match this chip.
        raise WrongAccessCode(f"{what} refused (SW {answer.sw:04X}): the key does not match the chip")
    if len(answer.data) != 40:
        raise ChipDataError(f"{what}: mutual authentication answer has the wrong length")
    e_ic, m_ic = answer.data[:32], answer.data[32:]
    if not hmac.compare_digest(retail_mac(k_mac, pad(e_ic)), m_ic):
        raise ChipDataError(f"{what}: the chip's MAC does not verify")
    plain = decrypt(k_enc, e_ic)
    if plain[:8] != rnd_ic or plain[8:16] != rnd_ifd:
        raise ChipDataError(f"{what}: the chip's nonces do not match")
    session_seed = bytes(a ^ b for a, b in zip(k_ifd, plain[16:32], strict=True))
    return session_seed, int.from_bytes(rnd_ic[4:] + rnd_ifd[4:], "big")
