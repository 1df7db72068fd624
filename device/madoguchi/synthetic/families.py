"""Card-scan generator families that share nothing with the pipeline's tuning (`scans.py` does).

Each family draws every parameter of a scanned reference from the ranges in ``FAMILIES`` (by seed,
so a page is a pure function of family and seed): how tightly the portrait is framed in its window,
where the window is, how the portrait is printed (dye sublimation; a laser printer's AM dot screen;
an inkjet's FM dither), the laminate's scratches, and the scanner's resolution, blur, colour cast,
noise and JPEG. How the card lies on the glass is drawn apart from the card (:class:`Lie`): where
and at what turn, and the scanner lamp's glare on the laminate, which depends on how the card lies.
Staff laying the card again (``laid``) draw a new lie of the same card. The card or form is drawn
here in code (no DocXPand template, no guilloche, no halftone of ``printscan.py``), printed at the
printer's resolution and resampled to the scanner's, so halftone screens alias as they do on a real
flatbed (the card's tint and text are drawn at the scanner's resolution: only the portrait goes
through the printer model).

``HELD_OUT`` is kept out of all tuning (detector, crop, descreening, reference views, score
calibration): its figures show how the pipeline generalises to cards nobody tuned it for.

    page, conditions = family_scan(lfw_rgb, "my-number", seed)
    photo = locate_photo(page, engine, dpi=conditions.dpi)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from madoguchi.synthetic.printscan import place, rotation
from madoguchi.units import A4_MM, FORM_PHOTO_MM, ID1_MM, mm_to_px

PRINT_DPI = 600
"""The printers' addressable resolution (laser and inkjet); dye sublimation prints at 300 dpi."""
DYE_DPI = 300
GLASS_MM = (125.0, 100.0)
"""The part of the scanner glass a card page covers: a card at any turn fits with room to spare."""

# An LFW (deep-funneled, 250x250) face: centre of crown-to-chin and its height, in pixels. The
# portrait window is framed around it; "framing" is the face's share of the window's height
# (Japanese ID-photo rules ask for 32-36 mm of 45 mm, about 0.7-0.8).
LFW_FACE_CENTRE = (125.0, 118.0)
LFW_FACE_HEIGHT = 128.0
PHOTO_ASPECT = FORM_PHOTO_MM[0] / FORM_PHOTO_MM[1]


@dataclass(frozen=True)
class Family:
    """Ranges every page of a family is drawn from (uniform unless weights are given)."""

    layout: str  # "photo-left", "photo-right" or "form"
    framing: tuple[float, float]  # face height / window height
    window_mm: tuple[float, float]  # window height on a card (a form's print is 45 mm)
    prints: dict[str, float]  # print type -> probability
    dpi: dict[int, float]  # scanner resolution -> probability
    glare: float  # probability that a lie shows laminate or photo-paper glare
    scratches: int  # at most this many scratches


FAMILIES = {
    # A generic ID-1 card: photo on the left (sometimes right), a small ghost portrait, any print.
    "id-card": Family(
        layout="photo-left",
        framing=(0.45, 0.8),
        window_mm=(20.0, 28.0),
        prints={"dye-sub": 0.4, "laser-am": 0.4, "inkjet-fm": 0.2},
        dpi={200: 0.2, 300: 0.4, 400: 0.2, 600: 0.2},
        glare=0.5,
        scratches=5,
    ),
    # A My Number card-like front: photo on the right, tightly framed, laser or dye printed under
    # a laminate; the family kept out of all tuning.
    "my-number": Family(
        layout="photo-right",
        framing=(0.55, 0.85),
        window_mm=(24.0, 27.0),
        prints={"dye-sub": 0.5, "laser-am": 0.5},
        dpi={200: 0.2, 300: 0.5, 400: 0.15, 600: 0.15},
        glare=0.6,
        scratches=6,
    ),
    # The application form with a 45x35 mm print glued on (a photo booth's dye print or a home
    # inkjet's); A4 is scanned at 200-400 dpi (600 dpi A4 pages are 100 MB).
    "form": Family(
        layout="form",
        framing=(0.6, 0.85),
        window_mm=(45.0, 45.0),
        prints={"dye-sub": 0.5, "inkjet-fm": 0.35, "laser-am": 0.15},
        dpi={200: 0.3, 300: 0.5, 400: 0.2},
        glare=0.2,
        scratches=1,
    ),
}
HELD_OUT = "my-number"
TUNING = tuple(name for name in FAMILIES if name != HELD_OUT)


