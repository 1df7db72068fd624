"""The printed slip: a pure function from a transaction's result to a 1-bit image of printer width.

The slip carries where and when, the transaction number, the mode, the score, the threshold and
whether the score is at or above it, plus notes. It never carries an image, a name or a card
number: there is nothing on it to draw them from.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from madoguchi.canvas import TextColumn
from madoguchi.fonts import find_font
from madoguchi.messages import Language, action, say
from madoguchi.outcome import SCORED, TransactionResult

BLACK = 0
WHITE = 255
MAX_HEIGHT_PX = 4000
"""The longest slip; text that would run past it is not printed (and is logged)."""


def _timestamp(result: TransactionResult, language: Language) -> str:
    if language == "ja":
        return result.time.strftime("%Y年%m月%d日 %H:%M:%S")
    return result.time.strftime("%Y-%m-%d %H:%M:%S")


def render_slip(
    result: TransactionResult,
    *,
    municipality: str,
    terminal_id: str,
    width_px: int,
    language: Language = "ja",
    font: Path | None = None,
    witness: tuple[int, str] | None = None,
) -> Image.Image:
    """A mode "1" image ``width_px`` wide and as tall as its text.

    ``witness`` is the audit record's last number and the first digits of its chain head before
    this transaction: on paper, off the box, it lets an auditor check later that the record was
    not rewritten (the record of this transaction itself is written after the slip is printed).
    """
    column = TextColumn(
        Image.new("L", (width_px, MAX_HEIGHT_PX), WHITE),
        font=find_font(font),
        unit=width_px / 384,
        margin=8,
        spacing=1.25,
    )
    column.gap(8)

    def line(text: str, size: float = 22, *, centre: bool = False) -> None:
        column.text(text, size=size, ink=BLACK, centre=centre)

    line(say("slip_title", language), 30, centre=True)
    column.rule(ink=BLACK)
    line(f"{say('municipality', language)}: {municipality}")
    line(f"{say('terminal', language)}: {terminal_id}")
    line(f"{say('date_time', language)}: {_timestamp(result, language)}")
    line(f"{say('transaction', language)}: {result.number:06d}")
    line(f"{say('mode', language)}: {say(f'mode_{result.mode}', language)}")
    column.rule(ink=BLACK)
    if result.code == SCORED:
        line(say("score", language), centre=True)
        line(str(result.shown_score), 72, centre=True)
        line(f"{say('threshold', language)}: {result.threshold}", centre=True)
        verdict = "at_or_above" if result.at_or_above else "below"
        line(f"{say('comparison', language)}: {say(verdict, language)}", centre=True)
        if result.chip_check is not None:
            line(say(result.chip_check, language))
    else:
        line(f"{say('outcome', language)}: {say(result.code, language, tries=result.chip_tries_left)}")
        line(f"{say('threshold', language)}: {result.threshold}")
        next_step = action(result.code, language)
        if next_step:
            line(next_step)
    if result.notes:
        column.rule(ink=BLACK)
        line(f"{say('notes', language)}:")
        for code in result.notes:
            line("・" + say(code, language))
    column.rule(ink=BLACK)
    if witness is not None:
        number, head = witness
        line(f"{say('witness', language)}: {number:06d} · {head}", 17)
    line(say("staff_decide", language), 17)
    line(say("no_biometrics", language), 17)
    column.gap(8)
    page = column.image.crop((0, 0, width_px, min(column.y, MAX_HEIGHT_PX)))
    return page.point(lambda v: WHITE if v >= 128 else BLACK).convert("1")
