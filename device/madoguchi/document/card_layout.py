"""Where a My Number card's front carries what 照合番号B is made of, in millimetres.

The front (ID-1, 85.6 x 53.98 mm, landscape, photo on the right) is one national design: name and
address at the top left; the birth date (「平成元年 3月31日生」, in the era for Japanese nationals,
Western for foreign residents) with the sex beside it; the card's expiry (「2035年 3月31日まで有効」,
always Western; the 10th birthday after issue, the 5th for minors); and under the photo the card's
16-digit serial number and its 4-digit security code (セキュリティコード). 照合番号B is the birth date
as YYMMDD, the expiry year and the security code: 14 digits.

:data:`FIELDS` are the boxes the text is printed in; the reader (:mod:`madoguchi.document.card_code`)
looks a few millimetres around each (``Field.region``), and the synthetic cards
(:mod:`madoguchi.synthetic.card_faces`) print there, so both read the same layout.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """A rectangle on the card's front, in mm from its top left corner, upright."""

    x0: float
    y0: float
    x1: float
    y1: float

    def grown(self, dx: float, dy: float) -> Box:
        return Box(self.x0 - dx, self.y0 - dy, self.x1 + dx, self.y1 + dy)


@dataclass(frozen=True)
class Field:
    """A printed line: where it starts (``box``), how tall its characters are, and where the reader
    looks for it (``around``: the box grown by (dx, dy) mm, or a box of its own): the print's
    registration against the portrait, which pins the layout on the scan, varies a little."""

    box: Box
    text_mm: float
    around: tuple[float, float] | Box = (2.0, 1.8)

    @property
    def region(self) -> Box:
        return self.around if isinstance(self.around, Box) else self.box.grown(*self.around)


PHOTO = Box(60.0, 7.5, 82.5, 35.5)
"""The portrait (about 22 x 28 mm)."""

FIELDS = {
    "name": Field(Box(10.0, 3.5, 58.0, 9.0), 4.2),
    "address": Field(Box(10.0, 11.0, 58.0, 20.5), 3.0),
    "birth_date": Field(Box(10.0, 24.5, 41.0, 28.5), 3.0),
    "sex": Field(Box(44.0, 24.5, 58.0, 28.5), 3.0),
    "expiry": Field(Box(10.0, 33.0, 52.0, 37.0), 3.0),
    "serial": Field(Box(61.0, 37.5, 82.5, 39.7), 1.9),
    "security_code": Field(Box(70.0, 41.0, 82.5, 43.6), 2.4, around=Box(66.0, 38.0, 85.0, 46.5)),
    "title": Field(Box(4.0, 46.5, 40.0, 51.0), 3.2),
}
"""Each printed line's box on the upright front. The security code's region also holds part of
the serial number above it: the reader cuts out the line nearest the code's box, and refuses a
line that the region's edge cuts (the serial's)."""

LABELS = {"name": "氏名", "address": "住所"}
"""Small labels printed left of their field, at x = 4 mm."""
