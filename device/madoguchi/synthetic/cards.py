"""ID cards drawn in code: the templated card the print-and-scan benchmark uses, the simulator's
sample My Number card, and a plain card for the speed benchmark and the counter's tests.

The templates are DocXPand's ID-card fronts (MIT) in ``../shared/data/id-card-templates``
(:func:`madoguchi.paths.card_templates`); without them a card is drawn in code, so tests run anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from madoguchi import paths
from madoguchi.synthetic.people import Patch, Person, id_photo, paste
from madoguchi.synthetic.printscan import soft_print
from madoguchi.ui.fonts import find_font, load_font
from madoguchi.units import ID1_MM, mm_to_px

PLAIN_CARD_PX = (1011, 638)
"""A plain card's width and height: ID-1 at 300 dpi."""
PLAIN_CARD_PHOTO = (40, 190, 290, 490)


@dataclass(frozen=True)
class CardTemplate:
    """A card front (RGBA, 1000x631 template pixels) and where its portrait and ghost go."""

    name: str
    image: np.ndarray
    photo: tuple[int, int, int, int]
    ghost: tuple[int, int, int, int] | None = None


# Photo boxes measured on the DocXPand fronts (x0, y0, x1, y1 in template pixels).
_TEMPLATE_LAYOUT = {
    "id_card_td1_a": ((23, 185, 350, 605), None),
    "id_card_td1_b": ((25, 157, 333, 553), (650, 495, 735, 600)),
}


@lru_cache(maxsize=4)
def load_templates(directory: Path | None = None) -> tuple[CardTemplate, ...]:
    """The DocXPand card fronts found in ``directory``; a card drawn in code when there are none."""
    directory = directory or paths.card_templates()
    found = []
    for name, (photo, ghost) in _TEMPLATE_LAYOUT.items():
        bgra = cv2.imread(str(directory / name / "front.png"), cv2.IMREAD_UNCHANGED)
        if bgra is not None and bgra.ndim == 3 and bgra.shape[2] == 4:
            rgba = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)
            found.append(CardTemplate(name, rgba, photo, ghost))
    return tuple(found) or (drawn_template(),)


def drawn_template() -> CardTemplate:
    """A pale card with a header band, text bars, rounded corners and a ghost portrait, laid out
    as DocXPand's ``id_card_td1_b``."""
    h, w = 631, 1000
    ramp = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    card = (np.float32([236, 226, 214]) * (1 - ramp) + np.float32([214, 228, 238]) * ramp).repeat(h, 0)
    card = card.astype(np.uint8)
    cv2.rectangle(card, (0, 0), (w, 120), (120, 150, 190), -1)
    cv2.putText(card, "IDENTITY CARD", (40, 80), cv2.FONT_HERSHEY_DUPLEX, 2.0, (250, 250, 250), 3)
    for i, y in enumerate(range(190, 560, 62)):
        cv2.rectangle(card, (370, y), (370 + 180 + 37 * (i % 4), y + 14), (90, 90, 110), -1)
        cv2.rectangle(card, (370, y + 24), (560 + 61 * (i % 3), y + 46), (40, 40, 50), -1)
    alpha = np.zeros((h, w), np.uint8)
    cv2.rectangle(alpha, (24, 0), (w - 25, h), 255, -1)
    cv2.rectangle(alpha, (0, 24), (w, h - 25), 255, -1)
    for cx, cy in ((24, 24), (w - 25, 24), (24, h - 25), (w - 25, h - 25)):
        cv2.circle(alpha, (cx, cy), 24, 255, -1)
    return CardTemplate("synthetic", np.dstack([card, alpha]), (25, 157, 333, 553), (650, 495, 735, 600))


def _guilloche(region: np.ndarray, rng: np.random.Generator) -> None:
    """Thin, translucent wave lines over the portrait, as security print lies over card photos."""
    h, w = region.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    x = np.arange(0, w, 3, dtype=np.float32)
    period, amplitude = rng.uniform(60, 160), rng.uniform(8, 30)
    for y0 in np.linspace(-h * 0.2, h * 1.2, rng.integers(6, 14)):
        y = y0 + amplitude * np.sin(2 * np.pi * x / period + rng.uniform(0, 6.3)) + 0.3 * x
        cv2.polylines(mask, [np.stack([x, y], 1).astype(np.int32)], False, 255, 1, cv2.LINE_AA)
    alpha = mask[..., None].astype(np.float32) / 255 * rng.uniform(0.2, 0.5)
    colour = rng.uniform(120, 230, 3).astype(np.float32)
    region[:] = (region * (1 - alpha) + colour * alpha).astype(np.uint8)


def render_card(face_rgb: np.ndarray, rng: np.random.Generator, template: CardTemplate) -> np.ndarray:
    """The card front (RGBA, template pixels) with ``face_rgb`` in its photo area and ghost."""
    card = template.image.copy()
    x0, y0, x1, y1 = template.photo
    photo = card[y0:y1, x0:x1, :3]
    photo[:] = id_photo(face_rgb, (x1 - x0, y1 - y0))
    _guilloche(photo, rng)
    if template.ghost is not None:
        gx0, gy0, gx1, gy1 = template.ghost
        ghost = card[gy0:gy1, gx0:gx1, :3]
        paper = np.median(card[gy0 - 4 : gy0, gx0:gx1, :3].reshape(-1, 3), axis=0)
        grey = cv2.cvtColor(id_photo(face_rgb, (gx1 - gx0, gy1 - gy0)), cv2.COLOR_RGB2GRAY)
        ink = (0.35 + 0.65 * grey.astype(np.float32) / 255)[..., None]
        ghost[:] = (paper * ink).astype(np.uint8)
    return card


def plain_card(photo: Patch | None) -> np.ndarray:
    """A plain card filling a 300 dpi page, ``photo`` (if any) in a 250x300 px box on its left."""
    width, height = PLAIN_CARD_PX
    page = np.full((height, width, 3), 235, np.uint8)
    cv2.rectangle(page, (0, 0), (width - 1, height - 1), (180, 190, 200), 8)
    if photo is not None:
        paste(page, photo, PLAIN_CARD_PHOTO)
    cv2.putText(page, "ID CARD", (420, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (60, 60, 60), 5)
    return page


def sample_card_page(person: Person, *, dpi: int = 300) -> np.ndarray:
    """A sample My Number-style card (photo on the left) lying on a 100x70 mm scanner glass."""
    mm = partial(mm_to_px, dpi=dpi)
    glass = Image.new("RGB", (mm(100), mm(70)), (246, 246, 244))
    card = Image.new("RGB", (mm(ID1_MM[0]), mm(ID1_MM[1])), (226, 236, 242))
    draw = ImageDraw.Draw(card)
    font = load_font(find_font(), mm(3.2))
    draw.rectangle((0, 0, card.width, mm(9)), fill=(196, 62, 92))
    draw.text((mm(4), mm(2.2)), "個人番号カード（見本）", font=font, fill=(255, 255, 255))
    card.paste(soft_print(person.head(), (mm(25), mm(32))), (mm(4), mm(15)))
    for row, label in enumerate(("氏名", "住所", "生年月日", "有効期限")):
        y = mm(15 + 8 * row)
        draw.text((mm(33), y), label, font=font, fill=(60, 60, 70))
        draw.rectangle((mm(33), y + mm(4.5), mm(33 + 30 + 6 * (row % 3)), y + mm(5.5)), fill=(120, 120, 130))
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=mm(3), fill=255)
    glass.paste(card, (mm(6), mm(7)), mask)
    return np.array(glass)
