"""Card-scan simulator: a face image in, a scanned page out, as a flatbed scanner would return it.

The reference side of a counter check is a *printed and scanned* portrait, which is where a
face descriptor trained on photographs loses accuracy. This module turns any face image (an LFW
250x250 image, say) into that: it renders the face into the photo area of an ID-card template (or
glues a 45x35 mm print onto an A4 application form), then simulates print and scan — halftone
screen, colour shift, glare, guilloche lines over the portrait, blur, noise, JPEG — and lays the
card on a white-ish scanner page at a random place, quarter turn and small skew.

Every page is a pure function of its seed, so benchmarks are repeatable. The card templates come
from ``../shared/data/id-card-templates`` (DocXPand, MIT); without them a plain card is drawn in
code, so tests run anywhere.

The benchmark hook is :func:`scan_pair_left`::

    page = scan_pair_left(lfw_rgb, seed)           # an A4 page at 300 dpi
    photo = locate_photo(page, engine)              # madoguchi.document.locate
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

CARD_MM = (85.6, 53.98)
A4_MM = (210.0, 297.0)
FORM_PHOTO_MM = (35.0, 45.0)
MM_PER_INCH = 25.4

# Most pages are cards; the rest are A4 application forms with a glued photo.
FORM_SHARE = 0.2
# Small skew of a card laid by hand on the glass, in degrees.
MAX_CARD_SKEW = 4.0
MAX_FORM_SKEW = 1.5
# Share of ID-photo width the portrait's crop takes of an LFW-like image (face centred, about
# 40 % of the width): gives an ICAO-like framing, head about 3/4 of the photo height.
PORTRAIT_CROP = 0.6
NOISE_TILE = 251


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


def default_template_dir() -> Path:
    """``$MADOGUCHI_SHARED/data/id-card-templates``, else ``../shared`` beside the checkout."""
    shared = os.environ.get("MADOGUCHI_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[3].parent / "shared"
    return root / "data" / "id-card-templates"


@lru_cache(maxsize=4)
def load_templates(directory: Path | None = None) -> tuple[CardTemplate, ...]:
    """The DocXPand card fronts found in ``directory``; a plain drawn card when there are none."""
    directory = directory or default_template_dir()
    found = []
    for name, (photo, ghost) in _TEMPLATE_LAYOUT.items():
        bgra = cv2.imread(str(directory / name / "front.png"), cv2.IMREAD_UNCHANGED)
        if bgra is not None and bgra.ndim == 3 and bgra.shape[2] == 4:
            rgba = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)
            found.append(CardTemplate(name, rgba, photo, ghost))
    return tuple(found) or (_synthetic_template(),)


def _synthetic_template() -> CardTemplate:
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


def px(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


def portrait(face_rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop an LFW-like image (face centred) to ID-photo framing and resize it to ``size`` (w, h)."""
    h, w = face_rgb.shape[:2]
    cw = w * PORTRAIT_CROP
    ch = min(h, cw * size[1] / size[0])
    cw = ch * size[0] / size[1]
    x0, y0 = (w - cw) / 2, (h - ch) / 2
    crop = face_rgb[round(y0) : round(y0 + ch), round(x0) : round(x0 + cw)]
    return cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)


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
    photo[:] = portrait(face_rgb, (x1 - x0, y1 - y0))
    _guilloche(photo, rng)
    if template.ghost is not None:
        gx0, gy0, gx1, gy1 = template.ghost
        ghost = card[gy0:gy1, gx0:gx1, :3]
        paper = np.median(card[gy0 - 4 : gy0, gx0:gx1, :3].reshape(-1, 3), axis=0)
        grey = cv2.cvtColor(portrait(face_rgb, (gx1 - gx0, gy1 - gy0)), cv2.COLOR_RGB2GRAY)
        ink = (0.35 + 0.65 * grey.astype(np.float32) / 255)[..., None]
        ghost[:] = (paper * ink).astype(np.uint8)
    return card


