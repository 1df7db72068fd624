"""Every LCD screen and slip, in both languages, against reference PNGs in tests/ui/golden/.

Screens are images first (as luma's tests compare a dummy device's frames with reference PNGs): a
change to a layout, a message or a colour shows up here as a failed comparison. The references are
drawn with IPAex Gothic (Debian's fonts-ipaexfont-gothic, installed by image-build/system-deps.sh).
After a deliberate change, regenerate them and look at the diff before committing:

    make golden        # = MADOGUCHI_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest tests/ui/test_golden.py

A small tolerance absorbs anti-aliasing differences between FreeType versions.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from madoguchi.audit.figures import tally
from madoguchi.audit.record import AuditRecord
from madoguchi.counter.menu import ITEMS
from madoguchi.counter.outcome import SourceDetail, TransactionResult
from madoguchi.ui.presenter import Presenter
from madoguchi.ui.screens import Look
from madoguchi.ui.slip import render_key_slip

GOLDEN = Path(__file__).parent / "golden"
IPAEX = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
REGENERATE = os.environ.get("MADOGUCHI_REGENERATE_GOLDEN") == "1"
# A pixel differs when its grey level moves by more than this; at most this share of pixels may.
PIXEL_LEVEL = 64
PIXEL_SHARE = 0.002

WHEN = datetime(2026, 11, 25, 9, 41, 5)


def result(code: str, score: float | None = None, *notes: str, mode: str = "card") -> TransactionResult:
    return TransactionResult(
        number=42, time=WHEN, mode=mode, threshold=60, code=code, score=score, notes=notes
    )


ABOVE = result("scored", 72.6)
BELOW = result("scored", 41.2, "look_at_camera")
OUT_OF_PAPER = result("scored", 88.1, "printer_out_of_paper", "rescan_600dpi", "remove_glare")
NO_FACE = result("no_face_live", mode="form")
POOR_PHOTO = result("poor_photo_quality", None, "remove_glare", "rescan_600dpi")
CANCELLED = result("cancelled")
SELFTEST = result("selftest")
CHIP_VERIFIED = TransactionResult(
    42,
    WHEN,
    "chip",
    60,
    "scored",
    81.3,
    detail=SourceDetail(("chip_verified",), record={"chip_verified": True}),
)
CHIP_NOT_VERIFIED = TransactionResult(
    42,
    WHEN,
    "chip",
    60,
    "scored",
    77.0,
    detail=SourceDetail(("chip_not_verified",), alert=True, record={"chip_verified": False}),
)
PAD_SUSPECT = result("scored", 74.0, "pad_suspect", "pad_planarity", "pad_moire", "look_at_camera")
BLANK_PAGE = result("blank_page")
CHIP_WRONG_CODE = TransactionResult(42, WHEN, "chip", 60, "chip_wrong_code", values={"tries": 9})


def day_records() -> list[AuditRecord]:
    """A made-up day: twelve scores (two below 60: one issued, one refused), a fault, a cancel, a chip
    refusing its code, decisions, a reprint."""
    scores = (91.2, 84.0, 77.5, 73.1, 68.8, 66.0, 62.4, 55.0, 48.3, 95.0, 100.0, 81.7)
    records, number = [], 0
    for index, score in enumerate(scores):
        number += 1
        mode = ("card", "form", "chip")[index % 3]
        time = f"2026-11-25T{9 + index // 2:02d}:{index * 5 % 60:02d}:00"
        records.append(
            AuditRecord(number, time, "counter-01", mode, 60, "scored", score, score >= 60, (), True, mode)
        )
        if index not in (3, 11):  # no decision recorded on these two
            kind = "issued" if index != 8 else "refused"
            number += 1
            records.append(
                AuditRecord(
                    number,
                    time,
                    "counter-01",
                    mode,
                    60,
                    "decision",
                    None,
                    None,
                    (),
                    None,
                    mode,
                    about=number - 1,
                    decision=kind,
                )
            )
    for outcome in ("no_face_live", "cancelled", "chip_wrong_code", "reprint"):
        number += 1
        records.append(
            AuditRecord(
                number, "2026-11-25T16:00:00", "counter-01", "chip", 60, outcome, None, None, (), True, "chip"
            )
        )
    return records


DAY = tally(day_records(), WHEN.date(), WHEN.date())

Render = Callable[[Presenter], Image.Image]


def code_b(presenter: Presenter, digits: str, *, cursor: int, notice: str | None = None) -> Image.Image:
    """照合番号B's entry screen with ``digits`` (``_`` not yet keyed) and the cursor at ``cursor``."""
    prompt, hint = "chip_code_prompt", "chip_code_prompt_hint"
    return presenter.digits(prompt, digits, cursor=cursor, groups=(6, 4, 4), hint=hint, notice=notice)


