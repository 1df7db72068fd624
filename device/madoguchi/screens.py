"""The staff LCD's screens: pure functions from what is happening to a Pillow image.

Each function returns a finished RGB frame of ``size`` (240x320 portrait by default, any size
works); the transaction sends it to the display whole, as luma's canvas does. No face is ever drawn:
a screen shows words, a score and a threshold. The result screen says whether the score is at or
above the threshold, never "match": the decision is the staff's.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

from madoguchi.fonts import Font, find_font, load_font, text_width, wrap
from madoguchi.messages import Language, action, say
from madoguchi.outcome import CANCELLED, SCORED, Mode, TransactionResult

DEFAULT_SIZE = (240, 320)

INK = (20, 20, 20)
MUTED = (90, 90, 90)
PAPER = (255, 255, 255)
HEADER = (30, 60, 110)
BUSY = (40, 90, 150)
AT_OR_ABOVE = (20, 90, 170)
BELOW = (200, 110, 0)
PROBLEM = (170, 30, 30)

DEVICE_PROBLEMS = frozenset({"printer_out_of_paper", "printer_error"})
"""Notes that need staff to act although the score is valid: shown in red with what to do."""


class _Canvas:
    """A frame being drawn top to bottom; sizes are given for a 240 px wide screen and scaled."""

    def __init__(self, size: tuple[int, int], font: Path | None) -> None:
        self.image = Image.new("RGB", size, PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.font_path = find_font(font)
        self.unit = size[0] / DEFAULT_SIZE[0]
        self.margin = round(10 * self.unit)
        self.y = 0

    def font(self, size: int) -> Font:
        return load_font(self.font_path, max(8, round(size * self.unit)))

    def band(self, text: str, colour: tuple[int, int, int], size: int = 20) -> None:
        font = self.font(size)
        lines = wrap(text, font, self.image.width - 2 * self.margin)
        line_height = round(font.size * 1.3)
        height = line_height * len(lines) + 2 * self.margin
        self.draw.rectangle((0, self.y, self.image.width, self.y + height), fill=colour)
        self.y += self.margin
        for line in lines:
            self.draw.text((self.margin, self.y), line, font=font, fill=PAPER)
            self.y += line_height
        self.y += self.margin

    def text(
        self, text: str, size: int = 16, colour: tuple[int, int, int] = INK, *, centre: bool = False
    ) -> None:
        font = self.font(size)
        width = self.image.width - 2 * self.margin
        for line in wrap(text, font, width):
            x = self.margin + (width - text_width(font, line)) // 2 if centre else self.margin
            self.draw.text((x, self.y), line, font=font, fill=colour)
            self.y += round(font.size * 1.3)

    def gap(self, pixels: int = 8) -> None:
        self.y += round(pixels * self.unit)

    def footer(self, text: str, size: int = 12) -> None:
        font = self.font(size)
        lines = wrap(text, font, self.image.width - 2 * self.margin)
        line_height = round(font.size * 1.3)
        y = self.image.height - self.margin - line_height * len(lines)
        for line in lines:
            self.draw.text((self.margin, y), line, font=font, fill=MUTED)
            y += line_height


def idle_screen(
    mode: Mode,
    *,
    mode_button: bool,
    language: Language = "ja",
    size: tuple[int, int] = DEFAULT_SIZE,
    font: Path | None = None,
) -> Image.Image:
    canvas = _Canvas(size, font)
    canvas.band(say("title", language), HEADER, 22)
    canvas.gap(12)
    canvas.text(say(f"mode_{mode}", language), 18, HEADER, centre=True)
    canvas.gap(12)
    canvas.text(say(f"place_{mode}", language), 16)
    canvas.gap(8)
    canvas.text(say("idle", language), 16, INK, centre=True)
    if mode_button:
        canvas.footer(say("mode_hint", language))
    return canvas.image


def progress_screen(
    step: str,
    *,
    hint: str | None = None,
    language: Language = "ja",
    size: tuple[int, int] = DEFAULT_SIZE,
    font: Path | None = None,
) -> Image.Image:
    """A step that needs no input from anyone: ``step`` and ``hint`` are message codes."""
    canvas = _Canvas(size, font)
    canvas.band(say(step, language), BUSY, 22)
    canvas.gap(16)
    if hint is not None:
        canvas.text(say(hint, language), 16)
    canvas.footer(say("cancel_hint", language))
    return canvas.image


def device_missing_screen(
    device: str,
    *,
    language: Language = "ja",
    size: tuple[int, int] = DEFAULT_SIZE,
    font: Path | None = None,
) -> Image.Image:
    """At start-up: ``device`` (camera, scanner, printer, buttons) was not found; looking again."""
    code = f"{device}_missing"
    canvas = _Canvas(size, font)
    canvas.band(say(code, language), PROBLEM, 20)
    canvas.gap(10)
    canvas.text(action(code, language) or "", 16)
    canvas.footer(say("retrying", language))
    return canvas.image


def capture_screen(
    guidance: tuple[str, ...],
    *,
    seconds_left: float,
    language: Language = "ja",
    size: tuple[int, int] = DEFAULT_SIZE,
    font: Path | None = None,
) -> Image.Image:
    """While the camera watches the visitor: the most urgent guidance codes first, large."""
    canvas = _Canvas(size, font)
    canvas.band(say("capturing", language), BUSY, 22)
    canvas.gap(12)
    if guidance:
        canvas.text(say(guidance[0], language), 18, INK, centre=True)
        for code in guidance[1:3]:
            canvas.gap(6)
            canvas.text(say(code, language), 16, MUTED, centre=True)
    else:
        canvas.text(say("capturing_hint", language), 18, INK, centre=True)
    canvas.gap(12)
    canvas.text(
        say("seconds_left", language, seconds=max(0, math.ceil(seconds_left))), 16, MUTED, centre=True
    )
    canvas.footer(say("cancel_hint", language))
    return canvas.image


def result_screen(
    result: TransactionResult,
    *,
    language: Language = "ja",
    size: tuple[int, int] = DEFAULT_SIZE,
    font: Path | None = None,
) -> Image.Image:
    """The score against the threshold, or what went wrong and what to do next."""
    if result.code == SCORED:
        return _score_screen(result, language, size, font)
    return _problem_screen(result, language, size, font)


def _score_screen(
    result: TransactionResult, language: Language, size: tuple[int, int], font: Path | None
) -> Image.Image:
    canvas = _Canvas(size, font)
    above = bool(result.at_or_above)
    colour = AT_OR_ABOVE if above else BELOW
    canvas.band(say("at_or_above" if above else "below", language), colour, 24)
    canvas.gap(4)
    canvas.text(say("score", language), 16, MUTED, centre=True)
    canvas.text(str(result.shown_score), 84, colour, centre=True)
    canvas.text(f"{say('threshold', language)} {result.threshold}", 20, INK, centre=True)
    canvas.gap(6)
    for code in result.notes[:2]:
        if code in DEVICE_PROBLEMS:
            canvas.text(say(code, language), 16, PROBLEM)
            canvas.text(action(code, language) or "", 13, PROBLEM)
        else:
            canvas.text("・" + say(code, language), 13, MUTED)
    canvas.footer(say("staff_decide", language))
    return canvas.image


def _problem_screen(
    result: TransactionResult, language: Language, size: tuple[int, int], font: Path | None
) -> Image.Image:
    canvas = _Canvas(size, font)
    canvas.band(say(result.code, language), MUTED if result.code == CANCELLED else PROBLEM, 20)
    canvas.gap(10)
    next_step = action(result.code, language)
    if next_step:
        canvas.text(next_step, 16)
    for code in result.notes[:2]:
        canvas.gap(6)
        canvas.text("・" + say(code, language), 14, PROBLEM)
    return canvas.image
