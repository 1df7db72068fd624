"""Chip data parsing without a real card: ICAO's worked examples, parsers that never crash, and a
My Number card's files read whole."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import random

import pytest

from chip_cards import documents
from chip_cards.mynumber_cards import card_key, issuer_key, issuer_pem
from faces import astronaut
from madoguchi.chip import ChipDataError, ChipReader, MrzKey, tlv
from madoguchi.chip.apdu import command, tries_left
from madoguchi.chip.bac import check_digit
from madoguchi.chip.biometric import face_image
from madoguchi.chip.emulator import MyNumberCard, chip_face, personalise
from madoguchi.chip.mynumber import EF_FACE_DATA, SIGNATURE, MyNumberKeyB
from madoguchi.chip.passive import parse_sod, verify
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
