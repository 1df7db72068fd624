"""Find the ID photo on a scanned page and cut it out upright, ready for the face engine.

A page is a flatbed scan: an ID card laid anywhere on the glass (at any quarter turn, slightly
skewed), or an A4 application form with a 45x35 mm photo glued on. The search has two stages:

1. *Regions*, by classical image processing on a 50-dpi copy: whatever differs from the page's
   background colour, or has edges, is closed into blobs; each blob's ``minAreaRect`` gives its
   centre, size and skew. No blob at all means a blank page.
2. *Faces*, with the engine's detector on each region, deskewed and turned by quarter turns:
   the likeliest turn (a card lies landscape with its portrait upright) and its opposite, the
   better detector score winning, then the other two if neither convinced. A card where nothing
   convinced is searched again at twice the detail, in tiles: a loosely framed portrait in a
   small window is too small for the detector at the card's scale. On a card the largest face is
   the portrait and its small grey "ghost" portrait is ignored; two full-size portraits far apart
   mean two photos.

The photo is then cut from the full-resolution page around the face, in one affine warp, and the
print's dot structure is smoothed away (:mod:`madoguchi.document.descreen`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np

from madoguchi.document.descreen import descreen
from madoguchi.engine.images import rgb_image
from madoguchi.engine.types import Face
from madoguchi.errors import (
    BlankPage,
    PhotoCutOff,
    PhotoNotFound,
    PhotoRotated,
    PhotoTooSmall,
    SeveralPhotos,
    UnreadableImage,
)
from madoguchi.privacy import TransactionMemory, wipe
from madoguchi.units import MM_PER_INCH

# Resolutions a page may be given at: the scanner's settings (150-1,200 dpi) with room either side.
MIN_DPI, MAX_DPI = 50, 4800
# Regions are found on a copy of the page at this resolution: an A4 page becomes 413x585 px,
# a card 169x106 px — plenty to outline a card or a photo, and about 1 ms of morphology.
REGION_DPI = 50
# A pixel is content when any channel differs this much from the page background (0-255); set
# above scanner noise and lid unevenness (a few levels) but below pale card print (~20-60).
CONTENT_LEVEL = 18
# Edges (morphological gradient on the grey page) also count as content, so a white card on a
# white lid is still outlined by its printed text and its shadow line.
EDGE_LEVEL = 24
# Content closer than this (mm) is one region: joins a card's print into one blob.
CLOSE_MM = 3.0
# A page with less content than this share is blank (a card covers about 7 % of an A4 page).
BLANK_SHARE = 0.001
# Regions smaller than this on their short side (mm) are text, specks or lines of boxes on a
# form, not photos (a form's is 35 mm wide, a card 54 mm tall); each costs detector runs.
MIN_REGION_MM = 15.0
# At most this many regions go to the face detector: card- and photo-sized ones (and the
# photo-sized solid parts of larger print) first, then the larger print itself (a form's rows of
# boxes can outnumber this and each outsize its photo).
MAX_REGIONS = 5
# In print larger than a card (a form), a glued photo merges with the boxes printed around it
# and is too small to detect at the form's scale. Opening the content with this kernel (mm)
# erases text and lines and keeps solid areas; those of photo size become regions of their own.
SOLID_MM = 2.0
PHOTO_MM = (15.0, 65.0)
# A card is 85.6 mm long: regions this long are cards, shorter ones photos (45 mm) on a form,
# longer ones print on a form (whose glued photo may be part of them).
CARD_LENGTH_MM_RANGE = (65.0, 110.0)

# The detector sees each region with its long side at most this many pixels (BlazeFace sees
# 192x192, so a card's face is still ~50 px tall there); small regions stay at full resolution.
DETECT_LONG_PX = 384
# A card searched again is seen this many times larger, cut into tiles in which the smallest
# portrait (CARD_FACE_SHARE) appears about 40 px tall to the detector.
CLOSER = 2.0
# Views narrower than this (a long thin strip of print) cannot hold a face and are skipped; the
# engine refuses images under 32 px.
MIN_VIEW_PX = 48
# Faces below this detector score are not trusted.
MIN_FACE_SCORE = 0.5
# The detector also finds faces in upside-down portraits, with five points that look upright
# (the mesh follows the detector's idea of where the eyes are), but scores them lower (e.g. 0.81
# against 0.97 the right way up). So the likelier turn and its opposite are always both tried
# and the better score wins; when that is below WEAK_SCORE (real portraits score ~0.65-0.97),
# the other two turns are tried as well.
WEAK_SCORE = 0.62
# A face is upright when its eye line is within this many degrees of level and the nose is
# below the eyes; the detector also finds faces lying on their side, which this rejects.
MAX_ROLL_DEG = 35.0
# On a card the portrait's face box is 0.09-0.4 of the card's height (a face filling 45-85 % of a
# 20-28 mm window): faces outside this range of shares are print specks or the detector taking
# the print for a huge face. A ghost portrait (about 0.1) can be inside it: see GHOST_RATIO.
CARD_FACE_SHARE = (0.07, 0.6)
# A card's portrait is its largest face (a ghost portrait is ~1/4 of it); elsewhere the face the
# detector is surest of. Another face is a second photo only if it is at least GHOST_RATIO of
# the portrait's height, at least SAME_PHOTO face heights away (closer, it is a bystander in the
# same photo, which the engine judges; two cards lie ~4 or more apart) and scores
# SECOND_PHOTO_SCORE or more (two real portraits both score high; the print sometimes raises a
# weak false face).
GHOST_RATIO = 0.6
SAME_PHOTO = 2.5
SECOND_PHOTO_SCORE = 0.75

# Skew (degrees off a quarter turn) that deskewing corrects. The simulator (synthetic.scans) lays
# cards with up to 4 degrees of skew and the tests check 10; steeper placements are refused
# rather than scored on untested ground, and staff lay the card square.
MAX_SKEW_DEG = 12.0
# BlazeFace's box is about 2.5 eye distances tall. Below this height (px on the page) the eyes
# are under 50 px apart, and the 150x150 descriptor chip (eyes 51 px apart) would be an
# upsampling of the scan: PhotoTooSmall names the resolution that would do, and the scanner is
# asked for it at once (reference.ScannedPhoto). A card's portrait at 300 dpi gives ~200-260 px.
MIN_FACE_HEIGHT_PX = 125
# Scanners offer resolutions in steps of 100 dpi (150 aside); a rescan asks for the step that
# makes the face RESCAN_MARGIN times MIN_FACE_HEIGHT_PX tall: the detector's box varies by a few
# per cent from one scan to the next, and a face just short of it again would be refused.
DPI_STEP = 100
RESCAN_MARGIN = 1.1
# The head (the face box grown by this share of its height on every side) must lie this many
# pixels inside the page edge, else part of the photo was not scanned.
HEAD_MARGIN = 0.25
EDGE_PX = 2
# The crop around the face: the face box grown by this share of its size on every side, so the
# engine can detect the face again and align a chip with dlib's padding.
CROP_MARGIN = 0.6


class FaceFinder(Protocol):
    """The part of the face engine this module needs (``madoguchi.engine.FaceEngine``)."""

    def find_faces(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Face]: ...


@dataclass(frozen=True)
class LocatedPhoto:
    """The ID photo cut from a page.

    ``image`` is the upright, descreened crop (RGB): the face with a margin of ``CROP_MARGIN`` face
    sizes, so the engine finds it again and aligns its chip. ``box`` is the crop's bounding box on the page
    (x0, y0, x1, y1, page pixels, clipped to the page); ``angle`` is how far the page was turned,
    counter-clockwise in degrees, to make the face upright; ``kind`` says whether the photo was on
    a card or on a form (a photo alone counts as a form).
    """

    image: np.ndarray
    box: tuple[int, int, int, int]
    angle: float
    kind: Literal["card", "form"]


@dataclass(frozen=True)
class _Region:
    center: tuple[float, float]  # page pixels
    size: tuple[float, float]  # page pixels, along and across the deskewed rectangle
    skew: float  # degrees to turn the page (counter-clockwise) to square the rectangle
    touches_edge: bool


@dataclass(frozen=True)
class _Hit:
    center: tuple[float, float]  # the face box's centre, page pixels
    size: tuple[float, float]  # the face box's width and height once upright, page pixels
    angle: float  # degrees to turn the page (counter-clockwise) to make the face upright
    region: _Region
    page_box: tuple[float, float, float, float]  # the face box's bounds on the page
    score: float  # the detector's


def locate_photo(page_rgb: np.ndarray, engine: FaceFinder, *, dpi: int = 300) -> LocatedPhoto:
    """Find the one ID photo on a scanned page; raise a :class:`PhotoNotFound` subclass if none.

    ``page_rgb`` is the scanner's page (any orientation) at ``dpi``, an image as
    :func:`madoguchi.engine.images.rgb_image` takes it (RGB or grey uint8); ``engine`` is the face
    engine (anything with ``find_faces``). Errors, for staff: :class:`UnreadableImage` (not an
    image, or a page under 32 px a side), :class:`BlankPage`, :class:`PhotoNotFound`,
    :class:`SeveralPhotos`, :class:`PhotoTooSmall`, :class:`PhotoCutOff`, :class:`PhotoRotated`.

    The returned ``image`` is the caller's to wipe; every other copy of the page made here, and
    the landmarks of every face the engine found on it, are zeroed before this returns.
    """
    page = rgb_image(page_rgb, what="page")
    if not isinstance(dpi, int) or not MIN_DPI <= dpi <= MAX_DPI:
        raise UnreadableImage(f"the page's resolution must be {MIN_DPI}-{MAX_DPI} dpi, not {dpi!r}")
    with TransactionMemory() as held:  # every copy of the page and every face seen, wiped on return
        if page is not page_rgb:
            held.keep(page)
        return _locate(page, engine, dpi, held)


def _locate(page: np.ndarray, engine: FaceFinder, dpi: int, held: TransactionMemory) -> LocatedPhoto:
    regions = _regions(page, dpi, held)
    hits: list[_Hit] = []
    for region in regions:
        # A form's print is searched (coarsely) only when no photo-sized part of it convinced.
        if _is_form(region, dpi) and any(hit.score >= WEAK_SCORE for hit in hits):
            continue
        hits.extend(_faces_in(page, region, engine, dpi, held))
    hits = _distinct(hits)
    photos = hits[:1] + [hit for hit in hits[1:] if hit.score >= SECOND_PHOTO_SCORE]
    if len(photos) > 1:
        raise SeveralPhotos(f"{len(photos)} photos found on the page; scan one card or form at a time")
    if not hits:
        cut = [r for r in regions if r.touches_edge]
        if cut:
            raise PhotoCutOff("a card or photo touches the page edge and no face was found; move it inwards")
        raise PhotoNotFound(f"no face found in {len(regions)} printed area(s) on the page")
    return _cut(page, hits[0], dpi)


def _distinct(hits: list[_Hit]) -> list[_Hit]:
    """One hit per face, surest first: a form's photo is found both in its own region and in the
    print around it; the view where the detector was surer (of the face and its turn) keeps it."""
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: -h.score):
        if all(
            np.hypot(hit.center[0] - k.center[0], hit.center[1] - k.center[1]) > 0.5 * k.size[1] for k in kept
        ):
            kept.append(hit)
    return kept


def _regions(page: np.ndarray, dpi: int, held: TransactionMemory) -> list[_Region]:
    """Blobs of print on the page, largest first, as deskewed rectangles in page pixels."""
    scale = REGION_DPI / dpi
    if min(page.shape[:2]) * scale < 1:
        raise PhotoNotFound(f"a page of {page.shape[1]}x{page.shape[0]} px at {dpi} dpi cannot hold a photo")
    small = held.keep(cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    background = np.median(small.reshape(-1, 3), axis=0)
    difference = held.keep(small.astype(np.int16))
    difference -= background.astype(np.int16)
    content = (np.abs(difference).max(axis=2) > CONTENT_LEVEL).astype(np.uint8)
    grey = held.keep(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    edges = cv2.morphologyEx(grey, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > EDGE_LEVEL
    content |= edges
    if content.mean() < BLANK_SHARE:
        raise BlankPage("the page is blank; put the card or form face down on the glass")
    k = max(3, round(CLOSE_MM / MM_PER_INCH * REGION_DPI) | 1)
    blobs = cv2.morphologyEx(content, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_side = MIN_REGION_MM / MM_PER_INCH * REGION_DPI
    h, w = small.shape[:2]
    photos: list[_Region] = []  # card- and photo-sized, with the solid parts of larger print
    prints: list[_Region] = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True):
        rect = cv2.minAreaRect(contour)
        if min(rect[1]) < min_side:
            continue
        skew, size = _squared(cv2.boxPoints(rect))
        x, y, bw, bh = cv2.boundingRect(contour)
        touches = x <= 0 or y <= 0 or x + bw >= w or y + bh >= h
        region = _Region(
            (rect[0][0] / scale, rect[0][1] / scale), (size[0] / scale, size[1] / scale), skew, touches
        )
        if _is_form(region, dpi):
            photos += _solid_parts(content, contour, skew, scale)
            prints.append(region)
        else:
            photos.append(region)
    regions = (photos + prints)[:MAX_REGIONS]
    if not regions:
        raise PhotoNotFound("nothing on the page is large enough to be a photo")
    return regions


def _solid_parts(content: np.ndarray, contour: np.ndarray, skew: float, scale: float) -> list[_Region]:
    """Photo-sized solid areas inside a large region (the ``content`` mask at REGION_DPI), as
    regions skewed like their surroundings (a solid blob's own outline can be any shape)."""
    inside = np.zeros_like(content)
    cv2.drawContours(inside, [contour], -1, 1, cv2.FILLED)
    k = max(3, round(SOLID_MM / MM_PER_INCH * REGION_DPI) | 1)
    solid = cv2.morphologyEx(content & inside, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    solid = cv2.morphologyEx(solid, cv2.MORPH_CLOSE, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
    parts, _ = cv2.findContours(solid, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    regions = []
    lo, hi = (mm / MM_PER_INCH * REGION_DPI for mm in PHOTO_MM)
    for part in parts:
        x, y, bw, bh = cv2.boundingRect(part)
        if lo <= min(bw, bh) and max(bw, bh) <= hi:
            regions.append(
                _Region(((x + bw / 2) / scale, (y + bh / 2) / scale), (bw / scale, bh / scale), skew, False)
            )
    return regions


def _squared(corners: np.ndarray) -> tuple[float, tuple[float, float]]:
    """The smallest turn (degrees, counter-clockwise) that squares a rectangle given by its corners,
    and its (width, height) once squared. Independent of ``minAreaRect``'s angle convention."""
    first, second = corners[1] - corners[0], corners[2] - corners[1]
    angle = float(np.degrees(np.arctan2(first[1], first[0])))
    quarter = round(angle / 90)
    lengths = (float(np.hypot(*first)), float(np.hypot(*second)))
    return angle - 90 * quarter, lengths if quarter % 2 == 0 else lengths[::-1]


def _affine(m: np.ndarray) -> np.ndarray:
    return np.vstack([m, (0.0, 0.0, 1.0)])


@dataclass(frozen=True)
class _Patch:
    """The part of the page a view around ``center`` can reach, shrunk once; views at every turn
    are cut from it (the reach does not depend on the turn)."""

    image: np.ndarray
    to_image: np.ndarray  # 2x3: page pixels -> patch pixels
    center: tuple[float, float]  # in patch pixels
    shrink: float  # patch pixels per page pixel (x)


def _patch(page: np.ndarray, center: tuple[float, float], scale: float, size: tuple[int, int]) -> _Patch:
    """Only the part of the page under the view is touched; when shrinking, it is first resized
    with area averaging, so a halftone screen does not alias into moire."""
    reach = 0.5 * np.hypot(*size) / scale + 2
    x0, y0 = max(0, int(center[0] - reach)), max(0, int(center[1] - reach))
    x1, y1 = min(page.shape[1], int(center[0] + reach) + 1), min(page.shape[0], int(center[1] + reach) + 1)
    sub = page[y0:y1, x0:x1]
    sx = sy = 1.0
    if scale < 1:
        sw, sh = max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale))
        sub = cv2.resize(sub, (sw, sh), interpolation=cv2.INTER_AREA)
        sx, sy = sw / (x1 - x0), sh / (y1 - y0)
    to_sub = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy]])
    return _Patch(sub, to_sub, ((center[0] - x0) * sx, (center[1] - y0) * sy), sx)