SCREENS: dict[str, Render] = {
    "idle-card": lambda p: p.idle("card"),
    "idle-form": lambda p: p.idle("form"),
    "idle-card-clock": lambda p: p.idle("card", notice="clock_implausible"),
    "idle-chip": lambda p: p.idle("chip"),
    "digits-entry": lambda p: code_b(p, "800101203_____", cursor=9),
    "digits-blank": lambda p: code_b(p, "______________", cursor=0, notice="digit_blank"),
    "digits-read": lambda p: code_b(p, "80010120341234", cursor=14, notice="chip_code_read"),
    "digits-partial": lambda p: code_b(p, "8001012034____", cursor=10, notice="chip_code_partial"),
    "digits-unread": lambda p: code_b(p, "______________", cursor=0, notice="chip_code_unread"),
    "digits-confirm": lambda p: code_b(p, "80010120341234", cursor=14),
    "progress-reading-chip": lambda p: p.progress("reading_chip", hint="reading_chip_hint"),
    "progress-scanning": lambda p: p.progress("scanning", hint="scanning_hint"),
    "progress-locating": lambda p: p.progress("locating"),
    "progress-scoring-busy": lambda p: p.progress("scoring", notice="busy_press"),
    "capture-start": lambda p: p.capture((), seconds_left=3.0),
    "capture-guidance": lambda p: p.capture(("move_closer", "look_at_camera", "too_dark"), seconds_left=1.2),
    "capture-two-people": lambda p: p.capture(("one_person_only",), seconds_left=2.0),
    "result-above": lambda p: p.result(ABOVE),
    "result-below-noted": lambda p: p.result(BELOW),
    "result-out-of-paper-notes-busy": lambda p: p.result(OUT_OF_PAPER, notice="busy_press"),
    "result-no-face": lambda p: p.result(NO_FACE),
    "result-blank-page": lambda p: p.result(BLANK_PAGE),
    "result-presentation-suspect": lambda p: p.result(PAD_SUSPECT),
    "result-poor-photo": lambda p: p.result(POOR_PHOTO),
    "result-cancelled": lambda p: p.result(CANCELLED),
    "result-chip-verified": lambda p: p.result(CHIP_VERIFIED),
    "result-chip-not-verified": lambda p: p.result(CHIP_NOT_VERIFIED),
    "result-chip-wrong-code": lambda p: p.result(CHIP_WRONG_CODE),
    "result-above-no-decisions": lambda p: dataclasses.replace(p, decisions=False).result(ABOVE),
    "decided-issued": lambda p: p.decided(ABOVE, "issued"),
    "decided-second-check": lambda p: p.decided(BELOW, "second_check"),
    "decided-refused-not-recorded": lambda p: p.decided(BELOW, "refused", recorded=False),
    "menu": lambda p: p.menu(ITEMS, 0, last=42),
    "menu-nothing-to-reprint": lambda p: p.menu(ITEMS, 0, last=None, notice="nothing_to_reprint"),
    "menu-day": lambda p: p.menu(ITEMS, 1, last=42),
    "menu-done-reprinted": lambda p: p.menu_done("reprinted", transaction=42),
    "menu-done-out-of-paper": lambda p: p.menu_done("printer_out_of_paper", transaction=42),
    "menu-done-day": lambda p: p.menu_done("day_printed", figures=DAY),
    "missing-camera": lambda p: p.device_missing("camera"),
    "out-of-service": lambda p: p.out_of_service("disk full (0 KiB free in /var/lib/madoguchi)"),
    "slip-above": lambda p: p.slip(ABOVE, witness=(41, "3f9a0c2b7d41")),
    "slip-out-of-paper-notes": lambda p: p.slip(OUT_OF_PAPER),
    "slip-no-face": lambda p: p.slip(NO_FACE),
    "slip-presentation-suspect": lambda p: p.slip(PAD_SUSPECT),
    "slip-selftest": lambda p: p.slip(SELFTEST),
    "slip-audit-key": lambda p: render_key_slip(
        "MADOGUCHI-AUDIT-KEY-V1:" + "3F9A0C2B7D41E5A8" * 4,
        terminal_id=p.terminal_id,
        when=WHEN,
        width_px=p.slip_width_px,
        language=p.look.language,
        font=p.look.font,
    ),
    "slip-chip-not-verified": lambda p: p.slip(CHIP_NOT_VERIFIED),
    "slip-chip-wrong-code": lambda p: p.slip(CHIP_WRONG_CODE),
    "slip-reprint": lambda p: p.slip(
        ABOVE, witness=(41, "3f9a0c2b7d41"), reprinted_at=WHEN.replace(hour=10, minute=2)
    ),
    "slip-day": lambda p: p.day_slip(DAY, printed_at=WHEN.replace(hour=17, minute=30)),
}

