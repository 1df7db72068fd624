"""The staff LCD's screens: pure functions from what is happening to a Pillow image.

Each function returns a finished RGB frame of its :class:`Look`'s size (240x320 portrait by
default, any size works); the counter sends it to the display whole, as luma's canvas does. No
face is ever drawn: a screen shows words, a score and a threshold. The result screen says whether
the score is at or above the threshold, never "match": the decision is the staff's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from madoguchi.counter.outcome import CANCELLED, SCORED, TransactionResult
from madoguchi.counter.sources import SOURCES
from madoguchi.language import Language
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.fonts import find_font
from madoguchi.ui.messages import action, say

DEFAULT_SIZE = (240, 320)

INK = (20, 20, 20)
MUTED = (90, 90, 90)
PAPER = (255, 255, 255)
HEADER = (30, 60, 110)
BUSY = (40, 90, 150)
AT_OR_ABOVE = (20, 90, 170)
BELOW = (200, 110, 0)
PROBLEM = (170, 30, 30)

DEVICE_PROBLEMS = frozenset({"printer_out_of_paper", "printer_error", "audit_file_changed"})
"""Notes that need staff to act although the score is valid: shown in red with what to do."""
MISSING = {
    "camera": "camera_missing",
    "scanner": "scanner_missing",
    "printer": "printer_missing",
    "buttons": "buttons_missing",
}
"""The message naming each device a real counter waits for at start (the LCD cannot name itself)."""


@dataclass(frozen=True)
class Look:
    """How every screen is drawn: in which language, at which size, with which font (None: found)."""

    language: Language = "ja"
    size: tuple[int, int] = DEFAULT_SIZE
    font: Path | None = None


DEFAULT_LOOK = Look()


def _column(look: Look) -> TextColumn:
    """A blank frame of the look's size: the 240x320 layout scaled to fit it, portrait or landscape."""
    size = look.size
    unit = min(size[0] / DEFAULT_SIZE[0], size[1] / DEFAULT_SIZE[1])
    return TextColumn(Image.new("RGB", size, PAPER), font=find_font(look.font), unit=unit)


def blank(look: Look = DEFAULT_LOOK) -> TextColumn:
    """A blank frame to draw a screen on, as every screen here is (:mod:`.staff_screens` too)."""
    return _column(look)


