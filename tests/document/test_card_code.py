"""照合番号B from the card face: era dates, the checks on the dates, and Tesseract on synthetic
My Number card fronts (sure reads, and unsure ones refused, never a wrong code)."""

from __future__ import annotations

from datetime import date

import cv2
import numpy as np
import pytest

from madoguchi.document.card_code import (
    CardCodeRead,
    CardCodeReader,
    FieldRead,
    birth_problem,
    dates_agree,
    expiry_problem,
)
from madoguchi.document.ocr import OcrUnavailable
from madoguchi.document.wareki import NotADate, parse_printed_date, to_era, to_western
from madoguchi.synthetic.card_faces import FONTS, card_scan, nth_birthday_after

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "western"),
    [
        ("平成", 31, 4, 30, date(2019, 4, 30)),  # the last day of 平成
        ("令和", 1, 5, 1, date(2019, 5, 1)),  # 令和元年, its first day
        ("昭和", 64, 1, 7, date(1989, 1, 7)),  # the last day of 昭和
        ("平成", 1, 1, 8, date(1989, 1, 8)),  # 平成元年, its first day
        ("昭和", 1, 12, 25, date(1926, 12, 25)),
        ("大正", 15, 12, 24, date(1926, 12, 24)),
        ("大正", 1, 7, 30, date(1912, 7, 30)),
        ("明治", 45, 7, 29, date(1912, 7, 29)),
        ("平成", 12, 2, 29, date(2000, 2, 29)),
        ("令和", 8, 6, 1, date(2026, 6, 1)),
    ],
)
def test_era_dates_convert_at_the_boundaries(era, year, month, day, western):
    assert to_western(era, year, month, day) == western
    assert to_era(western) == (era, year)


@pytest.mark.parametrize(
    ("era", "year", "month", "day", "problem"),
    [
        ("平成", 31, 5, 1, "outside_era"),  # 令和元年5月1日
        ("令和", 1, 4, 30, "outside_era"),  # still 平成31年
        ("昭和", 64, 1, 8, "outside_era"),  # 平成元年1月8日
        ("平成", 1, 1, 7, "outside_era"),  # still 昭和64年
        ("大正", 15, 12, 25, "outside_era"),
        ("昭和", 0, 5, 5, "outside_era"),
        ("平成", 2, 2, 30, "not_a_date"),
        ("平成", 3, 2, 29, "not_a_date"),  # 1991 is a common year
        ("令和", 3, 13, 1, "not_a_date"),
        ("令和", 3, 4, 31, "not_a_date"),
        ("寛永", 3, 4, 1, "unknown_era"),
    ],
)
def test_days_that_do_not_exist_or_lie_outside_their_era_are_refused(era, year, month, day, problem):
    with pytest.raises(NotADate) as refused:
        to_western(era, year, month, day)
    assert refused.value.problem == problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("平成元年 3月31日生", (date(1989, 3, 31), True)),
        ("令 和 8 年 2 月 24 日 生", (date(2026, 2, 24), True)),  # as Tesseract spaces it
        ("昭和64年1月 7日生", (date(1989, 1, 7), True)),
        ("1985年 3月31日生", (date(1985, 3, 31), False)),  # a foreign resident's, Western
        ("2035年 3月31日まで有効", (date(2035, 3, 31), False)),
    ],
)
def test_printed_dates_parse(text, expected):
    assert parse_printed_date(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"), [("氏名 番号花子", "not_found"), ("85年3月31日生", "not_a_date")]
)
def test_printed_text_that_is_no_date_is_refused(text, problem):
    with pytest.raises(NotADate) as refused:
        parse_printed_date(text)
    assert refused.value.problem == problem