@dataclass(frozen=True)
class Conditions:
    """What one page was made with: the per-condition breakdown of the benchmark reads these."""

    family: str
    layout: str
    framing: float
    window_mm: float
    print_type: str
    dpi: int
    glare: float  # peak strength on this lie, 0 = none
    scratches: int
    blur_px: float
    jpeg_quality: int
    cast: tuple[float, float, float]
    rescanned_from: int | None = None
    """The resolution of the first scan, when the pipeline asked for this one (a photo too small)."""
    laid: int = 0
    """How many times staff laid the card again before this scan (the quality gate saw glare)."""


@dataclass(frozen=True)
class Lie:
    """How the card lies on the glass for one scan; laying it again draws a new one.

    The lamp's specular band on the laminate depends on how the card lies (its bow against the
    glass, its turn to the lamp), so it is drawn with the lie, not with the card.
    """

    glare: float  # peak strength of the band, 0 = none
    band: tuple[float, float, float, float]  # angle (rad), centre x and y (card fractions), width
    quarter_turns: int
    skew_deg: float
    place: tuple[float, float]  # where on the free glass, as fractions


SQUARE = Lie(glare=0.0, band=(0.0, 0.5, 0.5, 0.1), quarter_turns=0, skew_deg=0.0, place=(0.0, 0.0))
"""A card laid square in the corner of the glass, without glare: for a drawing that needs a lie but
not its effects."""


def _pick(rng: np.random.Generator, weights: dict) -> object:
    keys = list(weights)
    return keys[int(rng.choice(len(keys), p=np.array(list(weights.values())) / sum(weights.values())))]


def draw_conditions(family: str, rng: np.random.Generator, lie: Lie, laid: int = 0) -> Conditions:
    """A card of ``family`` drawn from ``rng``, as scanned lying as ``lie`` after ``laid`` relays."""
    f = FAMILIES[family]
    layout = f.layout
    if layout == "photo-left" and rng.random() < 0.3:
        layout = "photo-right"
    return Conditions(
        family=family,
        layout=layout,
        framing=float(rng.uniform(*f.framing)),
        window_mm=float(rng.uniform(*f.window_mm)),
        print_type=str(_pick(rng, f.prints)),
        dpi=int(_pick(rng, f.dpi)),
        glare=lie.glare,
        scratches=int(rng.integers(0, f.scratches + 1)),
        blur_px=float(rng.uniform(0.3, 1.4)),
        jpeg_quality=int(rng.integers(40, 96)),
        cast=tuple(float(g) for g in rng.uniform(0.9, 1.1, 3)),
        laid=laid,
    )


def draw_lie(family: str, rng: np.random.Generator) -> Lie:
    return Lie(
        glare=float(rng.uniform(0.25, 0.9)) if rng.random() < FAMILIES[family].glare else 0.0,
        band=(
            float(rng.uniform(0, np.pi)),
            float(rng.uniform(0, 1)),
            float(rng.uniform(0, 1)),
            float(rng.uniform(0.03, 0.2)),
        ),
        quarter_turns=int(rng.integers(4)),
        skew_deg=float(rng.uniform(-5, 5)),
        place=(float(rng.random()), float(rng.random())),
    )


def portrait(
    face_rgb: np.ndarray, framing: float, size: tuple[int, int], rng: np.random.Generator
) -> np.ndarray:
    """The LFW face framed so that it fills ``framing`` of the window's height, off centre by a few
    per cent, on a plain backdrop where the window reaches past the image; (w, h) = ``size``."""
    h = LFW_FACE_HEIGHT / framing
    w = h * PHOTO_ASPECT
    cx = LFW_FACE_CENTRE[0] + rng.uniform(-0.04, 0.04) * w
    cy = LFW_FACE_CENTRE[1] + rng.uniform(-0.03, 0.06) * h
    scale = size[1] / h
    m = np.array([[scale, 0, size[0] / 2 - cx * scale], [0, scale, size[1] / 2 - cy * scale]])
    backdrop = tuple(int(v) for v in rng.uniform(175, 235) + rng.uniform(-12, 12, 3))
    return cv2.warpAffine(
        face_rgb, m, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=backdrop
    )


