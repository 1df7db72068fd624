"""ICAO 9303 secure messaging with 3DES (Doc 9303 part 11 §9.8, keys per §9.7.1).

BAC (and PACE with 3DES) ends with KS_Enc, KS_MAC and a send sequence counter; :class:`SecureChannel`
then wraps every command APDU (§9.8.4–9.8.6) and checks and unwraps every response (§9.8.7).
A response whose MAC fails is a :class:`ChipDataError`: the session is no longer trusted.
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from madoguchi.chip import tlv
from madoguchi.chip.apdu import Response
from madoguchi.chip.errors import ChipDataError
from madoguchi.chip.transport import Channel

ENC = 1
MAC = 2
BLOCK = 8


def derive_key(seed: bytes, counter: int) -> bytes:
    """KDF for 3DES (Doc 9303-11 §9.7.1.1): SHA-1(seed || counter)[:16], parity bits not adjusted
    (3DES ignores them)."""
    return hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16]


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2 (Doc 9303-11 §9.8.1)."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % BLOCK)


def unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise ChipDataError("secure messaging: bad padding")
    return end[:-1]


def _cipher(key: bytes) -> TripleDES:
    """3DES with a 24-byte key: 2-key K1K2 becomes K1K2K1, single DES K1 becomes K1K1K1."""
    return TripleDES(key + key[:8] if len(key) == 16 else key * 3 if len(key) == 8 else key)


def encrypt(key: bytes, data: bytes) -> bytes:
    """3DES-CBC with a zero IV (Doc 9303-11 §9.8.6.1)."""
    encryptor = Cipher(_cipher(key), modes.CBC(bytes(BLOCK))).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def decrypt(key: bytes, data: bytes) -> bytes:
    if len(data) % BLOCK:
        raise ChipDataError("secure messaging: ciphertext is not whole blocks")
    decryptor = Cipher(_cipher(key), modes.CBC(bytes(BLOCK))).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def retail_mac(key: bytes, padded: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES (Doc 9303-11 §9.8.6.2): CBC-DES under Ka, the last
    block through E(Ka)·D(Kb)·E(Ka), which is 3DES-EDE with the 2-key (Ka, Kb)."""
    ka = key[:8]
    state = bytes(BLOCK)
    if len(padded) > BLOCK:
        state = encrypt(ka, padded[:-BLOCK])[-BLOCK:]
    last = bytes(a ^ b for a, b in zip(state, padded[-BLOCK:], strict=True))
    encryptor = Cipher(_cipher(key), modes.ECB()).encryptor()
    return encryptor.update(last) + encryptor.finalize()


class SecureChannel:
    """A :class:`Channel` that wraps commands and unwraps responses with session keys."""

    def __init__(self, channel: Channel, ks_enc: bytes, ks_mac: bytes, ssc: int) -> None:
        self._channel = channel
        self._enc = ks_enc
        self._mac = ks_mac
        self._ssc = ssc

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << 64)
        return self._ssc.to_bytes(8, "big")

    def transmit(self, apdu: bytes) -> Response:
        cla, ins, p1, p2 = apdu[:4]
        data, le = _split(apdu)
        header = bytes([cla | 0x0C, ins, p1, p2])
        body = b""
        if data:
            cipher = encrypt(self._enc, pad(data))
            # Odd INS carries BER-TLV data, sent as DO'85'; even INS as DO'87' with the padding byte.
            body += tlv.encode(0x85, cipher) if ins & 1 else tlv.encode(0x87, b"\x01" + cipher)
        if le is not None:
            body += tlv.encode(0x97, le.to_bytes(2, "big")[-1:] if le <= 256 else le.to_bytes(2, "big"))
        mac = retail_mac(self._mac, pad(self._next_ssc() + pad(header) + body))
        body += tlv.encode(0x8E, mac)
        wrapped = header + (
            bytes([len(body)]) + body + b"\x00"
            if len(body) < 256
            else b"\x00" + len(body).to_bytes(2, "big") + body + b"\x00\x00"
        )
        return self._unwrap(self._channel.transmit(wrapped))

    def _unwrap(self, response: Response) -> Response:
        ssc = self._next_ssc()
        if not response.data:  # an error status before SM (e.g. 6987/6988): no MAC to check
            return response
        objects = dict(tlv.items(response.data))
        covered = b"".join(tlv.encode(tag, objects[tag]) for tag in (0x85, 0x87, 0x99) if tag in objects)
        if 0x8E not in objects or not hmac.compare_digest(
            retail_mac(self._mac, ssc + pad(covered)), objects[0x8E]
        ):
            raise ChipDataError("secure messaging: response MAC does not verify")
        sw = int.from_bytes(objects.get(0x99, response.sw.to_bytes(2, "big")), "big")
        if 0x87 in objects:
            encrypted = objects[0x87]
            if not encrypted or encrypted[0] != 0x01:
                raise ChipDataError("secure messaging: unknown padding indicator")
            return Response(unpad(decrypt(self._enc, encrypted[1:])), sw)
        if 0x85 in objects:
            return Response(unpad(decrypt(self._enc, objects[0x85])), sw)
        return Response(b"", sw)


def _split(apdu: bytes) -> tuple[bytes, int | None]:
    """The data field and Le of a plain APDU (ISO 7816-4 §5.1 cases 1–4, short or extended)."""
    body = apdu[4:]
    if not body:
        return b"", None
    if len(body) == 1:
        return b"", body[0] or 256
    if body[0] != 0:  # short
        length = body[0]
        data = body[1 : 1 + length]
        rest = body[1 + length :]
        return data, (rest[0] or 256) if rest else None
    if len(body) == 3:  # extended, Le only
        return b"", int.from_bytes(body[1:3], "big") or 65536
    length = int.from_bytes(body[1:3], "big")
    data = body[3 : 3 + length]
    rest = body[3 + length :]
    return data, (int.from_bytes(rest, "big") or 65536) if rest else None
