"""Build the files of test eMRTDs: EF.COM, DG1, DG2 (ISO/IEC 19794-5 facial record), and an EF.SOD
signed by a test Document Signer under a test CSCA (Doc 9303 part 10 §4.6.2, part 12); and the
broken Document Signer certificates of issue 22 (an invalid key point, a bad version)."""

from __future__ import annotations

import datetime
import hashlib
import io

import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from PIL import Image

from madoguchi.chip.bac import MrzKey, check_digit
from madoguchi.chip.tlv import encode

SHA256 = bytes.fromhex("0609608648016503040201")  # OID 2.16.840.1.101.3.4.2.1
LDS_SECURITY_OBJECT = bytes.fromhex("0606678108010101")  # 2.23.136.1.1.1
SIGNED_DATA = bytes.fromhex("06092A864886F70D010702")
CONTENT_TYPE = bytes.fromhex("06092A864886F70D010903")
MESSAGE_DIGEST = bytes.fromhex("06092A864886F70D010904")
ECDSA_SHA256 = bytes.fromhex("06082A8648CE3D040302")
RSA_SHA256 = bytes.fromhex("06092A864886F70D01010B")
RSA_PSS = bytes.fromhex("06092A864886F70D01010A")
SIGNERS = ("ec", "rsa", "rsa-pss")


def td3_mrz(key: MrzKey, surname: str = "SATO", given: str = "HANAKO") -> str:
    """A passport's two-line MRZ (Doc 9303 part 4 §4.2.2) for ``key``."""
    line1 = f"P<JPN{surname}<<{given}".ljust(44, "<")[:44]
    number = key.document_number.ljust(9, "<")
    optional = "<" * 14
    body = (
        number
        + check_digit(number)
        + "JPN"
        + key.birth_date
        + check_digit(key.birth_date)
        + "F"
        + key.expiry_date
        + check_digit(key.expiry_date)
        + optional
        + check_digit(optional)
    )
    composite = body[0:10] + body[13:20] + body[21:43]
    return line1 + body + check_digit(composite)


def ef_com() -> bytes:
    return encode(0x60, encode(0x5F01, b"0107") + encode(0x5F36, b"040000") + encode(0x5C, b"\x61\x75"))


def dg1(mrz: str) -> bytes:
    return encode(0x61, encode(0x5F1F, mrz.encode()))


def encoded_face(face: np.ndarray, kind: str, quality: int = 85) -> bytes:
    """``face`` (RGB array) as JPEG or JPEG 2000 bytes, in memory."""
    out = io.BytesIO()
    image = Image.fromarray(face)
    if kind == "jpeg":
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "JPEG2000", quality_mode="rates", quality_layers=[20])
    return out.getvalue()


def dg2(image: bytes, width: int, height: int, jpeg2000: bool) -> bytes:
    """DG2 with one ISO/IEC 19794-5:2005 facial record (no feature points)."""
    facial_info = (len(image) + 32).to_bytes(4, "big") + bytes(2) + bytes(14)
    image_info = (
        bytes([1, 1 if jpeg2000 else 0]) + width.to_bytes(2, "big") + height.to_bytes(2, "big") + bytes(6)
    )
    record_length = 14 + len(facial_info) + len(image_info) + len(image)
    record = b"FAC\x00010\x00" + record_length.to_bytes(4, "big") + (1).to_bytes(2, "big")
    record += facial_info + image_info + image
    header = encode(0xA1, encode(0x80, b"\x01\x01") + encode(0x87, b"\x01\x01") + encode(0x88, b"\x00\x08"))
    template = encode(0x7F60, header + encode(0x5F2E, record))
    return encode(0x75, encode(0x7F61, encode(0x02, b"\x01") + template))


def _name(common: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"), x509.NameAttribute(NameOID.COMMON_NAME, common)]
    )


def _certificate(subject: str, key, issuer: str, signer) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(signer, hashes.SHA256())
    )