def _turned(
    patch: _Patch, angle: float, scale: float, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` (w, h) view of ``patch`` turned ``angle`` degrees counter-clockwise and scaled by
    ``scale`` (of the page); and the 2x3 map from page pixels into it."""
    c = patch.center
    turn = cv2.getRotationMatrix2D(c, angle, scale / patch.shrink)
    turn[:, 2] += (size[0] / 2 - c[0], size[1] / 2 - c[1])
    view = cv2.warpAffine(patch.image, turn, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return view, (_affine(turn) @ _affine(patch.to_image))[:2]


def _view(
    page: np.ndarray, center: tuple[float, float], angle: float, scale: float, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` (w, h) image centred on ``center``, turned ``angle`` degrees counter-clockwise
    and scaled by ``scale``; and the 2x3 map from page pixels into it."""
    return _turned(_patch(page, center, scale, size), angle, scale, size)


def _move(points: np.ndarray, m: np.ndarray) -> np.ndarray:
    return np.asarray(points, np.float64) @ m[:, :2].T + m[:, 2]


def _bounds(m: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> tuple[np.ndarray, np.ndarray]:
    """Least and greatest corner of the box (x0, y0, x1, y1) carried through the affine map ``m``."""
    corners = _move(np.float64([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]), m)
    return corners.min(axis=0), corners.max(axis=0)


def _upright(face: Face) -> bool:
    """Eyes level within MAX_ROLL_DEG and above the nose: the face is the right way up."""
    right, left, nose = face.points[0:2].mean(0), face.points[2:4].mean(0), face.points[4]
    dx, dy = right - left
    roll = np.degrees(np.arctan2(dy, dx))
    return (
        face.box.score >= MIN_FACE_SCORE and abs(roll) <= MAX_ROLL_DEG and nose[1] > (left[1] + right[1]) / 2
    )


def _is_card(region: _Region, dpi: int) -> bool:
    return CARD_LENGTH_MM_RANGE[0] <= max(region.size) / dpi * MM_PER_INCH <= CARD_LENGTH_MM_RANGE[1]


def _is_form(region: _Region, dpi: int) -> bool:
    """Print larger than a card: a form (its photo-sized parts come before it in the list)."""
    return max(region.size) / dpi * MM_PER_INCH > CARD_LENGTH_MM_RANGE[1]


def _turn_order(region: _Region, dpi: int) -> tuple[int, ...]:
    """Quarter turns to try, likeliest first.

    A card's portrait is upright when the card lies landscape; anything else is most likely on
    a form, which fits the glass only upright or upside down (its photo's outline is no guide:
    it merges with the boxes printed around it). Then the other two turns, except for print
    larger than a card: an A4 form cannot lie sideways on the glass.
    """
    w, h = region.size
    if _is_form(region, dpi):
        return (0, 2)
    return (1, 3, 0, 2) if _is_card(region, dpi) and h > w else (0, 2, 1, 3)


@dataclass(frozen=True)
class _Sighting:
    """The faces the detector found in one view of a region, and how the view was made."""

    score: float  # the best face's
    faces: list[Face]
    angle: float
    scale: float
    to_view: np.ndarray  # 2x3: page pixels -> view pixels


def _faces_in(
    page: np.ndarray, region: _Region, engine: FaceFinder, dpi: int, held: TransactionMemory
) -> list[_Hit]:
    """The full-size portraits in ``region``: none, one, or several (two cards side by side)."""
    card = _is_card(region, dpi)
    best = _sighting(page, region, engine, dpi, held, closer=False)
    if card and (best is None or best.score < WEAK_SCORE):
        closer = _sighting(page, region, engine, dpi, held, closer=True)
        if closer is not None and (best is None or closer.score > best.score):
            best = closer
    if best is None:
        return []
    order = (lambda f: -f.box.height) if card else (lambda f: -f.box.score)
    portrait, *others = sorted(best.faces, key=order)
    kept = [portrait]
    for face in others:
        near = any(
            np.hypot(*np.subtract(face.box.center, k.box.center)) < SAME_PHOTO * k.box.height for k in kept
        )
        if face.box.height >= GHOST_RATIO * portrait.box.height and not near:
            kept.append(face)
    back = cv2.invertAffineTransform(best.to_view)
    return [_hit(face, back, best.scale, best.angle, region) for face in kept]


def _sighting(
    page: np.ndarray, region: _Region, engine: FaceFinder, dpi: int, held: TransactionMemory, *, closer: bool
) -> _Sighting | None:
    """The turn of ``region`` whose upright faces the detector is surest of, or None.

    ``closer`` looks at the region ``CLOSER`` times larger and has the engine tile the view.
    """
    scale = min(1.0, DETECT_LONG_PX * (CLOSER if closer else 1.0) / max(region.size))
    if min(region.size) * scale < MIN_VIEW_PX:
        return None
    low, high = (0.0, np.inf)
    if _is_card(region, dpi):
        low, high = (share * min(region.size) * scale for share in CARD_FACE_SHARE)
    min_face = max(MIN_VIEW_PX, round(low)) if closer else None
    best: _Sighting | None = None
    upright = (max(1, round(region.size[0] * scale)), max(1, round(region.size[1] * scale)))
    patch = _patch(page, region.center, scale, upright)
    if not np.may_share_memory(patch.image, page):  # shrunk: a copy
        held.keep(patch.image)
    for tried, turn in enumerate(_turn_order(region, dpi)):
        angle = region.skew + 90.0 * turn
        size = upright if turn % 2 == 0 else upright[::-1]
        view, m = _turned(patch, angle, scale, size)
        found = [held.keep_face(f) for f in engine.find_faces(held.keep(view), min_face=min_face)]
        faces = [f for f in found if _upright(f) and low <= f.box.height <= high]
        score = max((f.box.score for f in faces), default=0.0)
        if faces and (best is None or score > best.score):
            best = _Sighting(score, faces, angle, scale, m)
        if best is not None and tried == 1 and best.score >= WEAK_SCORE:
            break
    return best


def _hit(face: Face, back: np.ndarray, scale: float, angle: float, region: _Region) -> _Hit:
    """A face found in a view, carried back to the page through ``back``."""
    b = face.box
    (x0, y0), (x1, y1) = _bounds(back, b.x0, b.y0, b.x1, b.y1)
    center = tuple(_move(np.float64([b.center]), back)[0])
    size = (b.width / scale, b.height / scale)
    return _Hit(center, size, angle, region, (x0, y0, x1, y1), b.score)


def _cut(page: np.ndarray, hit: _Hit, dpi: int) -> LocatedPhoto:
    """Check the photo's skew, size and edges, then cut it upright from the full-resolution page."""
    skew = hit.region.skew
    if abs(skew) > MAX_SKEW_DEG:
        raise PhotoRotated(
            f"the card or photo lies {abs(skew):.0f}° off square (at most {MAX_SKEW_DEG:.0f}° is corrected);"
            " lay it straight on the glass"
        )
    height = hit.size[1]
    if height < MIN_FACE_HEIGHT_PX:
        needed = math.ceil(dpi * MIN_FACE_HEIGHT_PX * RESCAN_MARGIN / max(height, 1.0) / DPI_STEP) * DPI_STEP
        raise PhotoTooSmall(
            f"the face is {height:.0f} px tall at {dpi} dpi ({height / dpi * MM_PER_INCH:.1f} mm);"
            f" at least {MIN_FACE_HEIGHT_PX} px is needed: rescan at {needed} dpi or use a larger photo",
            needed_dpi=needed,
        )
    x0, y0, x1, y1 = hit.page_box
    grow = HEAD_MARGIN * max(hit.size)
    ph, pw = page.shape[:2]
    if min(x0 - grow, y0 - grow, pw - x1 - grow, ph - y1 - grow) < EDGE_PX:
        raise PhotoCutOff("the photo touches the page edge; move the card or form inwards")
    size = (round(hit.size[0] * (1 + 2 * CROP_MARGIN)), round(hit.size[1] * (1 + 2 * CROP_MARGIN)))
    cut, m = _view(page, hit.center, hit.angle, 1.0, size)
    image = descreen(cut, dpi)
    wipe(cut)
    back = cv2.invertAffineTransform(m)
    low, high = _bounds(back, 0, 0, size[0], size[1])
    bx0, by0 = np.clip(low, 0, (pw, ph)).astype(int)
    bx1, by1 = np.clip(high, 0, (pw, ph)).astype(int)
    kind = "card" if _is_card(hit.region, dpi) else "form"
    return LocatedPhoto(image, (int(bx0), int(by0), int(bx1), int(by1)), hit.angle, kind)
