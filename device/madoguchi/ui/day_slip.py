"""The day slip: one day's figures from the audit record on the slip printer, for the counter's end of
day (the staff menu, ``madoguchi day-slip``).

Transactions by outcome (a score at or above the threshold, below it, each fault), by reference
source, staff's decisions against the threshold, the scores in 10-point bins and the reprints:
counts only, nothing about any visitor.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

from PIL import Image

from madoguchi.audit.figures import BIN_POINTS, BINS, Counts, Figures
from madoguchi.counter.outcome import SCORED
from madoguchi.counter.sources import SOURCES
from madoguchi.language import Language
from madoguchi.ui.canvas import TextColumn
from madoguchi.ui.messages import MESSAGES, say
from madoguchi.ui.slip import BLACK, paper, timestamp, torn_off, where, write

BRACKETED_VALUE = re.compile(r"\s*[（(][^（）()]*\{[^{}]*\}[^（）()]*[）)]")
"""A bracketed part of a message that holds a value ("（残り{tries}回）"): not part of a label."""
VALUE = re.compile(r"\{[^{}]*\}")


def outcome_label(code: str, language: Language) -> str:
    """The words for an outcome or source code as a label, without the values one transaction's
    message has (the tries a chip had left); an unknown code (a later version's) as itself."""
    if code in SOURCES:
        code = SOURCES[code].title
    if code not in MESSAGES:
        return code
    return VALUE.sub("–", BRACKETED_VALUE.sub("", MESSAGES[code](language)))


def day_label(day: date, language: Language) -> str:
    return day.strftime("%Y年%m月%d日") if language == "ja" else day.isoformat()


def outcome_rows(counts: Counts) -> dict[str, int]:
    """Transactions by outcome, a score split at the threshold, the most frequent first."""
    rows = {"at_or_above": counts.at_or_above, "below": counts.below}
    others = {code: n for code, n in counts.outcomes.most_common() if code != SCORED}
    return {code: n for code, n in (rows | others).items() if n or code in rows}


def render_day_slip(
    figures: Figures,
    *,
    municipality: str,
    terminal_id: str,
    printed_at: datetime,
    width_px: int,
    language: Language = "ja",
    font: Path | None = None,
) -> Image.Image:
    """A mode "1" image of ``figures``' first day (the day slip is one day's)."""
    column = paper(width_px, font)
    counts = figures.days[figures.first]
    line = functools.partial(write, column)

    def table(title: str, rows: Mapping[str, int]) -> None:
        column.rule(ink=BLACK)
        line(title)
        for code, count in rows.items():
            line(f"・{outcome_label(code, language)}: {count}", 20)

    line(say("day_slip_title", language), 30, centre=True)
    where(column, language, municipality=municipality, terminal_id=terminal_id)
    line(f"{say('day', language)}: {day_label(figures.first, language)}")
    line(f"{say('printed_at', language)}: {timestamp(printed_at, language)}")
    column.rule(ink=BLACK)
    line(f"{say('transactions_count', language)}: {counts.transactions}", 28)
    table(say("by_outcome", language), outcome_rows(counts))
    table(say("by_source", language), dict(counts.sources.most_common()))
    decisions = dict(counts.decisions) | {"undecided": counts.undecided()}
    table(say("by_decision", language), decisions)
    line(f"・{say('issued_below', language)}: {counts.issued_below}", 20)
    line(f"・{say('refused_at_or_above', language)}: {counts.refused_at_or_above}", 20)
    column.rule(ink=BLACK)
    line(say("histogram", language))
    _histogram(column, counts.histogram)
    column.rule(ink=BLACK)
    line(f"{say('reprints', language)}: {counts.reprints}", 20)
    if figures.damaged:
        line(f"{say('damaged_lines', language)}: {figures.damaged}", 20)
    line(say("no_biometrics", language), 17)
    return torn_off(column)


def _histogram(column: TextColumn, bins: list[int]) -> None:
    """One row per bin: its range, a bar as long as its share of the largest bin, and its count."""
    font = column.font(18)
    height = column.line_height(font)
    label_width = round(80 * column.unit)
    count_width = round(48 * column.unit)
    bar_room = column.width - label_width - count_width
    most = max(bins) or 1
    for index in range(BINS):
        if not column.fits(height):
            column.dropped += 1
            return
        low = index * BIN_POINTS
        label = f"{low}-{low + BIN_POINTS - 1 if index < BINS - 1 else 100}"
        x = column.margin
        column.draw.text((x, column.y), label, font=font, fill=BLACK)
        length = round(bar_room * bins[index] / most)
        top, bottom = column.y + height // 5, column.y + height - height // 5
        if length:
            column.draw.rectangle((x + label_width, top, x + label_width + length, bottom), fill=BLACK)
        count = str(bins[index])
        column.draw.text(
            (x + label_width + length + round(6 * column.unit), column.y), count, font=font, fill=BLACK
        )
        column.y += height
