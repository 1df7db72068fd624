"""Face-image quality gate, after ISO/IEC 29794-5 and the measures of BSI's OFIQ, kept simple.

``assess(rgb, face, side=...)`` measures one face and says whether it is fit to compare and, if
not, what the visitor or staff can do about it. Every measure is taken on a 150x150 patch cut
with dlib's chip geometry (eye centres 51 px apart and level), so values do not depend on the
camera or the scan resolution but on what the face descriptor will see. One call costs well under
a millisecond (one small warp, a Laplacian and a colour conversion).

Measures (``QualityReport.measures``):

- ``eye_distance``: between eye centres, in pixels of ``rgb`` (ISO/IEC 29794-5 inter-eye distance).
- ``sharpness``: variance of the Laplacian inside the face, on the patch (OFIQ's sharpness is a
  learned classifier; this is the classical measure it replaces).
- ``brightness``: mean grey level of the upper face (brows to nose, which a mask leaves bare);
  ``dark``, ``clipped``: its shares at the ends of the range (OFIQ: luminance mean, under- and
  over-exposure prevention).
- ``glare``: share of the face that is near-white and colourless, i.e. specular highlights on a
  card's laminate or on spectacles.
- ``roll`` (degrees), ``yaw`` and ``pitch`` (nose offset from the eye midpoint, in eye distances,
  in the levelled patch; 0 and about 0.8 for a frontal face): head pose from the five points.
- ``occlusion``: colour distance (CIELAB) between the skin between the eyes and the lower face; a
  mask, a hand or a scarf gives a large value (OFIQ uses a segmentation network for this).

Eyes open/closed is not measured. The five points are eye corners, which do not move when eyes
close; the engine's faces also carry the mesh, whose eyelid points (159/145, 386/374) give an eye
opening, but LFW has no closed eyes to set its threshold on: the lid gap over the eye width never
fell below 0.15 there (median 0.32), and the lowest were squints and upward looks, not closed eyes.
It waits for labelled photos of closed eyes.

Input is checked as the engine checks it (:mod:`madoguchi.engine.images`): an RGB or grey uint8
image and a face with finite landmarks, else :class:`~madoguchi.errors.UnreadableImage` or
:class:`~madoguchi.errors.FaceError`. The patch and every image made from it are zeroed on return.

Thresholds were set on LFW (7,701 images, faces from the engine's detector and mesh) and on
synthetic degradations of it (blur, dark and bright exposure, a white or dark mask over the lower
face, a highlight spot); each constant says where its value sits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from madoguchi.engine.images import face_points, rgb_image
from madoguchi.engine.types import Face
from madoguchi.errors import FaceError
from madoguchi.privacy import TransactionMemory, wipe

Side = Literal["reference", "live"]

ADVICE = (
    "rescan_600dpi",
    "remove_glare",
    "look_at_camera",
    "move_closer",
    "move_back",
    "too_dark",
    "too_bright",
    "hold_still",
    "face_covered",
)

# The patch: dlib's 150x150 chip (padding 0.25) puts the eye centres 51 px apart at y = 46.
PATCH = 150
EYES = ((49.0, 46.0), (100.0, 46.0))  # the eye on the image's left, then right
INNER = (slice(28, 126), slice(35, 115))  # brows to chin, cheek to cheek
UPPER = (slice(28, 90), slice(35, 115))  # brows to nose: exposure, unaffected by a mask
BETWEEN_EYES = (slice(38, 58), slice(64, 86))
# Beside the mouth on both sides, and the chin: what a mask, a hand or a scarf covers.
LOWER_FACE = (
    (slice(84, 112), slice(34, 56)),
    (slice(84, 112), slice(94, 116)),
    (slice(112, 128), slice(55, 95)),
)

# Inter-eye distance (px). Reference: ISO/IEC 19794-5's token image has 60; ICAO's portrait
# quality guidance asks 90 (120 preferred); a card portrait at 300 dpi gives ~80-150.
# Live: below 32 the patch is upsampled 1.6x (LFW's median is 41); above 250 the face no
# longer fits a 720p frame with margin.
REFERENCE_MIN_EYES = 60.0
REFERENCE_IDEAL_EYES = 90.0
LIVE_MIN_EYES = 32.0
LIVE_IDEAL_EYES = 51.0
LIVE_MAX_EYES = 250.0
# Sharpness (Laplacian variance on the patch). On LFW: 1st percentile 16, median 60. A Gaussian
# blur of sigma 2 px (a slow shutter, or a poor print) gives median 9, 95th percentile 17.
# Contrast scales it too, so it is judged only when the exposure is in range.
MIN_SHARPNESS = 18.0
GOOD_SHARPNESS = 80.0
# Mean grey level of the upper face. LFW's 0.5th/99.5th percentiles (whole inner face) are 67
# and 188; the limits leave room for darker and lighter skin than LFW's mostly studio-lit faces.
MIN_BRIGHTNESS = 45.0
MAX_BRIGHTNESS = 210.0
# Share of the face crushed to black (< 10) or burnt to white (> 245): OFIQ's exposure measures.
MAX_DARK = 0.25
MAX_CLIPPED = 0.25
# Glare: share of the face near-white (every channel > 225) and colourless (spread < 25). LFW's
# 99th/99.5th percentiles are 0.03/0.05; a scanner-lamp highlight across a cheek is 0.05-0.4.
MAX_GLARE = 0.04
# On a camera frame, near-white over more than this share of the face is a white mask, not a
# reflection: reflections on spectacles cover a few per cent.
LIVE_WHITE_COVER = 0.15
# Pose. ISO/IEC 39794-5 wants a reference within about 5-8 degrees of frontal; for the live side
# of a verification the limits are wider, and the five points are noisy: roll 15 degrees
# (LFW's 0.5th percentile: -11), yaw 0.25 eye distances (about 23 degrees; LFW's 1st/99th
# percentiles: -0.28/0.28), pitch 0.45-1.05 (LFW's 0.5th/99.5th percentiles: 0.46/1.0).
MAX_ROLL = 15.0
MAX_YAW = 0.25
PITCH_RANGE = (0.45, 1.05)
# Occlusion: CIELAB distance (lightness at half weight) between the medians of the skin between
# the eyes and of the lower face. On LFW, beards included: 95th percentile 23, 99th 40. A white,
# black or blue mask from the nose down: 5th percentile 32, 45 and 40.
MAX_OCCLUSION = 35.0


@dataclass(frozen=True)
class QualityReport:
    """What ``assess`` found: raw ``measures``, a 0-1 ``score`` (to pick the best camera frame),
    ``ok`` (every measure in range), ``advice`` (codes from ``ADVICE`` that the visitor or staff
    can act on) and ``failed`` (names of the measures out of range, whether or not advice helps)."""

    measures: dict[str, float] = field(hash=False)
    score: float
    ok: bool
    advice: tuple[str, ...]
    failed: tuple[str, ...]


def _patch(rgb: np.ndarray, face: Face, held: TransactionMemory) -> np.ndarray:
    """The face cut to dlib's chip geometry: eyes level, 51 px apart, at ``EYES``.

    A large face is first shrunk with area averaging around the eyes, so a card's halftone
    screen averages out as it does in the descriptor's chip instead of aliasing into sharpness.
    """
    right, left = face.points[0:2].mean(0), face.points[2:4].mean(0)
    eyes = max(float(np.hypot(*(right - left))), 1e-6)
    scale = (EYES[1][0] - EYES[0][0]) / eyes
    shrink = int(1 / scale)
    reach = 2.6 * eyes  # the patch's corners lie 2.5 eye distances from the eye midpoint
    cx, cy = (right + left) / 2
    x0, y0 = max(0, int(cx - reach)), max(0, int(cy - reach))
    x1, y1 = min(rgb.shape[1], int(cx + reach) + 1), min(rgb.shape[0], int(cy + reach) + 1)
    if shrink >= 2 and min(x1 - x0, y1 - y0) >= shrink:  # (a face off the image is not shrunk)
        x1, y1 = x1 - (x1 - x0) % shrink, y1 - (y1 - y0) % shrink  # whole cells: OpenCV's fast path
        size = ((x1 - x0) // shrink, (y1 - y0) // shrink)
        rgb = held.keep(cv2.resize(rgb[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA))
        right, left = (right - (x0, y0)) / shrink, (left - (x0, y0)) / shrink
    angle = np.degrees(np.arctan2(*(right - left)[::-1]))
    m = cv2.getRotationMatrix2D(
        tuple(map(float, left)), float(angle), float(scale * eyes / np.hypot(*(right - left)))
    )
    m[:, 2] += np.float64(EYES[0]) - left
    return cv2.warpAffine(rgb, m, (PATCH, PATCH), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def measure(rgb: np.ndarray, face: Face) -> dict[str, float]:
    """Every measure of the face (see the module docstring), as plain floats."""
    image = rgb_image(rgb)
    right, left = face_points(face).points[0:2].mean(0), face.points[2:4].mean(0)
    if not np.hypot(*(right - left)) >= 1:
        raise FaceError("the face's eyes are less than a pixel apart")
    try:
        return _measure(image, face)
    finally:
        if image is not rgb:
            wipe(image)


def _measure(rgb: np.ndarray, face: Face) -> dict[str, float]:
    right, left, nose = face.points[0:2].mean(0), face.points[2:4].mean(0), face.points[4]
    eyes = float(np.hypot(*(right - left)))
    axis = (right - left) / max(eyes, 1e-6)
    offset = nose - (right + left) / 2
    with TransactionMemory() as held:
        patch = held.keep(_patch(rgb, face, held))
        grey = held.keep(cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY))
        inner, upper = grey[INNER], grey[UPPER]
        r, g, b = (held.keep(channel) for channel in cv2.split(patch[INNER]))
        low, high = held.keep(cv2.min(cv2.min(r, g), b)), held.keep(cv2.max(cv2.max(r, g), b))
        lab = held.keep(cv2.cvtColor(patch, cv2.COLOR_RGB2LAB).astype(np.float32))
        skin = np.median(lab[BETWEEN_EYES].reshape(-1, 3), axis=0)
        lower = np.median(np.concatenate([lab[part].reshape(-1, 3) for part in LOWER_FACE]), axis=0)
        return {
            "eye_distance": eyes,
            "sharpness": float(cv2.Laplacian(inner, cv2.CV_32F).var()),
            "brightness": float(upper.mean()),
            "dark": float((upper < 10).mean()),
            "clipped": float((upper > 245).mean()),
            "glare": float(((low > 225) & (cv2.subtract(high, low) < 25)).mean()),
            "roll": float(np.degrees(np.arctan2(axis[1], axis[0]))),
            "yaw": float(offset @ axis / max(eyes, 1e-6)),
            "pitch": float((offset[1] * axis[0] - offset[0] * axis[1]) / max(eyes, 1e-6)),
            "occlusion": float(np.linalg.norm((skin - lower) * (0.5, 1.0, 1.0))),
        }


def _size_check(m: dict[str, float], face: Face, shape: tuple[int, ...], side: Side) -> tuple[str, ...]:
    """Advice on the face's size: rescan a small card photo; step closer or back for the camera."""
    if side == "reference":
        return ("rescan_600dpi",) if m["eye_distance"] < REFERENCE_MIN_EYES else ()
    b, (h, w) = face.box, shape[:2]
    if m["eye_distance"] > LIVE_MAX_EYES or b.x0 < 0 or b.y0 < 0 or b.x1 > w or b.y1 > h:
        return ("move_back",)
    return ("move_closer",) if m["eye_distance"] < LIVE_MIN_EYES else ()