def _blue_noise(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A tiled threshold map in [0, 1) with little low-frequency energy: an FM (stochastic) screen."""
    tile = rng.random((128, 128)).astype(np.float32)
    tile -= cv2.GaussianBlur(tile, (0, 0), 1.5)
    tile = (np.argsort(np.argsort(tile.ravel())).reshape(tile.shape) / tile.size).astype(np.float32)
    reps = (-(-shape[0] // 128), -(-shape[1] // 128))
    return np.tile(tile, reps)[: shape[0], : shape[1]]


def _am_screen(shape: tuple[int, int], angle_deg: float, period: float) -> np.ndarray:
    """A clustered-dot threshold map in [0, 1] at ``angle_deg``: dots grow from the cell centres."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    a = np.deg2rad(angle_deg)
    u, v = x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)
    k = np.float32(2 * np.pi / period)
    return (1 - (np.cos(k * u) + np.cos(k * v) + 2) / 4).astype(np.float32)


def print_photo(rgb: np.ndarray, print_type: str, rng: np.random.Generator) -> np.ndarray:
    """``rgb`` (at ``PRINT_DPI``) as printed: dye sublimation is continuous tone at 300 dpi; laser
    and inkjet put binary CMYK dots, an AM screen at 100-150 lpi or an FM dither."""
    img = rgb.astype(np.float32) / 255
    if print_type == "dye-sub":
        h, w = img.shape[:2]
        small = cv2.resize(
            img, (w * DYE_DPI // PRINT_DPI, h * DYE_DPI // PRINT_DPI), interpolation=cv2.INTER_AREA
        )
        grey = small.mean(axis=2, keepdims=True)
        small = grey + rng.uniform(0.75, 1.0) * (small - grey)  # dye gamut: a little less saturated
        small *= 1 + rng.uniform(0, 0.02) * np.sin(np.arange(small.shape[0]) * 0.9)[:, None, None]
        out = cv2.resize(cv2.GaussianBlur(small, (0, 0), 0.6), (w, h), interpolation=cv2.INTER_LINEAR)
        return (np.clip(out, 0, 1) * 255).astype(np.uint8)
    cmy = 1 - img
    k = cmy.min(axis=2) * rng.uniform(0.3, 0.8)
    inks = np.dstack([(cmy - k[..., None]) / np.maximum(1 - k[..., None], 1e-3), k])
    shape = img.shape[:2]
    if print_type == "laser-am":
        period = PRINT_DPI / rng.uniform(100, 150)
        base = rng.uniform(0, 90)
        screens = [_am_screen(shape, base + offset, period) for offset in (15, 75, 0, 45)]
    else:
        screens = [_blue_noise(shape, rng) for _ in range(4)]
    dots = [(inks[..., i] > screens[i]).astype(np.float32) for i in range(4)]
    c, m, y, k_dot = dots
    paper = rng.uniform(0.93, 0.98)
    # each ink absorbs its own primary fully and its neighbours a little (impure pigments)
    r = (1 - 0.95 * c - 0.08 * m) * (1 - 0.92 * k_dot)
    g = (1 - 0.95 * m - 0.1 * c - 0.05 * y) * (1 - 0.92 * k_dot)
    b = (1 - 0.95 * y - 0.12 * m) * (1 - 0.92 * k_dot)
    out = paper * np.clip(np.dstack([r, g, b]), 0, 1)
    return (cv2.GaussianBlur(out, (0, 0), 0.5) * 255).astype(np.uint8)


def scratch(rgb: np.ndarray, conditions: Conditions, rng: np.random.Generator) -> np.ndarray:
    """The laminate's scratches, at scan scale."""
    h, w = rgb.shape[:2]
    img = rgb.copy()
    for _ in range(conditions.scratches):
        points = np.cumsum(rng.normal(0, 0.05 * w, (4, 2)), axis=0) + rng.uniform(0, 1, 2) * (w, h)
        shade = int(rng.uniform(0.1, 0.45) * 255)
        cv2.polylines(img, [points.astype(np.int32)], False, (shade, shade, shade), 1, cv2.LINE_AA)
    return img


def glare(rgb: np.ndarray, lie: Lie) -> np.ndarray:
    """The scanner lamp's specular band on the laminate, on top of print and scratches."""
    if lie.glare <= 0:
        return rgb
    h, w = rgb.shape[:2]
    img = rgb.astype(np.float32) / 255
    x, y = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)[:, None]
    a, cx, cy, width = lie.band
    across = (x - cx * w) * np.cos(a) + (y - cy * h) * np.sin(a)
    band = np.exp(-((across / (width * max(w, h))) ** 2))[..., None]
    img += lie.glare * band * (1 - img)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def _text_lines(
    canvas: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator, px: float
) -> None:
    """Grey bars where a card or form carries printed text (names, dates, numbers)."""
    x0, y0, x1, y1 = box
    y = y0
    while y < y1 - 3 * px:
        line = rng.uniform(1.8, 3.2) * px
        length = rng.uniform(0.3, 1.0) * (x1 - x0)
        ink = int(rng.uniform(20, 90))
        cv2.rectangle(canvas, (x0, int(y)), (int(x0 + length), int(y + line)), (ink, ink, ink + 5), -1)
        y += line + rng.uniform(1.5, 4.0) * px


