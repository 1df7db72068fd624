"""My Number card fronts with their printed text, scanned: the OCR benchmark's and tests' cards.

A holder (:class:`Holder`) is drawn first: a birth date (in the era for a Japanese national, Western
for a foreign resident), a card issued in the last two months that expires on the 10th birthday
after issue (the 5th for a minor; a foreign resident's may end with the residence period instead),
a security code and a serial number, a name, an address. The front is laid out as
:mod:`madoguchi.document.card_layout` says, with that layout's small misregistration, in one of
a family's fonts at one of its sizes (``PRINT_FAMILIES``); the portrait is printed as the
face benchmark's my-number family prints it, and laminate scratches, the lamp's glare, the lie on
the glass and the scanner (its dpi, blur, colour cast, noise and JPEG) are that family's too
(:mod:`madoguchi.synthetic.families`). A page is a pure function of its family, seed and day::

    page, card = card_scan("gothic", seed, today=date(2026, 6, 1))
    read = CardCodeReader().read(page, dpi=card.conditions.dpi, today=date(2026, 6, 1))

``HELD_OUT_PRINT`` is kept out of all tuning of the reader (regions, thresholds, preprocessing).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from madoguchi.document.card_layout import FIELDS, LABELS, PHOTO, Box
from madoguchi.document.wareki import to_era
from madoguchi.synthetic.families import (
    Conditions,
    draw_conditions,
    draw_lie,
    glare,
    on_glass,
    printed_portrait,
    rounded,
    scratch,
)
from madoguchi.units import ID1_MM, mm_to_px

FONTS = {
    "ipaex-gothic": (Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"), 0),
    "noto-sans": (Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 0),  # 0: JP
    "ipaex-mincho": (Path("/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf"), 0),
    "noto-serif": (Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 0),
    "vl-gothic": (Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf"), 0),
}
"""Debian's Japanese fonts (fonts-ipaexfont, fonts-noto-cjk, fonts-vlgothic): file and face index."""

SUPERSAMPLE = 3
"""Text is drawn this many times finer than the scan and averaged down, as print is scanned."""


@dataclass(frozen=True)
class PrintFamily:
    """How a family prints the card's text: its fonts, a text-size factor range on the layout's
    sizes, the misregistration (mm, either way) of the text against the portrait (one per card:
    the front is printed in one pass) and each line's own wander (mm, either way)."""

    fonts: tuple[str, ...]
    size: tuple[float, float]
    shift_mm: float
    wander_mm: float


PRINT_FAMILIES = {
    "gothic": PrintFamily(("ipaex-gothic", "noto-sans"), (0.85, 1.15), 0.6, 0.25),
    "mincho": PrintFamily(("ipaex-mincho", "noto-serif"), (0.85, 1.15), 0.6, 0.25),
    # another gothic design, a wider size range and more misregistration: kept out of all tuning
    "vl-gothic": PrintFamily(("vl-gothic",), (0.8, 1.2), 0.9, 0.35),
}
HELD_OUT_PRINT = "vl-gothic"
TUNING_PRINT = tuple(name for name in PRINT_FAMILIES if name != HELD_OUT_PRINT)

SURNAMES = ("番号", "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本", "中村", "小林", "加藤")
GIVEN_NAMES = ("花子", "太郎", "陽翔", "結菜", "蓮", "美咲", "大輔", "恵子", "健一", "さくら")
ADDRESSES = (
    "東京都千代田区霞が関2丁目1番2号",
    "神奈川県横浜市中区日本大通1",
    "大阪府大阪市北区中之島1丁目3番20号",
    "北海道札幌市中央区北1条西2丁目",
    "福岡県福岡市中央区天神1丁目8番1号",
)


