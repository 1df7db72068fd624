"""Screens and slips: Japanese text really renders, sizes and modes are right, nothing but words."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from madoguchi.chip.errors import ChipError, WrongAccessCode
from madoguchi.chip.mynumber import TooFewTries
from madoguchi.counter.faults import fault_code
from madoguchi.counter.outcome import TransactionResult
from madoguchi.document.quality import ADVICE
from madoguchi.errors import FaceError, HardwareError, PhotoTooSmall
from madoguchi.ui import screens
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.fonts import FontNotFound, find_font, load_font, wrap
from madoguchi.ui.messages import action, say
from madoguchi.ui.slip import render_slip

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # has no CJK glyphs

SCORED = TransactionResult(
    number=42, time=datetime(2026, 11, 25, 9, 41, 5), mode="card", threshold=60, code="scored", score=72.6
)
FAULT = TransactionResult(
    number=43, time=datetime(2026, 11, 25, 9, 42, 0), mode="form", threshold=60, code="no_face_live"
)


def test_japanese_glyphs_render_unlike_a_font_without_them():
    def drawn(font) -> np.ndarray:
        image = Image.new("L", (200, 40), 255)
        ImageDraw.Draw(image).text((0, 0), "基準以上", font=font, fill=0)
        return np.asarray(image)

    japanese = drawn(load_font(find_font(), 24))
    assert (japanese < 128).sum() > 100
    if DEJAVU.is_file():  # DejaVu draws the same four characters as identical "missing glyph" boxes
        assert not np.array_equal(japanese, drawn(ImageFont.truetype(str(DEJAVU), 24)))


@pytest.mark.parametrize("size", [(240, 320), (320, 240), (480, 640)])
def test_screens_have_the_display_size(size):
    frames = [
        screens.idle_screen("card", mode_button=True, look=screens.Look(size=size)),
        screens.progress_screen("scanning", hint="scanning_hint", look=screens.Look(size=size)),
        screens.capture_screen(("move_closer",), seconds_left=2.4, look=screens.Look(size=size)),
        screens.result_screen(SCORED, look=screens.Look(size=size)),
        screens.result_screen(FAULT, look=screens.Look(size=size)),
    ]
    for frame in frames:  # what each shows is compared with reference PNGs in test_golden.py
        assert frame.size == size and frame.mode == "RGB"


def test_result_screens_differ_by_side_of_threshold():
    above = screens.result_screen(SCORED)
    below = screens.result_screen(TransactionResult(**{**SCORED.__dict__, "score": 59.9}))
    assert not np.array_equal(np.asarray(above), np.asarray(below))
    assert SCORED.shown_score == 72
    assert TransactionResult(**{**SCORED.__dict__, "score": 59.99}).at_or_above is False


@pytest.mark.parametrize("width", [384, 576])
@pytest.mark.parametrize("result", [SCORED, FAULT])
def test_slip_is_one_bit_at_printer_width(width, result):
    slip = render_slip(result, municipality="横浜市", terminal_id="counter-01", width_px=width)
    assert slip.mode == "1" and slip.width == width
    assert 200 < slip.height < 3 * width


def test_english_slip_differs_from_japanese():
    ja = render_slip(SCORED, municipality="X", terminal_id="t", width_px=384, language="ja")
    en = render_slip(SCORED, municipality="X", terminal_id="t", width_px=384, language="en")
    assert ja.size != en.size or ja.tobytes() != en.tobytes()


def test_every_fault_has_a_message_and_a_next_step():
    """Every error staff may meet, on either side, is shown by a message with what to do next
    (the one table, madoguchi.counter.faults, maps each to its code)."""

    def subclasses(cls: type) -> set[type]:
        return {cls} | set().union(*(subclasses(sub) for sub in cls.__subclasses__()))

    needs = {PhotoTooSmall: {"needed_dpi": 600}, TooFewTries: {"tries_left": 1}}
    errors = (subclasses(FaceError) - {FaceError}) | subclasses(ChipError) | subclasses(HardwareError)
    samples = [error("sample", **needs.get(error, {})) for error in errors]
    samples.append(WrongAccessCode("sample", tries_left=3))  # the card said how many tries are left
    codes = {fault_code(sample, side) for sample in samples for side in ("reference", "live")}
    codes.add("internal_error")  # anything else
    assert {"no_face_reference", "no_face_live", "chip_wrong_code", "printer_out_of_paper"} <= codes
    for code in codes:
        assert say(code, "ja") and say(code, "en") and action(code, "ja"), code


def test_every_quality_advice_code_has_text():
    for code in ADVICE:
        assert say(code, "ja") != say(code, "en")


def test_text_never_runs_past_the_footer():
    """The column drops what does not fit above its footer, whole paragraphs, and says so."""
    image = Image.new("L", (240, 320), 255)
    column = TextColumn(image, font=find_font(), unit=1.0)
    column.footer("footer", size=12, ink=0)
    footer_top = column.bottom
    drawn = [
        column.text(f"line {n} with some words to wrap over two lines", size=16, ink=0) for n in range(12)
    ]
    assert drawn[0] and not drawn[-1] and column.dropped == drawn.count(False)
    assert column.y <= footer_top
    ink_rows = np.flatnonzero((np.asarray(image) < 128).any(axis=1))
    between = ink_rows[(ink_rows > column.y) & (ink_rows < footer_top)]
    assert between.size == 0  # nothing drawn between the last paragraph and the footer


def test_wrap_breaks_japanese_anywhere_and_english_at_spaces():
    font = load_font(find_font(), 16)
    japanese = wrap("カードの表面を下にしてスキャナーに置いてください", font, 100)
    english = wrap("Place the card face down on the scanner", font, 100)
    for lines in (japanese, english):
        assert len(lines) > 2 and all(font.getlength(line) <= 100 for line in lines)
    assert " ".join(english) == "Place the card face down on the scanner"


def test_configured_font_must_exist(tmp_path):
    with pytest.raises(FontNotFound, match="does not exist"):
        find_font(tmp_path / "absent.ttf")
