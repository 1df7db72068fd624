"""Chip data parsing without a real card: ICAO's worked examples, parsers that never crash, and a
My Number card's files read whole."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import random

import pytest

import chip_inputs
from chip_cards import documents
from chip_cards.mynumber_cards import card_key, issuer_key, issuer_pem
from faces import astronaut
from madoguchi.chip import ChipDataError, ChipReader, MrzKey, tlv
from madoguchi.chip.apdu import command, tries_left
from madoguchi.chip.bac import check_digit
from madoguchi.chip.biometric import face_image
from madoguchi.chip.emulator import MyNumberCard, chip_face, personalise
from madoguchi.chip.mynumber import (
    BODY,
    CERTIFICATE,
    EF_CERTIFICATE,
    EF_FACE_DATA,
    SIGNATURE,
    MyNumberKeyB,
    check_signature,
)
from madoguchi.chip.passive import oid, parse_sod, verify
from madoguchi.chip.securemessaging import derive_key, retail_mac, unpad
from madoguchi.chip.simulated import EmulatedDesk


def test_check_digits_and_keys_match_doc_9303_worked_example():
    # Doc 9303 part 11 appendix D.2: document L898902C<, born 690806, expires 940623
    key = MrzKey("L898902C", "690806", "940623")
    assert key.information() == b"L898902C<369080619406236"
    seed = hashlib.sha1(key.information()).digest()[:16]
    assert seed.hex().upper() == "239AB9CB282DAF66231DC5A4DF6BFBAE"
    assert derive_key(seed, 1).hex().upper() == "AB94FCEDF2664EDFB9B291F85D7F77F2"
    assert derive_key(seed, 2).hex().upper() == "7862D9ECE03C1BCD4D77089DCF131442"
    assert check_digit("<<<<<<<<<<<<<<") == "0"


def test_retail_mac_of_doc_9303_worked_example():
    # Doc 9303 part 11 appendix D.3: EXTERNAL AUTHENTICATE cryptogram and its MAC
    k_mac = bytes.fromhex("7962D9ECE03D1ACD4C76089DCE131543")
    e_ifd = bytes.fromhex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
    padded = e_ifd + b"\x80" + bytes(7)
    assert retail_mac(k_mac, padded).hex().upper() == "5F1448EEA8AD90A7"


def test_mrz_key_is_validated_and_never_printed():
    with pytest.raises(ValueError):
        MrzKey("TR123456", "19800101", "300101")
    assert "TR123456" not in repr(MrzKey("TR123456", "800101", "300101"))


def test_apdu_encoding_short_and_extended():
    assert command(0x00, 0xB0, 0, 0, le=256) == bytes.fromhex("00B0000000")
    assert command(0x00, 0xB0, 0, 0, le=1000) == bytes.fromhex("00B00000" + "0003E8")
    assert command(0x00, 0xD6, 0, 0, bytes(300))[:7] == bytes.fromhex("00D60000" + "00012C")
    assert tries_left(0x63C3) == 3 and tries_left(0x9000) is None


def test_tlv_round_trip_and_long_lengths():
    value = bytes(range(256)) * 3
    encoded = tlv.encode(0x5F2E, value)
    assert encoded[:5] == bytes.fromhex("5F2E820300")
    assert tlv.find(tlv.encode(0x75, encoded), 0x75, 0x5F2E) == value


@pytest.mark.parametrize("seed", range(200))
def test_parsers_raise_only_chip_data_errors_on_garbage(seed):
    rng = random.Random(seed)
    genuine = documents.dg2(b"\xff\xd8\xff" + bytes(50), 10, 10, jpeg2000=False)
    garbage = bytearray(genuine if seed % 2 else rng.randbytes(rng.randrange(1, 200)))
    for _ in range(rng.randrange(1, 8)):
        garbage[rng.randrange(len(garbage))] = rng.randrange(256)
    for parse in (lambda data: list(tlv.items(data)), face_image, parse_sod):
        with contextlib.suppress(ChipDataError):
            parse(bytes(garbage))
    assert verify(bytes(garbage), {2: genuine}, None).verified is False


def test_unpad_refuses_bad_padding():
    with pytest.raises(ChipDataError):
        unpad(bytes(8))


def test_a_signature_ending_in_ff_is_not_taken_for_padding(tmp_path):
    """EF '0002' ends in FF padding after the signature; a signature that itself ends in FF (one card
    in 256) once read short, so the whole card was refused as unreadable."""
    face = chip_face(astronaut()[20:220, 150:330])
    for year, month, day in itertools.product(range(100), range(1, 13), range(1, 29)):
        key = MyNumberKeyB(f"{year:02d}{month:02d}{day:02d}", "2034", "1234")
        files = personalise(face, key.birth_date, "20340101", issuer_key(), card_key())
        if dict(tlv.items(files[EF_FACE_DATA]))[SIGNATURE].endswith(b"\xff"):
            break
    else:
        pytest.fail("no birth date gives a signature ending in FF")  # (255/256)^33600: never
    desk = EmulatedDesk()
    desk.tap(MyNumberCard(files=files, pin=key.code()))
    (tmp_path / "jlis.pem").write_bytes(issuer_pem())
    photo = ChipReader(desk.name, jlis_keys=tmp_path / "jlis.pem", transport=desk).read_photo(key)
    assert photo.verified is True, photo.detail


# --- issue 22: a broken chip is "not verified", never an exception ---


@pytest.fixture(scope="module")
def passport():
    pki = documents.TestPki()
    dg1 = documents.dg1(documents.td3_mrz(MrzKey("TR123456", "800101", "300101")))
    dg2 = documents.dg2(b"\xff\xd8\xff" + bytes(50), 10, 10, jpeg2000=False)
    return pki, {1: dg1, 2: dg2}


def test_an_oversized_object_identifier_is_bad_data():
    with pytest.raises(ChipDataError, match="OID of 5002 bytes"):
        oid(b"\x2a" + b"\xa0" * 5000 + b"\x01")  # was a ValueError from int's 4300-digit limit
    for content in (b"", b"\x2a\x86", b"\x2a\x80\x01", b"\x80\x01"):
        with pytest.raises(ChipDataError):
            oid(content)
    assert oid(bytes.fromhex("2A864886F70D010904")) == "1.2.840.113549.1.9.4"
    assert oid(bytes.fromhex("8837")) == "2.999"
    assert oid(bytes.fromhex("608648016503040201")) == "2.16.840.1.101.3.4.2.1"


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(documents.with_invalid_point, id="invalid-ec-point"),
        pytest.param(lambda der: documents.with_version(der, 7), id="bad-version"),
    ],
)
def test_a_broken_document_signer_certificate_is_not_verified(passport, broken):
    pki, groups = passport
    sod = pki.sod(groups, ds_der=broken(pki.ds_der()))
    for cscas in (None, [pki.csca]):
        result = verify(sod, groups, cscas)
        assert result.verified is False and "Document Signer" in result.detail, result.detail


def test_an_oversized_object_identifier_in_the_sod_is_not_verified(passport):
    pki, groups = passport
    sod = pki.sod(groups)
    message_digest = bytes.fromhex("06092A864886F70D010904")
    assert message_digest in sod
    huge = tlv.encode(0x06, b"\x2a" + b"\xa0" * 5000 + b"\x01")
    nodes = chip_inputs.tree(sod)  # re-encoded, so every length around the OID grows with it
    for node in _every_node(nodes):
        if node.tag == 0x06 and tlv.encode(0x06, node.value) == message_digest:
            node.value = huge[4:]
    damaged = chip_inputs.encode(nodes)
    assert huge in damaged
    result = verify(damaged, groups, [pki.csca])
    assert result.verified is False and "OID" in result.detail, result.detail


def _every_node(nodes):
    for node in nodes:
        yield node
        yield from _every_node(node.children or [])


def test_an_ap_certificate_without_its_signature_is_not_verified():
    face = chip_face(astronaut()[20:220, 150:330], (48, 64))
    files = personalise(face, "800101", "20340101", issuer_key(), card_key())
    certificate = files[EF_CERTIFICATE]
    body = tlv.find(certificate, CERTIFICATE, BODY)
    unsigned = tlv.encode(CERTIFICATE, tlv.encode(BODY, body))
    issuer = issuer_key().public_key()
    result = check_signature(files[EF_FACE_DATA], unsigned, [issuer])
    assert result.verified is False and "no signature" in result.detail
    # without J-LIS keys the certificate's signature is not needed: the card-face data still checks
    assert check_signature(files[EF_FACE_DATA], unsigned, []).verified is None
    assert check_signature(files[EF_FACE_DATA], b"\x7f\x21\x00", [issuer]).verified is False


def test_a_my_number_card_with_a_broken_certificate_is_read_and_not_verified(tmp_path):
    """The counter's path: ChipReader gives the photo with verified False, not an exception."""
    key = MyNumberKeyB("800101", "2034", "1234")
    face = chip_face(astronaut()[20:220, 150:330])
    files = personalise(face, key.birth_date, "20340101", issuer_key(), card_key())
    body = tlv.find(files[EF_CERTIFICATE], CERTIFICATE, BODY)
    files[EF_CERTIFICATE] = tlv.encode(CERTIFICATE, tlv.encode(BODY, body))
    desk = EmulatedDesk()
    desk.tap(MyNumberCard(files=files, pin=key.code()))
    (tmp_path / "jlis.pem").write_bytes(issuer_pem())
    photo = ChipReader(desk.name, jlis_keys=tmp_path / "jlis.pem", transport=desk).read_photo(key)
    assert photo.verified is False and "no signature" in photo.detail
    assert photo.image.shape == (256, 192, 3)


def test_a_run_of_empty_objects_and_padding():
    assert list(tlv.items(b"\x04\x00" * 3 + b"\x00\xff\x00")) == [(4, b"")] * 3
    assert list(tlv.items(b"\x04\x02\x00\xff")) == [(4, b"\x00\xff")]  # a value ending like padding
    assert list(tlv.items(memoryview(b"\x04\x01\x07\xff\xff"))) == [(4, b"\x07")]