def idle_screen(
    mode: str,
    *,
    mode_button: bool,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """Waiting for START; ``notice`` is a message code staff should see first (an untrusted clock)."""
    column = _column(look)
    language = look.language
    if mode_button:
        column.footer(say("mode_hint", language), size=12, ink=MUTED)
    column.band(say("title", language), fill=HEADER, ink=PAPER, size=22)
    _notice(column, notice, language)
    column.gap(12)
    source = SOURCES[mode]
    column.text(say(source.title, language), size=18, ink=HEADER, centre=True)
    column.gap(12)
    column.text(say(source.instruction, language), size=16, ink=INK)
    column.gap(8)
    column.text(say("idle", language), size=16, ink=INK, centre=True)
    return column.image


def progress_screen(
    step: str,
    *,
    hint: str | None = None,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """A step that needs no input from anyone: ``step``, ``hint`` and ``notice`` are message codes;
    ``notice`` answers a button pressed while busy."""
    column = _column(look)
    language = look.language
    column.footer(say("cancel_hint", language), size=12, ink=MUTED)
    column.band(say(step, language), fill=BUSY, ink=PAPER, size=22)
    column.gap(16)
    if hint is not None:
        column.text(say(hint, language), size=16, ink=INK)
    _notice(column, notice, language)
    return column.image


def digits_screen(
    prompt: str,
    digits: str,
    *,
    cursor: int,
    groups: tuple[int, ...],
    hint: str | None = None,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """Staff keying in a code with the buttons: ``digits`` ("_" for a blank) in ``groups``, the
    digit at ``cursor`` in reverse; ``cursor == len(digits)`` is the confirmation step. ``prompt``,
    ``hint`` and ``notice`` are message codes; a notice (what was read, what to do next) takes the
    hint's place above the digits: the screen is small and it is the more urgent."""
    column = _column(look)
    language = look.language
    confirming = cursor >= len(digits)
    column.footer(say("digits_confirm" if confirming else "digits_keys", language), size=12, ink=MUTED)
    column.band(say(prompt, language), fill=BUSY, ink=PAPER, size=20)
    column.gap(6)
    if notice is not None:
        column.text(say(notice, language), size=13, ink=PROBLEM)
    elif hint is not None:
        column.text(say(hint, language), size=13, ink=MUTED)
    column.gap(8)
    start = 0
    for size in groups:
        _digit_row(column, digits[start : start + size], cursor - start, confirming)
        start += size
    return column.image


def _digit_row(column: TextColumn, digits: str, cursor: int, confirming: bool) -> None:
    """One group of digits, large and centred; the one at ``cursor`` (if in this group) reversed."""
    font = column.font(26)
    cell = round(22 * column.unit)
    height = column.line_height(font)
    if not column.fits(height):
        column.dropped += 1
        return
    left = (column.image.width - cell * len(digits)) // 2
    for index, digit in enumerate(digits):
        x = left + index * cell
        box = (x + 1, column.y, x + cell - 1, column.y + height - 2)
        selected = index == cursor and not confirming
        column.draw.rectangle(box, fill=HEADER if selected else PAPER, outline=MUTED)
        column.draw.text(
            (x + cell // 2, column.y + height // 2),
            digit,
            font=font,
            fill=PAPER if selected else INK,
            anchor="mm",
        )
    column.y += height + round(4 * column.unit)


def device_missing_screen(
    device: str,
    *,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """At start-up: ``device`` (camera, scanner, printer, buttons) was not found; looking again."""
    code = MISSING[device]
    column = _column(look)
    language = look.language
    column.footer(say("retrying", language), size=12, ink=MUTED)
    column.band(say(code, language), fill=PROBLEM, ink=PAPER, size=20)
    column.gap(10)
    column.text(action(code, language) or "", size=16, ink=INK)
    return column.image


def out_of_service_screen(reason: str, *, look: Look = DEFAULT_LOOK) -> Image.Image:
    """No transaction can start because no audit record can be kept; ``reason`` is for the technician."""
    column = _column(look)
    language = look.language
    column.band(say("audit_unavailable", language), fill=PROBLEM, ink=PAPER, size=20)
    column.gap(10)
    column.text(action("audit_unavailable", language) or "", size=16, ink=INK)
    column.gap(8)
    column.text(reason, size=12, ink=MUTED)
    return column.image


def capture_screen(
    guidance: tuple[str, ...],
    *,
    seconds_left: float,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """While the camera watches the visitor: the most urgent guidance codes first, large."""
    column = _column(look)
    language = look.language
    column.footer(say("cancel_hint", language), size=12, ink=MUTED)
    column.band(say("capturing", language), fill=BUSY, ink=PAPER, size=22)
    column.gap(12)
    if guidance:
        column.text(say(guidance[0], language), size=18, ink=INK, centre=True)
        for code in guidance[1:3]:
            column.gap(6)
            column.text(say(code, language), size=16, ink=MUTED, centre=True)
    else:
        column.text(say("capturing_hint", language), size=18, ink=INK, centre=True)
    column.gap(12)
    seconds = max(0, math.ceil(seconds_left))
    column.text(say("seconds_left", language, seconds=seconds), size=16, ink=MUTED, centre=True)
    _notice(column, notice, language)
    return column.image


def result_screen(
    result: TransactionResult,
    *,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
    decisions: bool = False,
) -> Image.Image:
    """The score against the threshold, or what went wrong and what to do next; with ``decisions``,
    a score's footer says which button records which decision (:mod:`madoguchi.counter.decision`)."""
    column = _column(look)
    language = look.language
    if result.code == SCORED:
        _score(column, result, notice, language, decisions)
    else:
        _problem(column, result, notice, language)
    return column.image


def _score(
    column: TextColumn, result: TransactionResult, notice: str | None, language: Language, decisions: bool
) -> None:
    """The score, the threshold, then what staff must act on, then advice: the screen is small. An
    alert (a chip photo whose signature did not verify, a suspected photo or screen at the camera)
    is a band under the verdict's."""
    above = bool(result.at_or_above)
    colour = AT_OR_ABOVE if above else BELOW
    column.footer(say("decision_keys" if decisions else "staff_decide", language), size=12, ink=MUTED)
    column.band(say("at_or_above" if above else "below", language), fill=colour, ink=PAPER, size=24)
    alerts = result.alerts
    for code in alerts:
        column.band(say(code, language), fill=PROBLEM, ink=PAPER, size=14)
    column.gap(4)
    column.text(say("score", language), size=16, ink=MUTED, centre=True)
    column.text(str(result.shown_score), size=56 if alerts else 84, ink=colour, centre=True)
    column.text(f"{say('threshold', language)} {result.threshold}", size=20, ink=INK, centre=True)
    column.gap(6)
    for code in result.detail.shown if not result.detail.alert else ():
        column.text(say(code, language), size=14, ink=INK)
    for code in result.notes:
        if code in DEVICE_PROBLEMS:
            column.text(say(code, language), size=16, ink=PROBLEM)
            column.text(action(code, language) or "", size=13, ink=PROBLEM)
    _notice(column, notice, language)
    for code in result.advice[:2]:
        if code not in DEVICE_PROBLEMS:
            column.text("・" + say(code, language), size=13, ink=MUTED)


def _problem(column: TextColumn, result: TransactionResult, notice: str | None, language: Language) -> None:
    colour = MUTED if result.code == CANCELLED else PROBLEM
    column.band(say(result.code, language, **result.values), fill=colour, ink=PAPER, size=20)
    column.gap(10)
    next_step = action(result.code, language)
    if next_step:
        column.text(next_step, size=16, ink=INK)
    _notice(column, notice, language)
    for code in result.notes[:2]:
        column.gap(6)
        column.text("・" + say(code, language), size=14, ink=PROBLEM)


def _notice(column: TextColumn, code: str | None, language: Language) -> None:
    if code is not None:
        column.gap(4)
        column.text(say(code, language), size=13, ink=PROBLEM)
