"""My Number cards for the emulator, personalised with a face and a test J-LIS key."""

from __future__ import annotations

import functools

import numpy as np
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from faces import astronaut
from madoguchi.chip.emulator import chip_face, personalise
from madoguchi.chip.mynumber import MyNumberKeyB

KEY_B = MyNumberKeyB("800101", "2034", "1234")


@functools.cache
def issuer_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


@functools.cache
def card_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def issuer_pem() -> bytes:
    return (
        issuer_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def mynumber_card(face: np.ndarray | None = None, tries: int = 10, key: MyNumberKeyB = KEY_B) -> dict:
    """The emulator's JSON card: the AP's files, 照合番号B and its retry counter."""
    face = astronaut()[20:220, 150:330] if face is None else face
    files = personalise(chip_face(face), key.birth_date, key.expiry_year + "0101", issuer_key(), card_key())
    return {
        "files": {f"{fid:04X}": content.hex() for fid, content in files.items()},
        "pin": key.code().decode(),
        "tries": tries,
    }