class TestPki:
    """A CSCA and a Document Signer it issued: ECDSA P-256, or with ``signer`` "rsa" / "rsa-pss" an
    RSA-2048 Document Signer signing with PKCS#1 v1.5 or PSS."""

    def __init__(self, country: str = "Test CSCA", signer: str = "ec") -> None:
        self.signer = signer
        self.csca_key = ec.generate_private_key(ec.SECP256R1())
        self.csca = _certificate(country, self.csca_key, country, self.csca_key)
        self.ds_key = (
            ec.generate_private_key(ec.SECP256R1())
            if signer == "ec"
            else rsa.generate_private_key(65537, 2048)
        )
        self.ds = _certificate("Test DS", self.ds_key, country, self.csca_key)

    def csca_pem(self) -> bytes:
        return self.csca.public_bytes(serialization.Encoding.PEM)

    def ds_der(self) -> bytes:
        return self.ds.public_bytes(serialization.Encoding.DER)

    def _sign(self, data: bytes) -> tuple[bytes, bytes]:
        """The signature over ``data`` and its algorithm identifier's OID."""
        if self.signer == "ec":
            return self.ds_key.sign(data, ec.ECDSA(hashes.SHA256())), ECDSA_SHA256
        if self.signer == "rsa":
            return self.ds_key.sign(data, padding.PKCS1v15(), hashes.SHA256()), RSA_SHA256
        pss = padding.PSS(padding.MGF1(hashes.SHA256()), hashes.SHA256.digest_size)
        return self.ds_key.sign(data, pss, hashes.SHA256()), RSA_PSS

    def sod(self, groups: dict[int, bytes], *, ds_der: bytes | None = None) -> bytes:
        """EF.SOD over ``groups``, carrying ``ds_der`` instead of the Document Signer's certificate."""
        hashes_seq = b"".join(
            encode(0x30, encode(0x02, bytes([number])) + encode(0x04, hashlib.sha256(content).digest()))
            for number, content in sorted(groups.items())
        )
        security_object = encode(
            0x30, encode(0x02, b"\x00") + encode(0x30, SHA256) + encode(0x30, hashes_seq)
        )
        attributes = encode(0x30, CONTENT_TYPE + encode(0x31, LDS_SECURITY_OBJECT)) + encode(
            0x30, MESSAGE_DIGEST + encode(0x31, encode(0x04, hashlib.sha256(security_object).digest()))
        )
        signature, algorithm = self._sign(encode(0x31, attributes))
        ds_der = self.ds_der() if ds_der is None else ds_der
        issuer_serial = encode(
            0x30, self.ds.issuer.public_bytes() + encode(0x02, _integer(self.ds.serial_number))
        )
        signer_info = encode(
            0x30,
            encode(0x02, b"\x01")
            + issuer_serial
            + encode(0x30, SHA256)
            + encode(0xA0, attributes)
            + encode(0x30, algorithm)
            + encode(0x04, signature),
        )
        encap = encode(0x30, LDS_SECURITY_OBJECT + encode(0xA0, encode(0x04, security_object)))
        signed_data = encode(
            0x30,
            encode(0x02, b"\x03")
            + encode(0x31, encode(0x30, SHA256))
            + encap
            + encode(0xA0, ds_der)
            + encode(0x31, signer_info),
        )
        return encode(0x77, encode(0x30, SIGNED_DATA + encode(0xA0, signed_data)))


def _integer(value: int) -> bytes:
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def with_invalid_point(certificate_der: bytes) -> bytes:
    """An EC certificate whose public key is the point (0, 0), which is on no curve."""
    public = x509.load_der_x509_certificate(certificate_der).public_key()
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return certificate_der.replace(point, b"\x04" + bytes(len(point) - 1))


def with_version(certificate_der: bytes, version: int) -> bytes:
    """The certificate with its version field ([0] INTEGER, 2 for v3) set to ``version``."""
    v3 = bytes.fromhex("A003020102")
    assert v3 in certificate_der
    return certificate_der.replace(v3, bytes.fromhex("A0030201") + bytes([version]), 1)
