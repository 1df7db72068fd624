"""My Number card (個人番号カード): the card-face confirmation application (券面事項確認AP).

Sources. J-LIS publishes the card's applications and their access codes to relying parties
(「個人番号カード 券面事項確認AP」 interface specification, distributed by J-LIS); the Digital
Agency's 「マイナンバーカード対面確認アプリ」 reads this AP for face-to-face checks and shows its
monochrome face image. The public, open descriptions of the AP we follow are the open-source
readers' constants (e.g. AokiApp jsapdu ``@aokiapp/mynacard``): AID D3 92 10 00 31 00 01 01 04 02;
EF '0002' card-face data; EF '0004' the AP's certificate; EF '0012' 照合番号B, the 14 digits
birth date YYMMDD + expiry year YYYY + 4-digit security code (セキュリティコード) printed on the
front; EF '0013' 照合番号A (the 12-digit My Number, which we never use: it is on the back).

Card-face data (EF '0002') is a run of private-class data objects: 'DF21' offsets, 'DF22' birth
date, 'DF23' sex, 'DF24' public key, 'DF25' name (PNG), 'DF26' address (PNG), 'DF27' face (JPEG
2000, monochrome), 'DF28' the issuer's signature, 'DF29' expiry date, 'DF2A' security code (PNG).
EF '0004' is a 7F21 template: '5F4E' body (issuer 16 bytes, subject 16 bytes, RSA exponent and
modulus as two TLVs) and '5F37' the J-LIS signature over the body.

What 'DF28' signs is not in the public material. We check an RSA PKCS#1 v1.5 SHA-256 signature
over the card-face data objects other than 'DF21' and 'DF28', in file order, under the key of EF
'0004' — the layout our emulator writes. Confirm it on a real card with J-LIS's specification
before trusting ``verified=True`` from a real card; a mismatch shows as verified=False (staff
decide), never as a lost visitor.

Access: VERIFY (ISO/IEC 7816-4 §11.5.6) on EF '0012'. Before sending the code we ask the card for
its retry counter (VERIFY with no data → SW 63Cx) and refuse to send when fewer than
``keep_tries`` remain, so a wrong code never locks a citizen's card from our counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from madoguchi.chip import tlv
from madoguchi.chip.apdu import SW_BLOCKED, command, tries_left
from madoguchi.chip.errors import AccessLocked, ChipDataError, WrongAccessCode, bad_data
from madoguchi.chip.files import read_binary, select_application, select_file
from madoguchi.chip.passive import Verification
from madoguchi.chip.transport import Channel

KENKAKU_AID = bytes.fromhex("D3921000310001010402")
EF_FACE_DATA, EF_CERTIFICATE, EF_PIN_B = 0x0002, 0x0004, 0x0012
FACE, SIGNATURE, OFFSETS = 0xDF27, 0xDF28, 0xDF21
CERTIFICATE, BODY, CERT_SIGNATURE = 0x7F21, 0x5F4E, 0x5F37
NAME_SIZE = 16
MAX_FILE = 64 * 1024
MAX_KEY_BYTES = 512
"""The largest RSA modulus taken from the AP certificate (4096 bits; J-LIS keys are 2048)."""
CHUNK = 0xFF


@dataclass(frozen=True)
class MyNumberKeyB:
    """照合番号B: birth date YYMMDD, the card's expiry year YYYY and the 4-digit security code, all as
    printed on the card's front."""

    birth_date: str
    expiry_year: str
    security_code: str

    def __post_init__(self) -> None:
        for value, size in ((self.birth_date, 6), (self.expiry_year, 4), (self.security_code, 4)):
            if len(value) != size or not value.isdigit():
                raise ValueError("照合番号B is birth date YYMMDD + expiry year YYYY + 4-digit security code")

    def code(self) -> bytes:
        return (self.birth_date + self.expiry_year + self.security_code).encode("ascii")

    def __repr__(self) -> str:
        return "MyNumberKeyB(…)"


class TooFewTries(AccessLocked):
    """The card has so few tries left that we will not risk one (ask the holder to see the issuer)."""

    code = "chip_few_tries"

    def __init__(self, message: str, *, tries_left: int) -> None:
        super().__init__(message)
        self.tries_left = tries_left


@dataclass(frozen=True)
class CardFace:
    face: bytearray
    verification: Verification


