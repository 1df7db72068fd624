"""Application forms with a photo glued on (申請時来庁): the print-and-scan benchmark's A4 form,
varied by an rng, and the simulator's fixed A5 sample."""

from __future__ import annotations

from functools import partial

import cv2
import numpy as np
from PIL import Image, ImageDraw

from madoguchi.synthetic.people import Person, id_photo
from madoguchi.synthetic.printscan import halftone_print, place, scanner_page, soft_print
from madoguchi.ui.fonts import find_font, load_font
from madoguchi.units import A4_MM, A5_MM, FORM_PHOTO_MM, mm_to_px


def a4_form(face_rgb: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """An upright A4 application form with boxes, text lines and a 35x45 mm photo glued on."""
    px = partial(mm_to_px, dpi=dpi)
    w, h = px(A4_MM[0]), px(A4_MM[1])
    page = scanner_page((h, w), rng)
    s = dpi / 300
    ink = (40, 40, 45)
    cv2.putText(page, "APPLICATION FORM", (px(20), px(25)), cv2.FONT_HERSHEY_DUPLEX, 2.2 * s, ink, 3)
    for i, top in enumerate(range(px(40), px(270), px(14))):
        right = px(120) if top < px(110) else px(190)
        cv2.rectangle(page, (px(20), top), (right, top + px(11)), (90, 90, 95), max(1, round(2 * s)))
        words = rng.integers(3, 8)
        cv2.putText(page, "FIELD " * int(words), (px(23), top + px(7)), 0, 1.0 * s, ink, round(2 * s))
        if i % 3 == 0:
            cv2.line(page, (px(20), top - px(2)), (px(190), top - px(2)), ink, 1)
    pw, ph = px(FORM_PHOTO_MM[0]), px(FORM_PHOTO_MM[1])
    photo = halftone_print(id_photo(face_rgb, (pw, ph)), rng, glare=0.25)
    photo = cv2.GaussianBlur(photo, (0, 0), 0.6 * s)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    x = px(140) + int(rng.integers(-px(4), px(4) + 1))
    y = px(45) + int(rng.integers(-px(4), px(4) + 1))
    place(page, rgba, rng.uniform(-2.0, 2.0), (x, y), shadow=False)
    return page


def sample_form(person: Person, *, dpi: int = 300) -> np.ndarray:
    """A sample application form (A5, to keep scans quick) with the photo glued top right."""
    mm = partial(mm_to_px, dpi=dpi)
    page = Image.new("RGB", (mm(A5_MM[0]), mm(A5_MM[1])), (250, 250, 248))
    draw = ImageDraw.Draw(page)
    title, body = load_font(find_font(), mm(6)), load_font(find_font(), mm(3.5))
    draw.text((mm(10), mm(10)), "交付申請書（見本）", font=title, fill=(30, 30, 30))
    for row in range(12):
        y = mm(60 + 11 * row)
        draw.rectangle((mm(10), y, mm(138), y + mm(9)), outline=(90, 90, 95), width=2)
        draw.text((mm(12), y + mm(2.5)), "記入欄", font=body, fill=(90, 90, 95))
    page.paste(soft_print(person.head(), (mm(FORM_PHOTO_MM[0]), mm(FORM_PHOTO_MM[1]))), (mm(100), mm(10)))
    return np.array(page)