def _terms(m: dict[str, float], side: Side) -> dict[str, float]:
    """A 0-1 goodness per measure group; their geometric mean is the score."""
    ideal = REFERENCE_IDEAL_EYES if side == "reference" else LIVE_IDEAL_EYES
    centre = (MIN_BRIGHTNESS + MAX_BRIGHTNESS) / 2
    pitch_centre = sum(PITCH_RANGE) / 2
    return {
        "size": min(1.0, m["eye_distance"] / ideal),
        "sharpness": min(1.0, m["sharpness"] / GOOD_SHARPNESS),
        "exposure": max(0.0, 1 - abs(m["brightness"] - centre) / (MAX_BRIGHTNESS - MIN_BRIGHTNESS))
        * (1 - min(1.0, m["dark"] + m["clipped"])),
        "glare": 1 - min(1.0, m["glare"] / (2 * MAX_GLARE)),
        "pose": max(0.0, 1 - abs(m["roll"]) / (3 * MAX_ROLL))
        * max(0.0, 1 - abs(m["yaw"]) / (3 * MAX_YAW))
        * max(0.0, 1 - abs(m["pitch"] - pitch_centre) / (3 * (PITCH_RANGE[1] - pitch_centre))),
        "occlusion": 1 - min(1.0, m["occlusion"] / (2 * MAX_OCCLUSION)),
    }


