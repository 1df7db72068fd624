"""Passive authentication of an eMRTD (ICAO Doc 9303 part 11 §5.1; SOD format part 10 §4.6.2).

EF.SOD is a CMS SignedData (RFC 5652 §5) whose content is an LDSSecurityObject: the hash of every
data group. We check, in this order: each data group read against its hash; the signer's signature
over the signed attributes and their messageDigest against the LDSSecurityObject; and, when CSCA
certificates are configured, the Document Signer certificate against a CSCA (the chain of part 12).
Any failure is a result (verified False with the reason), never an exception: staff decide. The
SOD comes from the chip, so everything in it is parsed bounded (:mod:`.tlv`, :func:`oid`) and every
error a library raises on it is translated at one edge (:func:`.errors.bad_data`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from madoguchi.chip import tlv
from madoguchi.chip.errors import FOREIGN_ERRORS, ChipDataError, bad_data

HASHES = {
    "1.3.14.3.2.26": hashes.SHA1,
    "2.16.840.1.101.3.4.2.4": hashes.SHA224,
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}
RSA_PSS = "1.2.840.113549.1.1.10"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SEQUENCE, SET, OID, OCTETS, INTEGER = 0x30, 0x31, 0x06, 0x04, 0x02
MAX_OID_BYTES = 64
"""The longest OBJECT IDENTIFIER content read; the algorithms and attributes of a SOD take under 12."""


@dataclass(frozen=True)
class Verification:
    """``verified``: True (hashes, signature and CSCA chain hold), False (something does not), None
    (hashes and signature hold but no CSCA is configured to say who signed)."""

    verified: bool | None
    detail: str


def oid(value: bytes) -> str:
    """Dotted form of a DER OBJECT IDENTIFIER's content (X.690 §8.19); ChipDataError unless it is
    one: empty, longer than MAX_OID_BYTES, a subidentifier not minimally encoded or cut short."""
    if not value or len(value) > MAX_OID_BYTES:
        raise ChipDataError(f"OID of {len(value)} bytes")
    numbers = []
    number = 0
    for index, byte in enumerate(value):
        if byte == 0x80 and (index == 0 or not value[index - 1] & 0x80):
            raise ChipDataError("OID subidentifier not minimally encoded")
        number = (number << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(number)
            number = 0
    if value[-1] & 0x80:
        raise ChipDataError("OID cut short")
    first = numbers[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2), *numbers[1:]]
    return ".".join(map(str, arcs))


def _children(value: bytes) -> list[tuple[int, bytes]]:
    return list(tlv.items(value))


def _algorithm(identifier: bytes) -> str:
    return oid(tlv.find(identifier, OID))


@dataclass(frozen=True)
class SignedObject:
    """The parts of EF.SOD we check."""

    hash_name: str
    group_hashes: dict[int, bytes]
    econtent: bytes
    digest_name: str
    signed_attrs: bytes | None
    signature_algorithm: str
    signature: bytes
    certificates: list[x509.Certificate]


def parse_sod(sod: bytes) -> SignedObject:
    """EF.SOD ('77' wrapping a ContentInfo) taken apart; ChipDataError when malformed."""
    with bad_data("its structure"):
        content_info = tlv.find(sod, 0x77, SEQUENCE)
        signed_data = _children(tlv.find(content_info, 0xA0, SEQUENCE))
        encap = dict(_children(signed_data[2][1]))
        econtent = tlv.find(encap[0xA0], OCTETS)
        certificates = []
        signer_infos = None
        for tag, value in signed_data[3:]:
            if tag == 0xA0:
                with bad_data("the Document Signer certificate"):
                    certificates = [
                        x509.load_der_x509_certificate(tlv.encode(SEQUENCE, cert))
                        for _, cert in tlv.items(value)
                    ]
            elif tag == SET:
                signer_infos = value
        if signer_infos is None:
            raise ChipDataError("no signerInfos")
        signer = _children(tlv.find(signer_infos, SEQUENCE))
        position = 3
        signed_attrs = None
        if signer[position][0] == 0xA0:
            signed_attrs = tlv.encode(SET, signer[position][1])  # signed as a SET OF (RFC 5652 §5.4)
            position += 1
        security_object = _children(tlv.find(econtent, SEQUENCE))
        group_hashes = {}
        for _, pair in tlv.items(security_object[2][1]):
            number, digest = _children(pair)
            group_hashes[int.from_bytes(number[1], "big")] = digest[1]
        return SignedObject(
            hash_name=_algorithm(security_object[1][1]),
            group_hashes=group_hashes,
            econtent=econtent,
            digest_name=_algorithm(signer[2][1]),
            signed_attrs=signed_attrs,
            signature_algorithm=_algorithm(signer[position][1]),
            signature=signer[position + 1][1],
            certificates=certificates,
        )


def _hash(name: str) -> hashes.HashAlgorithm:
    if name not in HASHES:
        raise ChipDataError(f"unknown hash algorithm {name}")
    return HASHES[name]()


def _digest(name: str, data: bytes) -> bytes:
    hasher = hashes.Hash(_hash(name))
    hasher.update(data)
    return hasher.finalize()


def _message_digest(signed_attrs: bytes) -> bytes:
    for _, attribute in tlv.items(tlv.find(signed_attrs, SET)):
        kind, values, *_ = _children(attribute)
        if oid(kind[1]) == MESSAGE_DIGEST:
            return tlv.find(values[1], OCTETS)
    raise ChipDataError("no messageDigest attribute")


def _verify_signature(signed: SignedObject, certificate: x509.Certificate) -> None:
    """InvalidSignature unless the signer's key signed the signed attributes (or the content)."""
    data = signed.signed_attrs if signed.signed_attrs is not None else signed.econtent
    algorithm = _hash(signed.digest_name)
    with bad_data("the Document Signer's public key"):
        key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        scheme = (
            padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
            if signed.signature_algorithm == RSA_PSS
            else padding.PKCS1v15()
        )
        key.verify(signed.signature, data, scheme, algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signed.signature, data, ec.ECDSA(algorithm))
    else:
        raise ChipDataError("unsupported signer key type")