def _print(rgb: np.ndarray, rng: np.random.Generator, *, glare: float = 0.35) -> np.ndarray:
    """Print simulation on an RGB(A) image: colour shift, halftone screen, and maybe glare."""
    h, w = rgb.shape[:2]
    levels = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    gain, offset = rng.uniform(0.88, 1.08, 3), rng.uniform(-0.04, 0.04, 3)
    curve = np.clip(levels * gain + offset, 0, 1) ** rng.uniform(0.85, 1.2)
    img = cv2.LUT(np.ascontiguousarray(rgb[..., :3]), (curve * 255).astype(np.uint8)[:, None, :])
    img = img.astype(np.float32) * (1 / 255)
    # A rotated dot screen cos(u)cos(v), written as sums of separable terms to stay cheap.
    angle, period = rng.uniform(0, np.pi / 2), rng.uniform(2.5, 4.5)
    k = 2 * np.pi / period
    x, y = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)[:, None]
    screen = np.zeros((h, w), np.float32)
    for fx, fy in (
        (np.cos(angle) - np.sin(angle), np.sin(angle) + np.cos(angle)),
        (np.cos(angle) + np.sin(angle), np.sin(angle) - np.cos(angle)),
    ):
        screen += np.cos(k * fx * x) * np.cos(k * fy * y) - np.sin(k * fx * x) * np.sin(k * fy * y)
    img *= 1 + (0.5 * rng.uniform(0.0, 0.25)) * (4 * img * (1 - img)) * screen[..., None]
    if rng.random() < glare:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.05, 0.25) * w, rng.uniform(0.05, 0.3) * h
        spot = (np.exp(-(((y - cy) / sy) ** 2)) * np.exp(-(((x - cx) / sx) ** 2)))[..., None]
        img += rng.uniform(0.3, 1.0) * spot * (1 - img) + 0.1 * spot
    out = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    return np.dstack([out, rgb[..., 3]]) if rgb.shape[2] == 4 else out


def _scanner_page(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A white-ish, slightly uneven scanner lid (or paper) page."""
    h, w = shape
    corners = rng.uniform(232, 250) + rng.uniform(-3, 3, 3) + rng.uniform(-5, 5, (2, 2, 1))
    return cv2.resize(np.clip(corners, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)


def _scan(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner optics and encoding on a page region: blur, sensor noise, JPEG."""
    out = cv2.GaussianBlur(region, (0, 0), rng.uniform(0.5, 1.3))
    # Sensor noise from one 251x251 tile repeated: a whole page of normal draws costs ~0.2 s.
    tile = rng.normal(0, rng.uniform(1.0, 3.0), (NOISE_TILE, NOISE_TILE)).astype(np.int16)
    reps = (-(-out.shape[0] // NOISE_TILE), -(-out.shape[1] // NOISE_TILE))
    noise = np.tile(tile, reps)[: out.shape[0], : out.shape[1], None]
    out = np.clip(out + noise, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 92))])
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED) if ok else out