LOOKS = {
    # (language, screen size, slip width): portrait 2" ST7789 and 80 mm paper, the reference build
    "ja": ("ja", (240, 320), 576),
    "en": ("en", (240, 320), 576),
    # a landscape panel and 58 mm paper
    "ja-landscape-58mm": ("ja", (320, 240), 384),
}
CASES = [(look, name) for look in ("ja", "en") for name in SCREENS] + [
    ("ja-landscape-58mm", name)
    for name in (
        "idle-card",
        "result-above",
        "result-no-face",
        "result-presentation-suspect",
        "slip-above",
        "decided-issued",
        "menu",
        "slip-day",
    )
]


def presenter(look: str) -> Presenter:
    language, size, width = LOOKS[look]
    return Presenter(
        look=Look(language=language, size=size, font=IPAEX),
        municipality="見本市" if language == "ja" else "Sample City",
        terminal_id="counter-01",
        mode_button=True,
        slip_width_px=width,
        decisions=True,
    )


def differing_share(image: Image.Image, reference: Image.Image) -> float:
    ours = np.asarray(image.convert("L"), np.int16)
    theirs = np.asarray(reference.convert("L"), np.int16)
    return float((np.abs(ours - theirs) > PIXEL_LEVEL).mean())


@pytest.mark.skipif(not IPAEX.is_file(), reason="the references are drawn with IPAex Gothic")
@pytest.mark.parametrize(("look", "name"), CASES, ids=[f"{look}-{name}" for look, name in CASES])
def test_screen_or_slip_matches_its_reference(look: str, name: str) -> None:
    image = SCREENS[name](presenter(look))
    path = GOLDEN / f"{look}-{name}.png"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        image.save(path, optimize=True)
    with Image.open(path) as reference:
        assert image.size == reference.size, f"{path.name}: size {image.size}, reference {reference.size}"
        assert image.mode == reference.mode
        share = differing_share(image, reference)
    assert share <= PIXEL_SHARE, f"{path.name}: {share:.2%} of pixels differ (regenerate: make golden)"


def test_every_reference_is_compared() -> None:
    """A reference PNG without a case would never fail: there is none."""
    expected = {f"{look}-{name}.png" for look, name in CASES}
    assert {path.name for path in GOLDEN.glob("*.png")} == expected


def test_tolerance_catches_a_changed_score() -> None:
    """The tolerance absorbs anti-aliasing, not content: one digit changed is far above it."""
    look = presenter("ja")
    assert differing_share(look.result(ABOVE), look.result(result("scored", 73.0))) > PIXEL_SHARE