def verify_pin_b(channel: Channel, key: MyNumberKeyB, keep_tries: int) -> None:
    """Send 照合番号B once, after checking the retry counter leaves room for a mistake."""
    select_file(channel, EF_PIN_B)
    status = channel.transmit(command(0x00, 0x20, 0x00, 0x80))  # no data: ask for the counter
    if status.sw == SW_BLOCKED or tries_left(status.sw) == 0:
        raise AccessLocked("照合番号B is locked on this card")
    left = tries_left(status.sw)
    if left is not None and left <= keep_tries:
        raise TooFewTries(f"only {left} tries left; the code was not sent", tries_left=left)
    answer = channel.transmit(command(0x00, 0x20, 0x00, 0x80, key.code()))
    if answer.ok:
        return
    if answer.sw == SW_BLOCKED or tries_left(answer.sw) == 0:
        raise AccessLocked("照合番号B is now locked on this card")
    raise WrongAccessCode(f"照合番号B refused (SW {answer.sw:04X})", tries_left=tries_left(answer.sw))


def read_file(channel: Channel, fid: int) -> bytes:
    """A whole transparent EF of unknown length: read until the card says the end is reached."""
    select_file(channel, fid)
    data = bytearray()
    while len(data) < MAX_FILE:
        try:
            chunk = read_binary(channel, len(data), CHUNK)
        except ChipDataError:
            if data:  # 6B00 / 6282 past the end
                break
            raise
        data += chunk
        if len(chunk) < CHUNK:
            break
    return bytes(data)  # unused space (FF) at the end is padding that tlv.items stops at


def check_signature(
    face_data: bytes, certificate: bytes, issuer_keys: list[rsa.RSAPublicKey]
) -> Verification:
    """The issuer's signature over the card-face data, and the AP certificate under a J-LIS key.

    Always a result: data that does not parse is verified False with the reason, never an exception.
    """
    try:
        with bad_data("the card-face data or certificate"):
            return _check_signature(face_data, certificate, issuer_keys)
    except ChipDataError as error:
        return Verification(False, f"the card-face signature cannot be checked: {error}")


def _card_key(certificate: bytes) -> tuple[bytes, rsa.RSAPublicKey]:
    """The AP certificate's body and the RSA key in it (exponent and modulus after the two names)."""
    body = tlv.find(certificate, CERTIFICATE, BODY)
    numbers = [value for _, value in list(tlv.items(body[2 * NAME_SIZE :]))[:2]]
    if len(numbers) != 2 or not 0 < len(numbers[1]) <= MAX_KEY_BYTES or len(numbers[0]) > len(numbers[1]):
        raise ChipDataError("the certificate holds no RSA key")
    exponent, modulus = (int.from_bytes(value, "big") for value in numbers)
    return body, rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _check_signature(
    face_data: bytes, certificate: bytes, issuer_keys: list[rsa.RSAPublicKey]
) -> Verification:
    objects = list(tlv.items(face_data))
    signature = dict(objects).get(SIGNATURE)
    if signature is None:
        return Verification(False, "the card-face data carries no signature")
    signed = b"".join(tlv.encode(tag, value) for tag, value in objects if tag not in (OFFSETS, SIGNATURE))
    body, card_key = _card_key(certificate)
    try:
        card_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return Verification(False, "the card-face data does not match the issuer's signature")
    if not issuer_keys:
        return Verification(
            None, "card-face data matches its signature; issuer not checked (no J-LIS key configured)"
        )
    cert_signature = dict(tlv.items(tlv.find(certificate, CERTIFICATE))).get(CERT_SIGNATURE)
    if cert_signature is None:
        return Verification(False, "the card's certificate carries no signature")
    for issuer in issuer_keys:
        try:
            issuer.verify(cert_signature, tlv.encode(BODY, body), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return Verification(True, "signed under a configured J-LIS key")
    return Verification(False, "the card's certificate is not signed by a configured J-LIS key")


def read(
    channel: Channel, key: MyNumberKeyB, issuer_keys: list[rsa.RSAPublicKey], keep_tries: int
) -> CardFace:
    select_application(channel, KENKAKU_AID, "My Number card-face confirmation")
    verify_pin_b(channel, key, keep_tries)
    face_data = read_file(channel, EF_FACE_DATA)
    certificate = read_file(channel, EF_CERTIFICATE)
    face = bytearray(dict(tlv.items(face_data)).get(FACE, b""))
    if not face:
        raise ChipDataError("the card-face data holds no face image")
    return CardFace(face, check_signature(face_data, certificate, issuer_keys))
