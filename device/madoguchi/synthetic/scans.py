"""Scanned pages for the print-and-scan benchmark: a face in, a page out, as a flatbed returns it.

A card (:func:`~madoguchi.synthetic.cards.render_card`) or an A4 form
(:func:`~madoguchi.synthetic.forms.a4_form`) is printed, laid on a white-ish scanner page at a
random place, quarter turn and small skew, and scanned (:mod:`~madoguchi.synthetic.printscan`).
Every page is a pure function of its seed, so benchmarks are repeatable::

    page = scan_pair_left(lfw_rgb, seed)           # an A4 page at 300 dpi
    photo = locate_photo(page, engine)              # madoguchi.document.locate
"""

from __future__ import annotations

import cv2
import numpy as np

from madoguchi.synthetic.cards import CardTemplate, load_templates, render_card
from madoguchi.synthetic.forms import a4_form
from madoguchi.synthetic.printscan import halftone_print, place, rotation, scan, scanner_page
from madoguchi.units import A4_MM, ID1_MM, mm_to_px

# Most pages are cards; the rest are A4 application forms with a glued photo.
FORM_SHARE = 0.2
# Small skew of a card laid by hand on the glass, in degrees.
MAX_CARD_SKEW = 4.0
MAX_FORM_SKEW = 1.5


def scan_card(
    face_rgb: np.ndarray,
    seed: int,
    *,
    dpi: int = 300,
    template: CardTemplate | None = None,
    angle: float | None = None,
    page_mm: tuple[float, float] = A4_MM,
) -> np.ndarray:
    """An RGB page (``page_mm`` at ``dpi``) with an ID card showing ``face_rgb``, placed at random.

    The card lies wholly on the page, turned ``angle`` degrees counter-clockwise: by default a
    random quarter turn and a skew of at most ``MAX_CARD_SKEW`` degrees. ``template`` defaults to
    one of :func:`load_templates`, by seed. A ``page_mm`` of about 100x100 (a glass-sized crop
    that holds the card at any turn) makes pages 8x smaller and faster to make and search.
    """
    rng = np.random.default_rng(seed)
    templates = load_templates()
    template = template or templates[int(rng.integers(len(templates)))]
    card = halftone_print(render_card(face_rgb, rng, template), rng)
    card = cv2.resize(
        card, (mm_to_px(ID1_MM[0], dpi), mm_to_px(ID1_MM[1], dpi)), interpolation=cv2.INTER_LINEAR
    )
    page = scanner_page((mm_to_px(page_mm[1], dpi), mm_to_px(page_mm[0], dpi)), rng)
    random_angle = 90.0 * int(rng.integers(4)) + rng.uniform(-MAX_CARD_SKEW, MAX_CARD_SKEW)
    angle = random_angle if angle is None else angle
    _, (bw, bh) = rotation(card.shape[1], card.shape[0], angle)
    margin = mm_to_px(2, dpi)
    x = int(rng.integers(margin, max(margin + 1, page.shape[1] - bw - margin)))
    y = int(rng.integers(margin, max(margin + 1, page.shape[0] - bh - margin)))
    place(page, card, angle, (x, y))
    pad = mm_to_px(1, dpi)
    y0, y1, x0, x1 = max(y - pad, 0), y + bh + pad, max(x - pad, 0), x + bw + pad
    page[y0:y1, x0:x1] = scan(page[y0:y1, x0:x1], rng)
    return page


def scan_form(face_rgb: np.ndarray, seed: int, *, dpi: int = 300) -> np.ndarray:
    """An A4 form (:func:`~madoguchi.synthetic.forms.a4_form`) scanned upright or upside down with a
    small skew."""
    rng = np.random.default_rng(seed)
    form = a4_form(face_rgb, rng, dpi)
    angle = 180.0 * int(rng.integers(2)) + rng.uniform(-MAX_FORM_SKEW, MAX_FORM_SKEW)
    m = cv2.getRotationMatrix2D((form.shape[1] / 2, form.shape[0] / 2), angle, 1.0)
    paper = tuple(int(c) for c in form[5, 5])
    page = cv2.warpAffine(form, m, form.shape[1::-1], borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
    return scan(page, rng)


def scan_pair_left(left_rgb: np.ndarray, seed: int) -> np.ndarray:
    """The benchmark's reference side: ``left_rgb`` printed and scanned on an A4 page at 300 dpi.

    Mostly an ID card laid anywhere on the glass (``1 - FORM_SHARE`` of seeds), otherwise an
    application form with the photo glued on. Pass the page to ``locate_photo(page, engine)``.
    """
    if np.random.default_rng([seed, 1]).random() < FORM_SHARE:
        return scan_form(left_rgb, seed)
    return scan_card(left_rgb, seed)