def assess(rgb: np.ndarray, face: Face, *, side: Side) -> QualityReport:
    """Measure ``face`` (found in ``rgb`` by the engine) and judge it as a ``side`` image.

    ``side="reference"`` is the located ID photo (advice for staff: rescan, remove glare);
    ``side="live"`` is a camera frame (advice for the visitor: move, look, hold still).
    """
    if side not in ("reference", "live"):
        raise FaceError(f"side must be 'reference' or 'live', not {side!r}")
    m = measure(rgb, face)
    live = side == "live"
    failed: list[str] = []
    advice: list[str] = []

    def check(name: str, bad: bool, code: str | None) -> None:
        if bad:
            failed.append(name)
            if code and code not in advice:
                advice.append(code)

    size_advice = _size_check(m, face, rgb.shape, side)
    check("eye_distance", bool(size_advice), size_advice[0] if size_advice else None)
    check("underexposure", m["brightness"] < MIN_BRIGHTNESS or m["dark"] > MAX_DARK, "too_dark")
    check("overexposure", m["brightness"] > MAX_BRIGHTNESS or m["clipped"] > MAX_CLIPPED, "too_bright")
    exposed = "underexposure" not in failed and "overexposure" not in failed
    check("sharpness", exposed and m["sharpness"] < MIN_SHARPNESS, "hold_still" if live else "rescan_600dpi")
    pose_bad = abs(m["roll"]) > MAX_ROLL or abs(m["yaw"]) > MAX_YAW
    check(
        "pose",
        pose_bad or not PITCH_RANGE[0] <= m["pitch"] <= PITCH_RANGE[1],
        "look_at_camera" if live else None,
    )
    # A white mask is also near-white and colourless, and glare also changes the lower face's
    # colour: on a camera frame a mask is the likelier cause, on a laminated card glare is.
    glare, covered = (
        m["glare"] > MAX_GLARE,
        m["occlusion"] > MAX_OCCLUSION or (live and m["glare"] > LIVE_WHITE_COVER),
    )
    glare, covered = glare and exposed, covered and exposed  # colours mean little when burnt or black
    if live:
        check("occlusion", covered, "face_covered")
        check("glare", glare and not covered, "remove_glare")
    else:
        check("glare", glare, "remove_glare")
        check("occlusion", covered and not glare, None)
    terms = list(_terms(m, side).values())
    score = float(np.prod(np.maximum(terms, 1e-3)) ** (1 / len(terms)))
    return QualityReport(m, score, not failed, tuple(advice), tuple(failed))