def printed_portrait(
    face_rgb: np.ndarray, conditions: Conditions, size_mm: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """The framed portrait printed at ``PRINT_DPI`` and resampled to the scanner's dpi; (w, h) mm."""
    at_print = (mm_to_px(size_mm[0], PRINT_DPI), mm_to_px(size_mm[1], PRINT_DPI))
    printed = print_photo(portrait(face_rgb, conditions.framing, at_print, rng), conditions.print_type, rng)
    at_scan = (mm_to_px(size_mm[0], conditions.dpi), mm_to_px(size_mm[1], conditions.dpi))
    return cv2.resize(printed, at_scan, interpolation=cv2.INTER_AREA)


def card_front(
    face_rgb: np.ndarray, conditions: Conditions, lie: Lie, rng: np.random.Generator
) -> np.ndarray:
    """An ID-1 card front at the scanner's dpi (RGBA, rounded corners) with the printed portrait,
    under a laminate, with the glare of ``lie``. Only the portrait goes through the printer model;
    text and tint are drawn."""
    dpi = conditions.dpi
    px = dpi / 25.4
    w, h = mm_to_px(ID1_MM[0], dpi), mm_to_px(ID1_MM[1], dpi)
    tint = rng.uniform(200, 250, 3)
    ramp = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    card = np.broadcast_to(tint + rng.uniform(-25, 25, 3) * ramp, (h, w, 3)).astype(np.uint8).copy()
    photo = printed_portrait(
        face_rgb, conditions, (conditions.window_mm * PHOTO_ASPECT, conditions.window_mm), rng
    )
    ph, pw = photo.shape[:2]
    margin = int(rng.uniform(3, 6) * px)
    top = int(min(h - ph - margin / 2, rng.uniform(9, 15) * px))
    left = margin if conditions.layout == "photo-left" else w - pw - margin
    band = tuple(float(v) for v in rng.uniform(60, 200, 3))
    cv2.rectangle(card, (0, 0), (w, int(rng.uniform(5, 9) * px)), band, -1)
    text_x0 = left + pw + margin if conditions.layout == "photo-left" else margin
    text_x1 = w - margin if conditions.layout == "photo-left" else left - margin
    _text_lines(card, (text_x0, int(12 * px), text_x1, h - margin), rng, px)
    card[top : top + ph, left : left + pw] = photo
    return rounded(glare(scratch(card, conditions, rng), lie), dpi)


def rounded(card: np.ndarray, dpi: int) -> np.ndarray:
    """The card (RGB at ``dpi``) as RGBA with an ID-1 card's 3 mm rounded corners."""
    h, w = card.shape[:2]
    alpha = np.zeros((h, w), np.uint8)
    r = int(3 * dpi / 25.4)
    cv2.rectangle(alpha, (r, 0), (w - r, h), 255, -1)
    cv2.rectangle(alpha, (0, r), (w, h - r), 255, -1)
    for cx, cy in ((r, r), (w - r, r), (r, h - r), (w - r, h - r)):
        cv2.circle(alpha, (cx, cy), r, 255, -1)
    return np.dstack([card, alpha])


def form_page(face_rgb: np.ndarray, conditions: Conditions, lie: Lie, rng: np.random.Generator) -> np.ndarray:
    """An A4 form at the scanner's dpi with a 45x35 mm print glued on, slightly turned, lying
    upright or upside down with the glare of ``lie`` on the print."""
    dpi = conditions.dpi
    px = dpi / 25.4
    w, h = mm_to_px(A4_MM[0], dpi), mm_to_px(A4_MM[1], dpi)
    page = np.empty((h, w, 3), np.uint8)
    page[:] = rng.uniform(238, 252, 3).astype(np.uint8)
    for top in np.arange(60, 270, rng.uniform(10, 16)):
        y = int(top * px)
        cv2.rectangle(
            page, (int(15 * px), y), (int(195 * px), y + int(8 * px)), (100, 100, 105), max(1, dpi // 150)
        )
    _text_lines(page, (int(18 * px), int(15 * px), int(120 * px), int(55 * px)), rng, px)
    photo = glare(scratch(printed_portrait(face_rgb, conditions, FORM_PHOTO_MM, rng), conditions, rng), lie)
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    x, y = int(rng.uniform(140, 160) * px), int(rng.uniform(12, 20) * px)
    place(page, rgba, rng.uniform(-3, 3), (x, y), shadow=True)
    if lie.quarter_turns % 2:
        page = cv2.rotate(page, cv2.ROTATE_180)
    return page


def scanner(page: np.ndarray, conditions: Conditions, rng: np.random.Generator) -> np.ndarray:
    """Optics, colour and encoding of the flatbed: blur, colour cast and gamma, noise, JPEG."""
    out = cv2.GaussianBlur(page, (0, 0), conditions.blur_px)
    levels = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    curve = np.clip(levels * np.array(conditions.cast) + rng.uniform(-0.03, 0.03, 3), 0, 1)
    curve = curve ** rng.uniform(0.85, 1.15)
    out = cv2.LUT(out, (curve * 255).astype(np.uint8)[:, None, :])
    noise = np.round(rng.normal(0, rng.uniform(1.0, 4.0), (64, 64, 3)))
    reps = (-(-out.shape[0] // 64), -(-out.shape[1] // 64), 1)
    for part, apply in ((np.clip(noise, 0, 255), cv2.add), (np.clip(-noise, 0, 255), cv2.subtract)):
        out = apply(out, np.tile(part.astype(np.uint8), reps)[: out.shape[0], : out.shape[1]])  # saturating
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, conditions.jpeg_quality])
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED) if ok else out


def family_scan(
    face_rgb: np.ndarray, family: str, seed: int, *, rescan_dpi: int | None = None, laid: int = 0
) -> tuple[np.ndarray, Conditions]:
    """A scanned page (RGB, at ``conditions.dpi``) showing ``face_rgb`` as ``family`` prints it.

    ``rescan_dpi`` scans the same card again at that resolution without touching it (the same
    lie); ``laid`` is how many times staff laid it again: the same card, a new lie.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown card family {family!r}: one of {', '.join(FAMILIES)}")
    rng = np.random.default_rng([seed, 7])
    # the lie's own stream: not [seed, 7, laid], which numpy seeds as [seed, 7] when laid is 0
    lie = draw_lie(family, np.random.default_rng([seed, 8, laid]))
    conditions = draw_conditions(family, rng, lie, laid)
    if rescan_dpi is not None:
        conditions = replace(conditions, dpi=rescan_dpi, rescanned_from=conditions.dpi)
    if conditions.layout == "form":
        return scanner(form_page(face_rgb, conditions, lie, rng), conditions, rng), conditions
    return on_glass(card_front(face_rgb, conditions, lie, rng), conditions, lie, rng), conditions


def on_glass(card: np.ndarray, conditions: Conditions, lie: Lie, rng: np.random.Generator) -> np.ndarray:
    """The card front (RGBA at the scanner's dpi) lying on the glass as ``lie`` says, scanned."""
    dpi = conditions.dpi
    card = cv2.resize(
        card, (mm_to_px(ID1_MM[0], dpi), mm_to_px(ID1_MM[1], dpi)), interpolation=cv2.INTER_AREA
    )
    glass = np.full(
        (mm_to_px(GLASS_MM[1], dpi), mm_to_px(GLASS_MM[0], dpi), 3), rng.uniform(225, 252, 3), np.float32
    )
    glass = glass.astype(np.uint8)
    angle = 90.0 * lie.quarter_turns + lie.skew_deg
    _, (bw, bh) = rotation(card.shape[1], card.shape[0], angle)
    x = int(lie.place[0] * max(1, glass.shape[1] - bw))
    y = int(lie.place[1] * max(1, glass.shape[0] - bh))
    place(glass, card, angle, (x, y))
    return scanner(glass, conditions, rng)
