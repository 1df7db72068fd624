"""Residence card (在留カード) on the real PC/SC stack, against our emulator on vpcd."""

from __future__ import annotations

import numpy as np
import pytest

from chip_cards import fixtures, stack
from chip_cards.mynumber_cards import mynumber_card
from faces import astronaut
from madoguchi.chip import CardRemoved, ChipReader, ResidenceCardKey, UnsupportedCard, WrongAccessCode, tlv
from madoguchi.chip.emulator import chip_face

cards, pcscd = fixtures.cards, fixtures.pcscd
KEY = ResidenceCardKey("AB12345678CD")
FACE = np.ascontiguousarray(astronaut()[20:220, 150:330])


def residence_card(number: str = "AB12345678CD") -> dict:
    photo = tlv.encode(0xD1, chip_face(FACE, (180, 200), rate=12.0, grey=False))
    return {"kind": "residence", "number": number, "photo": photo.hex()}


def test_reads_the_photo_with_the_card_number(cards):
    cards.append(stack.start_mynumber(residence_card()))
    photo = ChipReader(stack.READER).read_photo(KEY)
    assert photo.document == "residence" and photo.verified is None
    assert photo.image.shape == (200, 180, 3)
    assert np.abs(photo.image.astype(int) - FACE).mean() < 12


def test_wrong_card_number_is_refused_once(cards):
    cards.append(stack.start_mynumber(residence_card()))
    reader = ChipReader(stack.READER)
    wrong = ResidenceCardKey("AB12345679CD")
    with pytest.raises(WrongAccessCode):
        reader.read_photo(wrong)
    with pytest.raises(WrongAccessCode, match="not sent again"):
        reader.read_photo(wrong)


def test_torn_read(cards):
    cards.append(stack.start_mynumber(residence_card(), "--tear-after", "1"))
    with pytest.raises(CardRemoved):
        ChipReader(stack.READER).read_photo(KEY)


def test_my_number_card_is_not_a_residence_card(cards):
    cards.append(stack.start_mynumber(mynumber_card()))
    with pytest.raises(UnsupportedCard):
        ChipReader(stack.READER).read_photo(KEY)


def test_card_number_format_is_checked():
    with pytest.raises(ValueError):
        ResidenceCardKey("1234")