@dataclass(frozen=True)
class Holder:
    """What one card says of its holder; ``key_b`` is the 照合番号B those facts make."""

    birth: date
    national: bool  # birth date printed in the era (a Japanese national), else Western
    expiry: date
    security_code: str
    serial: str
    name: str
    address: str
    sex: str

    @property
    def key_b(self) -> str:
        return f"{self.birth:%y%m%d}{self.expiry.year:04d}{self.security_code}"

    def birth_text(self, pad: bool) -> str:
        """「平成元年 3月31日生」 (pad: single digits after a space, as the card prints them)."""
        month, day = (f"{v:>2}" if pad else str(v) for v in (self.birth.month, self.birth.day))
        if not self.national:
            return f"{self.birth.year}年{month}月{day}日生"
        era, year = to_era(self.birth)
        return f"{era}{'元' if year == 1 else (f'{year:>2}' if pad else year)}年{month}月{day}日生"

    def expiry_text(self, pad: bool) -> str:
        month, day = (f"{v:>2}" if pad else str(v) for v in (self.expiry.month, self.expiry.day))
        return f"{self.expiry.year}年{month}月{day}日まで有効"


@dataclass(frozen=True)
class PrintedCard:
    """A scanned card: its holder, how its text was printed and how it was scanned."""

    holder: Holder
    family: str
    font: str
    size: float
    conditions: Conditions


def nth_birthday_after(birth: date, issued: date, n: int) -> date:
    """The holder's ``n``-th birthday after ``issued`` (29 February: 28 February in common years)."""
    year = issued.year + n - (1 if (birth.month, birth.day) > (issued.month, issued.day) else 0)
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def draw_holder(rng: np.random.Generator, today: date) -> Holder:
    """A card holder aged 0-110 (ages weighted toward adults), national or foreign resident."""
    age = rng.uniform(0, 110) if rng.random() < 0.25 else rng.uniform(18, 95)  # minors to 大正 births
    age_days = int(age * 365.25)
    issued = today - timedelta(days=int(rng.integers(0, 60)))
    birth = issued - timedelta(days=max(1, age_days))
    national = rng.random() < 0.9
    adult = (issued.year - birth.year - ((issued.month, issued.day) < (birth.month, birth.day))) >= 18
    expiry = nth_birthday_after(birth, issued, 10 if adult else 5)
    if not national and rng.random() < 0.5:  # a residence period's end
        expiry = issued + timedelta(days=int(rng.integers(365, 5 * 365)))
    return Holder(
        birth=birth,
        national=national,
        expiry=expiry,
        security_code="".join(str(d) for d in rng.integers(0, 10, 4)),
        serial="".join(str(d) for d in rng.integers(0, 10, 16)),
        name=f"{SURNAMES[rng.integers(len(SURNAMES))]}　{GIVEN_NAMES[rng.integers(len(GIVEN_NAMES))]}",
        address=str(ADDRESSES[rng.integers(len(ADDRESSES))]),
        sex="女" if rng.random() < 0.5 else "男",
    )


def sketch_face(rng: np.random.Generator) -> np.ndarray:
    """A 250x250 head and shoulders framed as LFW frames a face (what ``printed_portrait`` takes):
    a portrait's dark hair, skin and clothes are all the OCR benchmark needs of it."""
    face = np.empty((250, 250, 3), np.uint8)
    face[:] = rng.uniform(170, 230, 3).astype(np.uint8)
    skin = tuple(int(v) for v in rng.uniform([170, 120, 95], [230, 185, 160]))
    hair = tuple(int(v) for v in rng.uniform(10, 70, 3))
    clothes = tuple(int(v) for v in rng.uniform(20, 160, 3))
    cv2.ellipse(face, (125, 250), (110, 60), 0, 180, 360, clothes, -1)
    cv2.ellipse(face, (125, 110), (58, 72), 0, 0, 360, hair, -1)
    cv2.ellipse(face, (125, 125), (48, 62), 0, 0, 360, skin, -1)
    for x in (105, 145):
        cv2.circle(face, (x, 115), 5, hair, -1)
    cv2.line(face, (110, 158), (140, 158), (120, 60, 60), 3)
    return face


def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    path, index = FONTS[name]
    return ImageFont.truetype(str(path), px, index=index)


