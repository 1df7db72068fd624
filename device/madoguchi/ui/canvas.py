"""A column of text drawn top to bottom on a Pillow image: the one drawer of screens and slips.

Sizes are given in *units* (a screen's unit is 1/240 of its width, a slip's 1/384 of the paper's),
so a layout reads the same at any resolution. The column never draws past its bottom edge: a
footer, once placed, moves the edge up above itself, and text that would cross the edge is not
drawn and is counted in :attr:`TextColumn.dropped`, so content can only be cut short, never
overlap; a paragraph is drawn whole or not at all. Callers put what matters most first.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image, ImageDraw

from madoguchi.ui.fonts import Font, load_font, text_width, wrap

log = logging.getLogger(__name__)

Ink = int | tuple[int, int, int]
LINE_SPACING = 1.3


class TextColumn:
    """Draws wrapped lines, bands and rules down ``image`` between two margins.

        column = TextColumn(Image.new("RGB", (240, 320), "white"), font=path, unit=1.0)
        column.footer("Press CANCEL to stop", size=12, ink=(90, 90, 90))
        column.band("Scanning", fill=(40, 90, 150), ink=(255, 255, 255), size=22)
        column.text("Do not move the document", size=16, ink=(20, 20, 20))

    :param image: the image drawn on, in place.
    :param font: the font file (see :func:`madoguchi.ui.fonts.find_font`).
    :param unit: pixels per layout unit.
    :param margin: the side and top margin, in units.
    :param spacing: line height as a multiple of the font size.
    """

    def __init__(
        self,
        image: Image.Image,
        *,
        font: Path,
        unit: float,
        margin: float = 10,
        spacing: float = LINE_SPACING,
    ) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.font_path = font
        self.unit = unit
        self.spacing = spacing
        self.margin = round(margin * unit)
        self.y = 0
        self.bottom = image.height
        self.dropped = 0

    @property
    def width(self) -> int:
        """The width lines are wrapped to, in pixels."""
        return self.image.width - 2 * self.margin

    def font(self, size: float) -> Font:
        return load_font(self.font_path, max(8, round(size * self.unit)))

    def line_height(self, font: Font) -> int:
        return round(font.size * self.spacing)

    def fits(self, height: int) -> bool:
        return self.y + height <= self.bottom

    def text(self, text: str, *, size: float, ink: Ink, centre: bool = False) -> bool:
        """Wrap ``text`` to the column and draw it if all of it fits above the bottom edge (half a
        sentence would mislead); return whether it was drawn."""
        font = self.font(size)
        height = self.line_height(font)
        lines = wrap(text, font, self.width)
        if not self.fits(height * len(lines)):
            self.dropped += 1
            log.warning("text does not fit above the bottom edge; not drawn: %r", text)
            return False
        for line in lines:
            x = self.margin + (self.width - text_width(font, line)) // 2 if centre else self.margin
            self.draw.text((x, self.y), line, font=font, fill=ink)
            self.y += height
        return True

    def band(self, text: str, *, fill: Ink, ink: Ink, size: float) -> None:
        """A full-width coloured band holding ``text`` (a heading), edge to edge."""
        font = self.font(size)
        top = self.y
        height = self.line_height(font) * len(wrap(text, font, self.width)) + 2 * self.margin
        self.draw.rectangle((0, top, self.image.width, top + height), fill=fill)
        self.y += self.margin
        self.text(text, size=size, ink=ink)
        self.y = top + height

    def gap(self, units: float) -> None:
        self.y += round(units * self.unit)

    def rule(self, *, ink: Ink) -> None:
        """A horizontal line across the column, with a little space above and below."""
        self.gap(4)
        if self.fits(1):
            self.draw.line(
                (self.margin, self.y, self.image.width - self.margin, self.y),
                fill=ink,
                width=max(1, round(2 * self.unit)),
            )
        self.gap(8)

    def footer(self, text: str, *, size: float, ink: Ink) -> None:
        """Draw ``text`` at the bottom of the image and move the column's bottom edge above it."""
        font = self.font(size)
        lines = wrap(text, font, self.width)
        height = self.line_height(font)
        y = self.bottom - self.margin - height * len(lines)
        self.bottom = y - round(4 * self.unit)
        for line in lines:
            self.draw.text((self.margin, y), line, font=font, fill=ink)
            y += height