def load_cscas(directory: Path) -> list[x509.Certificate]:
    """Every certificate (PEM or DER: .pem .crt .cer .der) in ``directory``."""
    certificates = []
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() not in {".pem", ".crt", ".cer", ".der"}:
            continue
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            certificates += x509.load_pem_x509_certificates(data)
        else:
            certificates.append(x509.load_der_x509_certificate(data))
    return certificates


def verify(sod: bytes, groups: dict[int, bytes], cscas: list[x509.Certificate] | None) -> Verification:
    """Passive authentication of the data groups read (number → file content): always a result."""
    try:
        with bad_data("its content"):
            return _verify(sod, groups, cscas or [])
    except ChipDataError as error:
        return Verification(False, f"SOD: {error}")


def _verify(sod: bytes, groups: dict[int, bytes], cscas: list[x509.Certificate]) -> Verification:
    try:
        signed = parse_sod(sod)
        for number, content in sorted(groups.items()):
            expected = signed.group_hashes.get(number)
            if expected is None:
                return Verification(False, f"DG{number} is not listed in the SOD")
            if not hmac.compare_digest(_digest(signed.hash_name, content), expected):
                return Verification(False, f"DG{number} does not match its hash in the SOD")
        if signed.signed_attrs is not None and not hmac.compare_digest(
            _message_digest(signed.signed_attrs), _digest(signed.digest_name, signed.econtent)
        ):
            return Verification(False, "the SOD's messageDigest does not match its content")
        if not signed.certificates:
            return Verification(False, "the SOD carries no Document Signer certificate")
        signer = signed.certificates[0]
        _verify_signature(signed, signer)
    except InvalidSignature:
        return Verification(False, "the SOD signature does not verify with its Document Signer certificate")
    if not cscas:
        return Verification(None, "data groups match the signed SOD; issuer not checked (no CSCA configured)")
    issuer = signer.issuer
    for csca in cscas:
        if csca.subject != issuer:
            continue
        try:
            signer.verify_directly_issued_by(csca)
        except (InvalidSignature, *FOREIGN_ERRORS):
            continue
        return Verification(True, f"signed by a Document Signer of {csca.subject.rfc4514_string()}")
    return Verification(False, "the Document Signer certificate is not issued by a configured CSCA")