def print_front(
    holder: Holder, family: str, conditions: Conditions, rng: np.random.Generator
) -> tuple[np.ndarray, str, float]:
    """The card's front (RGB at the scan's dpi) with its text and portrait; and the font and size
    factor it was printed with."""
    spec = PRINT_FAMILIES[family]
    font_name = spec.fonts[int(rng.integers(len(spec.fonts)))]
    size = float(rng.uniform(*spec.size))
    dpi = conditions.dpi
    fine = SUPERSAMPLE * dpi / 25.4  # pixels per mm while drawing
    w, h = round(ID1_MM[0] * fine), round(ID1_MM[1] * fine)
    tint = rng.uniform(225, 250, 3)
    ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    shade = np.broadcast_to(tint + rng.uniform(-12, 12, 3) * ramp, (h, w, 3)).astype(np.uint8)
    sheet = Image.fromarray(np.ascontiguousarray(shade))
    draw = ImageDraw.Draw(sheet)
    ink = tuple(int(v) for v in rng.uniform(10, 45, 3))
    pad = bool(rng.random() < 0.7)
    texts = {
        "name": holder.name,
        "address": holder.address,
        "birth_date": holder.birth_text(pad),
        "sex": f"性別 {holder.sex}",
        "expiry": holder.expiry_text(pad),
        "serial": holder.serial,
        "security_code": holder.security_code,
        "title": "個人番号カード",
    }
    shift = rng.uniform(-spec.shift_mm, spec.shift_mm, 2)
    for key, text in texts.items():
        field = FIELDS[key]
        dx, dy = shift + rng.uniform(-spec.wander_mm, spec.wander_mm, 2)
        font = _font(font_name, max(6, round(field.text_mm * size * fine)))
        x = field.box.x1 - font.getlength(text) / fine if key == "security_code" else field.box.x0
        draw.text(((x + dx) * fine, (field.box.y0 + dy) * fine), text, font=font, fill=ink)
        if key in LABELS:
            label = _font(font_name, round(2.2 * fine))
            draw.text(
                ((4.0 + dx) * fine, (field.box.y0 + dy + 0.6) * fine), LABELS[key], font=label, fill=ink
            )
    card = cv2.resize(
        np.asarray(sheet), (mm_to_px(ID1_MM[0], dpi), mm_to_px(ID1_MM[1], dpi)), interpolation=cv2.INTER_AREA
    )
    _portrait(card, conditions, rng, PHOTO)
    return card, font_name, size


def _portrait(card: np.ndarray, conditions: Conditions, rng: np.random.Generator, box: Box) -> None:
    dpi = conditions.dpi
    photo = printed_portrait(sketch_face(rng), conditions, (box.x1 - box.x0, box.y1 - box.y0), rng)
    x, y = mm_to_px(box.x0, dpi), mm_to_px(box.y0, dpi)
    ph, pw = photo.shape[:2]
    card[y : y + ph, x : x + pw] = photo[: card.shape[0] - y, : card.shape[1] - x]


def card_scan(family: str, seed: int, *, today: date) -> tuple[np.ndarray, PrintedCard]:
    """A scanned page (RGB at ``card.conditions.dpi``) with a My Number card front printed by
    ``family`` (one of ``PRINT_FAMILIES``), for a holder whose card was issued up to ``today``."""
    if family not in PRINT_FAMILIES:
        raise ValueError(f"unknown print family {family!r}: one of {', '.join(PRINT_FAMILIES)}")
    rng = np.random.default_rng([seed, 21])
    lie = draw_lie("my-number", np.random.default_rng([seed, 22]))
    conditions = draw_conditions("my-number", rng, lie)
    holder = draw_holder(rng, today)
    front, font, size = print_front(holder, family, conditions, rng)
    card = rounded(glare(scratch(front, conditions, rng), lie), conditions.dpi)
    page = on_glass(card, conditions, lie, rng)
    return page, PrintedCard(holder, family, font, size, conditions)