def test_the_dates_are_checked_against_today_and_each_other():
    assert birth_problem(date(2026, 6, 2), TODAY) == "in_future"
    assert birth_problem(date(1900, 1, 1), TODAY) == "implausible"
    assert birth_problem(date(1926, 12, 25), TODAY) is None
    assert expiry_problem(date(2025, 12, 31), TODAY) == "implausible"  # expired last year
    assert expiry_problem(date(2037, 1, 1), TODAY) == "implausible"  # past any card's 10 years
    assert expiry_problem(date(2036, 6, 1), TODAY) is None
    adult = date(1980, 6, 7)
    assert dates_agree(adult, date(2036, 6, 7), national=True, today=TODAY)
    assert not dates_agree(adult, date(2036, 6, 8), national=True, today=TODAY)  # not the birthday
    assert dates_agree(adult, date(2031, 1, 31), national=False, today=TODAY)  # a residence period
    child = date(2018, 9, 1)
    assert dates_agree(child, date(2031, 9, 1), national=True, today=TODAY)  # 5th birthday
    assert not dates_agree(child, date(2035, 9, 1), national=True, today=TODAY)  # 10 years: adults only
    leap = date(2004, 2, 29)
    assert dates_agree(leap, date(2035, 2, 28), national=True, today=TODAY)
    assert nth_birthday_after(leap, date(2026, 5, 1), 10) == date(2036, 2, 29)
    assert nth_birthday_after(leap, date(2025, 5, 1), 10) == date(2035, 2, 28)  # a common year


def test_a_read_never_shows_its_digits_and_wipes_them():
    read = CardCodeRead(
        (
            FieldRead("birth_date", None, 93.0),
            FieldRead("expiry", None, 91.0),
            FieldRead("security_code", None, 96),
        ),
        bytearray(b"80010120341234"),
    )
    assert read.sure and read.unsure == ()
    assert "8001" not in repr(read) and "1234" not in repr(read)
    with read:
        pass
    assert read.digits == bytearray(14)


# --- Tesseract on synthetic card fronts ------------------------------------------------------------


@pytest.fixture(scope="module")
def reader():
    if not all(path.is_file() for path, _ in FONTS.values()):
        pytest.skip("the card fronts are printed with fonts-ipaexfont, fonts-noto-cjk and fonts-vlgothic")
    try:
        with CardCodeReader(today=lambda: TODAY) as opened:
            yield opened
    except OcrUnavailable as error:
        pytest.skip(f"no Tesseract: {error}")


@pytest.mark.parametrize(
    "seed",
    [
        4,  # 昭和, 300 dpi
        18,  # 200 dpi
        29,  # a foreign resident: the birth date printed in the Western calendar, 400 dpi
        38,  # 大正, 600 dpi
    ],
)
def test_a_clear_card_face_gives_the_code_for_staff_to_confirm(reader, seed):
    page, card = card_scan("gothic", seed, today=TODAY)
    with reader.read(page, dpi=card.conditions.dpi) as read:
        assert read.sure, read
        assert bytes(read.digits) == card.holder.key_b.encode()
    assert read.digits == bytearray(14)


def test_a_blurred_face_is_refused_never_guessed(reader):
    page, card = card_scan("gothic", 4, today=TODAY)
    blurred = cv2.GaussianBlur(page, (0, 0), 4.0)
    with reader.read(blurred, dpi=card.conditions.dpi) as read:
        assert not read.sure
        truth = card.holder.key_b.encode()
        start = 0
        for field, length in zip(read.fields, (6, 4, 4), strict=True):
            shown = bytes(read.digits[start : start + length])
            # a field that passed is right; one that did not is blank, never a guess
            assert shown == (truth[start : start + length] if field.passed else b"_" * length), field
            start += length


def test_a_card_whose_dates_do_not_fit_today_is_refused(reader):
    page, card = card_scan("gothic", 4, today=TODAY)
    later = CardCodeReader(today=lambda: date(2047, 1, 1))  # the card expired years ago
    try:
        with later.read(page, dpi=card.conditions.dpi) as read:
            assert not read.sure
            assert dict((f.name, f.problem) for f in read.fields)["expiry"] == "implausible"
            assert read.digits[6:10] == bytearray(b"____")
    finally:
        later.close()


def test_a_page_without_a_card_is_refused(reader):
    blank = np.full((1000, 1200, 3), 240, np.uint8)
    with reader.read(blank, dpi=300) as read:
        assert not read.sure
        assert {f.problem for f in read.fields} == {"card_not_found"}
        assert read.digits == bytearray(b"_" * 14)


@pytest.mark.parametrize(
    ("page", "dpi"),
    [
        (np.random.default_rng(1).integers(0, 256, (900, 1200, 3), dtype=np.uint8), 300),  # noise
        (np.zeros((40, 40), np.uint8), 300),  # a tiny grey page
        (np.full((600, 800, 3), 200, np.uint8), 40),  # below any scanner's resolution
        (np.full((600, 800, 3), 200, np.uint8), 100_000),
    ],
)
def test_no_page_crashes_the_reader(reader, page, dpi):
    with reader.read(page, dpi=dpi) as read:
        assert not read.sure