def _rotation(w: int, h: int, angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine matrix turning a w x h image by ``angle`` degrees (counter-clockwise), and its size."""
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    bw, bh = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m[:, 2] += (bw / 2 - w / 2, bh / 2 - h / 2)
    return m, (bw, bh)


def place(
    page: np.ndarray, item_rgba: np.ndarray, angle: float, origin: tuple[int, int], *, shadow: bool = True
) -> None:
    """Lay ``item_rgba`` on ``page`` turned by ``angle`` degrees, its bounding box at ``origin``.

    The item may reach past the page edge; what falls outside is cut off, as on a scanner glass.
    A card's edge casts a faint shadow line under a scanner lamp; ``shadow`` draws it.
    """
    m, (bw, bh) = _rotation(item_rgba.shape[1], item_rgba.shape[0], angle)
    turned = cv2.warpAffine(item_rgba, m, (bw, bh), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    alpha = turned[..., 3].astype(np.float32) / 255
    x, y = origin
    px0, py0 = max(x, 0), max(y, 0)
    px1, py1 = min(x + bw, page.shape[1]), min(y + bh, page.shape[0])
    if px1 <= px0 or py1 <= py0:
        return
    sl = (slice(py0 - y, py1 - y), slice(px0 - x, px1 - x))
    dst = page[py0:py1, px0:px1].astype(np.float32)
    if shadow:
        rim = np.clip(cv2.dilate(alpha, np.ones((5, 5), np.uint8)) - alpha, 0, 1)
        dst *= 1 - 0.25 * rim[sl][..., None]
    a = alpha[sl][..., None]
    page[py0:py1, px0:px1] = (turned[sl][..., :3] * a + dst * (1 - a)).astype(np.uint8)


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
    card = _print(render_card(face_rgb, rng, template), rng)
    card = cv2.resize(card, (px(CARD_MM[0], dpi), px(CARD_MM[1], dpi)), interpolation=cv2.INTER_LINEAR)
    page = _scanner_page((px(page_mm[1], dpi), px(page_mm[0], dpi)), rng)
    random_angle = 90.0 * int(rng.integers(4)) + rng.uniform(-MAX_CARD_SKEW, MAX_CARD_SKEW)
    angle = random_angle if angle is None else angle
    _, (bw, bh) = _rotation(card.shape[1], card.shape[0], angle)
    margin = px(2, dpi)
    x = int(rng.integers(margin, max(margin + 1, page.shape[1] - bw - margin)))
    y = int(rng.integers(margin, max(margin + 1, page.shape[0] - bh - margin)))
    place(page, card, angle, (x, y))
    pad = px(1, dpi)
    y0, y1, x0, x1 = max(y - pad, 0), y + bh + pad, max(x - pad, 0), x + bw + pad
    page[y0:y1, x0:x1] = _scan(page[y0:y1, x0:x1], rng)
    return page


def form_page(face_rgb: np.ndarray, rng: np.random.Generator, dpi: int) -> np.ndarray:
    """An upright A4 application form with boxes, text lines and a 45x35 mm photo glued on."""
    w, h = px(A4_MM[0], dpi), px(A4_MM[1], dpi)
    page = _scanner_page((h, w), rng)
    s = dpi / 300
    ink = (40, 40, 45)
    cv2.putText(
        page, "APPLICATION FORM", (px(20, dpi), px(25, dpi)), cv2.FONT_HERSHEY_DUPLEX, 2.2 * s, ink, 3
    )
    for i, top in enumerate(range(px(40, dpi), px(270, dpi), px(14, dpi))):
        right = px(120, dpi) if top < px(110, dpi) else px(190, dpi)
        cv2.rectangle(
            page, (px(20, dpi), top), (right, top + px(11, dpi)), (90, 90, 95), max(1, round(2 * s))
        )
        words = rng.integers(3, 8)
        cv2.putText(
            page, "FIELD " * int(words), (px(23, dpi), top + px(7, dpi)), 0, 1.0 * s, ink, round(2 * s)
        )
        if i % 3 == 0:
            cv2.line(page, (px(20, dpi), top - px(2, dpi)), (px(190, dpi), top - px(2, dpi)), ink, 1)
    pw, ph = px(FORM_PHOTO_MM[0], dpi), px(FORM_PHOTO_MM[1], dpi)
    photo = _print(portrait(face_rgb, (pw, ph)), rng, glare=0.25)
    photo = cv2.GaussianBlur(photo, (0, 0), 0.6 * s)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    x = px(140, dpi) + int(rng.integers(-px(4, dpi), px(4, dpi) + 1))
    y = px(45, dpi) + int(rng.integers(-px(4, dpi), px(4, dpi) + 1))
    place(page, rgba, rng.uniform(-2.0, 2.0), (x, y), shadow=False)
    return page


def scan_form(face_rgb: np.ndarray, seed: int, *, dpi: int = 300) -> np.ndarray:
    """An A4 form (:func:`form_page`) scanned upright or upside down with a small skew."""
    rng = np.random.default_rng(seed)
    form = form_page(face_rgb, rng, dpi)
    angle = 180.0 * int(rng.integers(2)) + rng.uniform(-MAX_FORM_SKEW, MAX_FORM_SKEW)
    m = cv2.getRotationMatrix2D((form.shape[1] / 2, form.shape[0] / 2), angle, 1.0)
    paper = tuple(int(c) for c in form[5, 5])
    page = cv2.warpAffine(form, m, form.shape[1::-1], borderMode=cv2.BORDER_CONSTANT, borderValue=paper)
    return _scan(page, rng)


def scan_pair_left(left_rgb: np.ndarray, seed: int) -> np.ndarray:
    """The benchmark's reference side: ``left_rgb`` printed and scanned on an A4 page at 300 dpi.

    Mostly an ID card laid anywhere on the glass (``1 - FORM_SHARE`` of seeds), otherwise an
    application form with the photo glued on. Pass the page to ``locate_photo(page, engine)``.
    """
    if np.random.default_rng([seed, 1]).random() < FORM_SHARE:
        return scan_form(left_rgb, seed)
    return scan_card(left_rgb, seed)
