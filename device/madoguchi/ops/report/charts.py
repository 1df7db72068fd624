"""The report's charts, drawn with Pillow into a :class:`~madoguchi.ui.canvas.TextColumn` at its
current height: stacked columns (counts per day, scores per bin) and stacked bars (decisions per
side of the threshold), each with its legend. Values are counts; nothing else is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from madoguchi.ui.canvas import Ink, TextColumn
from madoguchi.ui.fonts import text_width

AXIS = (60, 60, 60)
GRID = (225, 225, 225)
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Layer:
    """One layer of a stacked chart: its name in the legend, its colour, a value per column or bar."""

    name: str
    colour: Ink
    values: Sequence[int]


def legend(column: TextColumn, layers: Sequence[Layer], *, size: float = 9) -> None:
    """A row of colour swatches and names, wrapped to the column."""
    font = column.font(size)
    height = column.line_height(font)
    x, swatch, gap = column.margin, round(size * column.unit), round(12 * column.unit)
    for layer in layers:
        width = swatch + round(4 * column.unit) + text_width(font, layer.name)
        if x + width > column.margin + column.width:
            x, column.y = column.margin, column.y + height
        top = column.y + (height - swatch) // 2
        column.draw.rectangle((x, top, x + swatch, top + swatch), fill=layer.colour, outline=AXIS)
        column.draw.text((x + swatch + round(4 * column.unit), column.y), layer.name, font=font, fill=AXIS)
        x += width + gap
    column.y += height


def scale(most: int) -> tuple[int, int]:
    """A round top for an axis holding ``most`` (1, 2, 5, 10, 20, 50 …) and how many steps divide it
    into whole numbers."""
    top = 1
    while top < most:
        top = top * 5 // 2 if str(top)[0] == "2" else top * 2
    return top, min(top, 4 if str(top)[0] == "2" else 5)


def columns(
    column: TextColumn,
    labels: Sequence[str],
    layers: Sequence[Layer],
    *,
    height: float = 150,
    marker: tuple[float, str] | None = None,
) -> None:
    """Stacked columns, one per label, ``height`` units tall with a counted axis on the left;
    ``marker`` (a position in columns, and its name) draws a dashed vertical line (the threshold)."""
    font = column.font(8)
    line = column.line_height(font)
    totals = [sum(layer.values[index] for layer in layers) for index in range(len(labels))]
    top, steps = scale(max(totals, default=0))
    axis_width = text_width(font, str(top)) + round(6 * column.unit)
    left = column.margin + axis_width
    right = column.margin + column.width
    bottom = column.y + round(height * column.unit)
    upper = column.y + line // 2
    for step in range(steps + 1):
        y = bottom - (bottom - upper) * step // steps
        column.draw.line((left, y, right, y), fill=GRID if step else AXIS)
        text = str(top * step // steps)
        column.draw.text((left - round(4 * column.unit), y), text, font=font, fill=AXIS, anchor="rm")
    slot = (right - left) / max(1, len(labels))
    bar = max(1, round(slot * 0.7))
    for index, label in enumerate(labels):
        x = round(left + slot * index + (slot - bar) / 2)
        y = bottom
        for layer in layers:
            value = layer.values[index]
            if value:
                rise = (bottom - upper) * value / top
                column.draw.rectangle((x, round(y - rise), x + bar, y), fill=layer.colour)
                y -= rise
        if totals[index]:
            column.draw.text(
                (x + bar // 2, round(y) - 2), str(totals[index]), font=font, fill=AXIS, anchor="mb"
            )
        column.draw.text((x + bar // 2, bottom + 3), label, font=font, fill=AXIS, anchor="ma", align="center")
    if marker is not None:
        position, name = marker
        x = round(left + slot * position)
        for y in range(upper, bottom, 8):
            column.draw.line((x, y, x, min(bottom, y + 4)), fill=AXIS, width=2)
        column.draw.text((x + 4, upper), name, font=font, fill=AXIS)
    column.y = bottom + 3 + line * max(label.count("\n") + 1 for label in labels) if labels else bottom
    column.gap(4)


def bars(column: TextColumn, labels: Sequence[str], layers: Sequence[Layer], *, size: float = 9) -> None:
    """One horizontal bar per label, its layers side by side as shares of the bar's total, each
    share's count written on it when it fits."""
    font = column.font(size)
    height = column.line_height(font) + round(6 * column.unit)
    label_width = max(text_width(font, label) for label in labels) + round(8 * column.unit)
    left, right = column.margin + label_width, column.margin + column.width
    for index, label in enumerate(labels):
        column.draw.text((column.margin, column.y + height // 2), label, font=font, fill=AXIS, anchor="lm")
        total = sum(layer.values[index] for layer in layers)
        x = float(left)
        for layer in layers:
            value = layer.values[index]
            if not value:
                continue
            width = (right - left) * value / total
            column.draw.rectangle(
                (round(x), column.y, round(x + width), column.y + height - 2), fill=layer.colour
            )
            text = str(value)
            if text_width(font, text) + 4 < width:
                centre = (round(x + width / 2), column.y + height // 2)
                column.draw.text(centre, text, font=font, fill=WHITE, anchor="mm")
            x += width
        if not total:
            column.draw.rectangle((left, column.y, right, column.y + height - 2), outline=GRID)
        column.y += height + round(3 * column.unit)
