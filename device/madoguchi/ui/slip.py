"""The printed slip: a pure function from a transaction's result to a 1-bit image of printer width.

The slip carries where and when, the transaction number, the mode, the score, the threshold and
whether the score is at or above it, plus notes. It never carries an image, a name or a card
number: there is nothing on it to draw them from. The test slip (``print-test``, the self-test) is
titled テスト印刷 and says no comparison was made; a slip printed again is marked 再発行 with when;
an alert (a chip photo whose signature did not verify, a suspected photo or screen at the camera)
is printed white on black above the score, as large as the heading.
"""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

import qrcode
from PIL import Image

from madoguchi.counter.outcome import SCORED, SELFTEST, TransactionResult
from madoguchi.counter.sources import SOURCES
from madoguchi.language import Language
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.fonts import find_font
from madoguchi.ui.messages import action, say

BLACK = 0
WHITE = 255
MAX_HEIGHT_PX = 4000
"""The longest slip; text that would run past it is not printed (and is logged)."""


def timestamp(when: datetime, language: Language) -> str:
    if language == "ja":
        return when.strftime("%Y年%m月%d日 %H:%M:%S")
    return when.strftime("%Y-%m-%d %H:%M:%S")


def paper(width_px: int, font: Path | None) -> TextColumn:
    """A roll of paper ``width_px`` wide to write a slip on, laid out for 58 mm (384 dots) and scaled."""
    column = TextColumn(
        Image.new("L", (width_px, MAX_HEIGHT_PX), WHITE),
        font=find_font(font),
        unit=width_px / 384,
        margin=8,
        spacing=1.25,
    )
    column.gap(8)
    return column


def torn_off(column: TextColumn) -> Image.Image:
    """The slip as written so far, in black and white (mode "1") for the printer."""
    column.gap(8)
    page = column.image.crop((0, 0, column.image.width, min(column.y, MAX_HEIGHT_PX)))
    return page.point(lambda v: WHITE if v >= 128 else BLACK).convert("1")


def write(column: TextColumn, text: str, size: float = 22, *, centre: bool = False) -> None:
    """Black text on the slip, wrapped to the paper."""
    column.text(text, size=size, ink=BLACK, centre=centre)


def where(column: TextColumn, language: Language, *, municipality: str, terminal_id: str) -> None:
    """Under a slip's heading: a rule, then where it was printed (the municipality, the terminal)."""
    column.rule(ink=BLACK)
    write(column, f"{say('municipality', language)}: {municipality}")
    write(column, f"{say('terminal', language)}: {terminal_id}")


def render_slip(
    result: TransactionResult,
    *,
    municipality: str,
    terminal_id: str,
    width_px: int,
    language: Language = "ja",
    font: Path | None = None,
    witness: tuple[int, str] | None = None,
    reprinted_at: datetime | None = None,
) -> Image.Image:
    """A mode "1" image ``width_px`` wide and as tall as its text.

    ``witness`` is the audit record's last number and the first digits of its chain head before
    this transaction: on paper, off the box, it lets an auditor check later that the record was
    not rewritten (the record of this transaction itself is written after the slip is printed).
    ``reprinted_at``: the slip is printed again then (the same number and witness).
    """
    column = paper(width_px, font)
    test = result.code == SELFTEST
    line = functools.partial(write, column)
    line(say("test_slip_title" if test else "slip_title", language), 30, centre=True)
    if reprinted_at is not None:
        column.band(say("reprint", language), fill=BLACK, ink=WHITE, size=26)
        line(f"{say('reprinted_at', language)}: {timestamp(reprinted_at, language)}")
    where(column, language, municipality=municipality, terminal_id=terminal_id)
    line(f"{say('date_time', language)}: {timestamp(result.time, language)}")
    line(f"{say('transaction', language)}: {result.number:06d}")
    line(f"{say('mode', language)}: {say(SOURCES[result.mode].title, language)}")
    column.rule(ink=BLACK)
    if result.code == SCORED:
        for code in result.alerts:
            column.band(say(code, language), fill=BLACK, ink=WHITE, size=26)
            column.gap(6)
        line(say("score", language), centre=True)
        line(str(result.shown_score), 72, centre=True)
        line(f"{say('threshold', language)}: {result.threshold}", centre=True)
        verdict = "at_or_above" if result.at_or_above else "below"
        line(f"{say('comparison', language)}: {say(verdict, language)}", centre=True)
        for code in result.detail.shown if not result.detail.alert else ():
            line(say(code, language))
    else:
        line(f"{say('outcome', language)}: {say(result.code, language, **result.values)}")
        line(f"{say('threshold', language)}: {result.threshold}")
        next_step = action(result.code, language)
        if next_step:
            line(next_step)
    if result.advice:
        column.rule(ink=BLACK)
        line(f"{say('notes', language)}:")
        for code in result.advice:
            line("・" + say(code, language))
    column.rule(ink=BLACK)
    if witness is not None:
        number, head = witness
        line(f"{say('witness', language)}: {number:06d} · {head}", 17)
    line(say("test_slip_note" if test else "staff_decide", language), 17)
    line(say("no_biometrics", language), 17)
    return torn_off(column)


def render_key_slip(
    payload: str,
    *,
    terminal_id: str,
    when: datetime,
    width_px: int,
    language: Language = "ja",
    font: Path | None = None,
) -> Image.Image:
    """The setup slip: the audit record's verification key, as text and as a QR code.

    Printed once at install for the counter's fleet record; the key is not kept on the box, so this
    paper (and the fleet record) is what later proves the record was not rewritten.
    """
    column = paper(width_px, font)
    column.text(say("key_slip_title", language), size=26, ink=BLACK, centre=True)
    column.rule(ink=BLACK)
    column.text(f"{say('terminal', language)}: {terminal_id}", size=22, ink=BLACK)
    column.text(f"{say('date_time', language)}: {when.strftime('%Y-%m-%d %H:%M')}", size=22, ink=BLACK)
    column.rule(ink=BLACK)
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    modules = code.get_matrix()
    scale = max(1, int(column.width * 0.8) // len(modules))
    qr = Image.new("L", (len(modules) * scale,) * 2, WHITE)
    for row, line in enumerate(modules):
        for col, dark in enumerate(line):
            if dark:
                qr.paste(BLACK, (col * scale, row * scale, (col + 1) * scale, (row + 1) * scale))
    column.image.paste(qr, ((width_px - qr.width) // 2, column.y))
    column.y += qr.height
    column.gap(8)
    column.text(payload, size=17, ink=BLACK)
    column.rule(ink=BLACK)
    column.text(say("key_slip_keep", language), size=17, ink=BLACK)
    return torn_off(column)
