"""The screens of what staff do between visitors: the confirmation of their decision on a score,
the staff menu, and what a menu choice did. Pure functions to a Pillow image, drawn as every screen
is (:func:`madoguchi.ui.screens.blank`); no face, no score beyond the one staff just saw.
"""

from __future__ import annotations

from PIL import Image

from madoguchi.audit.figures import Figures
from madoguchi.counter.outcome import TransactionResult
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.messages import action, say
from madoguchi.ui.screens import (
    AT_OR_ABOVE,
    BELOW,
    DEFAULT_LOOK,
    HEADER,
    INK,
    MUTED,
    PAPER,
    PROBLEM,
    Look,
    blank,
)

DECISION_COLOURS = {"issued": AT_OR_ABOVE, "second_check": BELOW, "refused": PROBLEM}
DONE = frozenset({"reprinted", "day_printed"})
"""What a menu choice says when it did what was asked; any other code is a problem, with what to do."""


def decided_screen(
    result: TransactionResult,
    decision: str,
    *,
    recorded: bool = True,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """Staff's ``decision`` on ``result``, as recorded (or, with ``recorded`` False, as it was not)."""
    column = blank(look)
    language = look.language
    column.footer(say("next_visitor", language), size=12, ink=MUTED)
    if recorded:
        column.band(say("decision_recorded", language), fill=HEADER, ink=PAPER, size=18)
    else:
        column.band(say("decision_not_recorded", language), fill=PROBLEM, ink=PAPER, size=18)
    column.gap(14)
    column.text(f"{say('transaction', language)} {result.number:06d}", size=14, ink=MUTED, centre=True)
    column.gap(4)
    column.text(say(decision, language), size=40, ink=DECISION_COLOURS[decision], centre=True)
    column.gap(8)
    shown = f"{say('score', language)} {result.shown_score} / {say('threshold', language)} {result.threshold}"
    column.text(shown, size=14, ink=MUTED, centre=True)
    _notice(column, notice, look)
    return column.image


def menu_screen(
    items: tuple[str, ...],
    chosen: int,
    *,
    last: int | None,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """The staff menu: ``items`` (message codes), ``chosen`` in reverse; ``last`` is the number of
    the slip a reprint would print (None: none)."""
    column = blank(look)
    language = look.language
    column.footer(say("menu_keys", language), size=12, ink=MUTED)
    column.band(say("staff_menu", language), fill=HEADER, ink=PAPER, size=22)
    column.gap(10)
    for index, item in enumerate(items):
        _item(column, say(item, language), selected=index == chosen)
        if item == "menu_reprint":
            which = (
                say("no_slip_yet", language) if last is None else f"{say('transaction', language)} {last:06d}"
            )
            column.text(f"（{which}）" if language == "ja" else f"({which})", size=12, ink=MUTED, centre=True)
        column.gap(6)
    _notice(column, notice, look)
    return column.image


def menu_done_screen(
    code: str,
    *,
    transaction: int | None = None,
    figures: Figures | None = None,
    notice: str | None = None,
    look: Look = DEFAULT_LOOK,
) -> Image.Image:
    """What a menu choice did (``code``): a slip printed again (``transaction``'s), today's figures
    printed (a summary of ``figures``), or what stopped it and what to do."""
    column = blank(look)
    language = look.language
    column.footer(say("next_visitor", language), size=12, ink=MUTED)
    column.band(say(code, language), fill=HEADER if code in DONE else PROBLEM, ink=PAPER, size=18)
    column.gap(10)
    if code not in DONE and (next_step := action(code, language)):
        column.text(next_step, size=15, ink=INK)
        column.gap(6)
    if transaction is not None:
        column.text(f"{say('transaction', language)} {transaction:06d}", size=16, ink=INK, centre=True)
    if figures is not None:
        total = figures.total
        column.text(f"{say('transactions_count', language)} {total.transactions}", size=18, ink=INK)
        column.text(f"{say('at_or_above', language)} {total.at_or_above}", size=15, ink=AT_OR_ABOVE)
        column.text(f"{say('below', language)} {total.below}", size=15, ink=BELOW)
    _notice(column, notice, look)
    return column.image


def _item(column: TextColumn, text: str, *, selected: bool) -> None:
    """One menu item, a framed row across the column; the chosen one reversed."""
    font = column.font(17)
    height = column.line_height(font) + round(8 * column.unit)
    if not column.fits(height):
        column.dropped += 1
        return
    box = (column.margin, column.y, column.image.width - column.margin, column.y + height)
    column.draw.rectangle(box, fill=HEADER if selected else PAPER, outline=HEADER if selected else MUTED)
    marker = "▶ " if selected else "　"
    column.draw.text(
        (column.margin * 2, column.y + height // 2),
        marker + text,
        font=font,
        fill=PAPER if selected else INK,
        anchor="lm",
    )
    column.y += height


def _notice(column: TextColumn, code: str | None, look: Look) -> None:
    if code is not None:
        column.gap(6)
        column.text(say(code, look.language), size=13, ink=PROBLEM)
