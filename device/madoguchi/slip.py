"""The printed slip: a pure function from a transaction's result to a 1-bit image of printer width.

The slip carries where and when, the transaction number, the mode, the score, the threshold and
whether the score is at or above it, plus notes. It never carries an image, a name or a card
number: there is nothing on it to draw them from.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from madoguchi.fonts import find_font, load_font, text_width, wrap
from madoguchi.messages import Language, action, say
from madoguchi.outcome import SCORED, TransactionResult

BLACK = 0
WHITE = 255


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
) -> Image.Image:
    """A mode "1" image ``width_px`` wide and as tall as its text."""
    font_path = find_font(font)
    unit = width_px / 384
    margin = round(8 * unit)
    inner = width_px - 2 * margin
    body = load_font(font_path, round(22 * unit))
    title = load_font(font_path, round(30 * unit))
    huge = load_font(font_path, round(72 * unit))
    small = load_font(font_path, round(17 * unit))
    page = Image.new("L", (width_px, 4000), WHITE)
    draw = ImageDraw.Draw(page)
    y = margin

    def line(text: str, font=body, *, centre: bool = False) -> None:
        nonlocal y
        for part in wrap(text, font, inner):
            x = margin + (inner - text_width(font, part)) // 2 if centre else margin
            draw.text((x, y), part, font=font, fill=BLACK)
            y += round(font.size * 1.25)

    def rule() -> None:
        nonlocal y
        y += round(4 * unit)
        draw.line((margin, y, width_px - margin, y), fill=BLACK, width=max(1, round(2 * unit)))
        y += round(8 * unit)

    line(say("slip_title", language), title, centre=True)
    rule()
    line(f"{say('municipality', language)}: {municipality}")
    line(f"{say('terminal', language)}: {terminal_id}")
    line(f"{say('date_time', language)}: {_timestamp(result, language)}")
    line(f"{say('transaction', language)}: {result.number:06d}")
    line(f"{say('mode', language)}: {say(f'mode_{result.mode}', language)}")
    rule()
    if result.code == SCORED:
        line(say("score", language), centre=True)
        line(str(result.shown_score), huge, centre=True)
        line(f"{say('threshold', language)}: {result.threshold}", centre=True)
        verdict = "at_or_above" if result.at_or_above else "below"
        line(f"{say('comparison', language)}: {say(verdict, language)}", centre=True)
    else:
        line(f"{say('outcome', language)}: {say(result.code, language)}")
        line(f"{say('threshold', language)}: {result.threshold}")
        next_step = action(result.code, language)
        if next_step:
            line(next_step)
    if result.notes:
        rule()
        line(f"{say('notes', language)}:")
        for code in result.notes:
            line("・" + say(code, language))
    rule()
    line(say("staff_decide", language), small)
    line(say("no_biometrics", language), small)
    y += margin
    return page.crop((0, 0, width_px, y)).point(lambda v: WHITE if v >= 128 else BLACK).convert("1")
