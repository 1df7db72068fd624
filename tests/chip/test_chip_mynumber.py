"""My Number card 券面事項確認AP on the real PC/SC stack, against our emulator on vpcd."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from chip_cards import fixtures, stack
from chip_cards.mynumber_cards import KEY_B, issuer_pem, mynumber_card
from faces import LFW, astronaut
from madoguchi.chip import AccessLocked, CardRemoved, ChipReader, MrzKey, UnsupportedCard, WrongAccessCode
from madoguchi.chip.emulator import FACE_SIZE
from madoguchi.chip.mynumber import MyNumberKeyB, TooFewTries

cards, pcscd = fixtures.cards, fixtures.pcscd
WRONG = MyNumberKeyB("800101", "2034", "9999")


def lfw_face() -> np.ndarray:
    """An LFW face when ../shared is present, else scikit-image's astronaut."""
    people = sorted(LFW.glob("images/*/*.jpg"))[:1] if LFW.exists() else []
    if not people:
        return astronaut()[20:220, 150:330]
    with Image.open(people[0]) as image:
        return np.asarray(image.convert("RGB"))[40:210, 60:190]


@pytest.fixture
def jlis_pem(tmp_path):
    path = tmp_path / "jlis.pem"
    path.write_bytes(issuer_pem())
    return path


def test_reads_the_monochrome_face_and_verifies_it(cards, jlis_pem):
    face = lfw_face()
    cards.append(stack.start_mynumber(mynumber_card(face)))
    photo = ChipReader(stack.READER, jlis_keys=jlis_pem).read_photo(KEY_B)
    assert photo.document == "mynumber"
    assert photo.verified is True, photo.detail
    assert photo.image.shape == (FACE_SIZE[1], FACE_SIZE[0], 3)
    channels = photo.image.astype(int)
    assert np.array_equal(channels[..., 0], channels[..., 1])  # stored monochrome
    grey = np.asarray(Image.fromarray(face).convert("L").resize(FACE_SIZE), dtype=int)
    assert np.abs(channels[..., 0] - grey).mean() < 12


def test_without_a_jlis_key_the_signature_is_checked_but_not_vouched_for(cards):
    cards.append(stack.start_mynumber(mynumber_card()))
    photo = ChipReader(stack.READER).read_photo(KEY_B)
    assert photo.verified is None and "J-LIS" in photo.detail


def test_card_signed_by_another_issuer_does_not_verify(cards, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = tmp_path / "other.pem"
    other.write_bytes(
        rsa.generate_private_key(65537, 2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    cards.append(stack.start_mynumber(mynumber_card()))
    photo = ChipReader(stack.READER, jlis_keys=other).read_photo(KEY_B)
    assert photo.verified is False and photo.image.size


def test_tampered_face_is_shown_as_not_verified(cards, jlis_pem):
    card = mynumber_card()
    genuine = bytes.fromhex(card["files"]["0002"])
    forged = bytes.fromhex(
        mynumber_card(np.ascontiguousarray(astronaut()[250:450, 150:330]))["files"]["0002"]
    )
    forged_face = _object(forged, 0xDF27)
    start = genuine.index(_object(genuine, 0xDF27))
    # keep every other object (and the genuine signature); swap only the face
    card["files"]["0002"] = (
        genuine[:start] + forged_face + genuine[start + len(_object(genuine, 0xDF27)) :]
    ).hex()
    cards.append(stack.start_mynumber(card))
    photo = ChipReader(stack.READER, jlis_keys=jlis_pem).read_photo(KEY_B)
    assert photo.verified is False and "signature" in photo.detail


def _object(data: bytes, tag: int) -> bytes:
    from madoguchi.chip import tlv

    return tlv.encode(tag, tlv.find(data, tag))


def test_wrong_code_counts_down_and_is_never_resent(cards):
    cards.append(stack.start_mynumber(mynumber_card(tries=10)))
    reader = ChipReader(stack.READER)
    with pytest.raises(WrongAccessCode) as first:
        reader.read_photo(WRONG)
    assert first.value.tries_left == 9
    with pytest.raises(WrongAccessCode, match="not sent again"):
        reader.read_photo(WRONG)
    with pytest.raises(WrongAccessCode) as second:  # another code: the card counted only once so far
        reader.read_photo(MyNumberKeyB("800101", "2034", "0000"))
    assert second.value.tries_left == 8
    assert reader.read_photo(KEY_B).image.size  # the right code resets the counter on the card


def test_too_few_tries_left_sends_nothing(cards):
    cards.append(stack.start_mynumber(mynumber_card(tries=2)))
    with pytest.raises(TooFewTries) as refused:
        ChipReader(stack.READER, keep_tries=2).read_photo(KEY_B)  # even the right code is not risked
    assert refused.value.tries_left == 2
    assert refused.value.code == "chip_few_tries"


def test_locked_card(cards):
    cards.append(stack.start_mynumber(mynumber_card(tries=0)))
    with pytest.raises(AccessLocked) as locked:
        ChipReader(stack.READER).read_photo(KEY_B)
    assert not isinstance(locked.value, TooFewTries)


def test_last_wrong_code_locks_only_when_staff_allow_it(cards):
    cards.append(stack.start_mynumber(mynumber_card(tries=1)))
    with pytest.raises(AccessLocked):
        ChipReader(stack.READER, keep_tries=0).read_photo(WRONG)


def test_torn_read(cards):
    cards.append(stack.start_mynumber(mynumber_card(), "--tear-after", "3"))
    with pytest.raises(CardRemoved):
        ChipReader(stack.READER).read_photo(KEY_B)


def test_passport_key_on_a_my_number_card(cards):
    cards.append(stack.start_mynumber(mynumber_card()))
    with pytest.raises(UnsupportedCard):
        ChipReader(stack.READER).read_photo(MrzKey("TR123456", "800101", "300101"))
