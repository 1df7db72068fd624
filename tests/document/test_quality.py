"""The face-image quality gate: each failure gives its measure and its advice code.

The face is scikit-image's ``astronaut()`` with its five points measured once with dlib's
5-point predictor, so these tests need no face models; each test spoils one thing about it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from madoguchi.document import quality
from madoguchi.engine.types import Face, FaceBox

skdata = pytest.importorskip("skimage.data")

POINTS = np.float32([(255, 104), (238, 105), (195, 101), (212, 103), (224, 135)])
BOX = (175.0, 76.0, 265.0, 166.0)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return skdata.astronaut()


def face(points: np.ndarray = POINTS, box: tuple[float, ...] = BOX) -> Face:
    return Face(FaceBox(*box, score=0.9), np.float32(points))


def scaled(image: np.ndarray, factor: float) -> tuple[np.ndarray, Face]:
    small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return small, face(POINTS * factor, tuple(v * factor for v in BOX))


def test_a_good_live_face_passes(image):
    report = quality.assess(image, face(), side="live")
    assert report.ok and report.advice == () and report.failed == ()
    assert 0.5 < report.score <= 1
    assert report.measures["eye_distance"] == pytest.approx(43, abs=1)


def test_reference_needs_iso_eye_distance_else_rescan(image):
    small = quality.assess(image, face(), side="reference")
    assert small.advice == ("rescan_600dpi",) and small.failed == ("eye_distance",)
    big, big_face = scaled(image, 2.0)
    assert quality.assess(big, big_face, side="reference").ok


def test_small_live_face_asks_to_move_closer(image):
    small, small_face = scaled(image, 0.6)
    assert quality.assess(small, small_face, side="live").advice == ("move_closer",)


def test_face_past_the_frame_asks_to_move_back(image):
    crop = image[100:, :]
    shifted = face(POINTS - (0, 100), (BOX[0], BOX[1] - 100, BOX[2], BOX[3] - 100))
    assert "move_back" in quality.assess(crop, shifted, side="live").advice


def test_blur_asks_to_hold_still_or_rescan(image):
    blurred = cv2.GaussianBlur(image, (0, 0), 3.0)
    live = quality.assess(blurred, face(), side="live")
    assert live.advice == ("hold_still",) and live.failed == ("sharpness",)
    assert live.score < quality.assess(image, face(), side="live").score
    big, big_face = scaled(blurred, 2.0)
    assert quality.assess(cv2.GaussianBlur(big, (0, 0), 6.0), big_face, side="reference").advice == (
        "rescan_600dpi",
    )


def test_dark_and_bright(image):
    dark = quality.assess((image * 0.2).astype(np.uint8), face(), side="live")
    assert dark.advice == ("too_dark",)
    bright = np.clip(image.astype(int) * 2 + 80, 0, 255).astype(np.uint8)
    assert quality.assess(bright, face(), side="live").advice == ("too_bright",)


def test_glare_spot_on_a_card(image):
    big, big_face = scaled(image, 2.0)
    glared = big.copy()
    cv2.circle(glared, (int(big_face.points[0, 0]), int(big_face.points[4, 1]) + 20), 45, (250, 250, 250), -1)
    report = quality.assess(cv2.GaussianBlur(glared, (0, 0), 3), big_face, side="reference")
    assert report.advice == ("remove_glare",)


def test_head_turned_or_tilted_asks_to_look_at_camera(image):
    turned = POINTS.copy()
    turned[4, 0] += 0.4 * 43  # nose well off the eye midpoint: head turned
    assert quality.assess(image, face(turned), side="live").advice == ("look_at_camera",)
    centre = tuple(POINTS[:4].mean(axis=0).tolist())
    m = cv2.getRotationMatrix2D(centre, 25, 1.0)
    tilted = cv2.warpAffine(image, m, image.shape[1::-1])
    points = POINTS @ m[:, :2].T + m[:, 2]
    report = quality.assess(tilted, face(points), side="live")
    assert report.advice == ("look_at_camera",) and abs(report.measures["roll"]) > 20


def test_pose_on_a_reference_fails_without_advice(image):
    turned = POINTS.copy()
    turned[4, 0] += 0.4 * 43
    big = cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_AREA)
    report = quality.assess(big, face(turned * 2, tuple(v * 2 for v in BOX)), side="reference")
    assert not report.ok and report.failed == ("pose",) and report.advice == ()


@pytest.mark.parametrize("colour", [(240, 240, 240), (30, 30, 35), (140, 185, 230)])
def test_mask_over_the_lower_face(image, colour):
    masked = image.copy()
    cv2.rectangle(masked, (170, 128), (270, 185), colour, -1)
    report = quality.assess(masked, face(), side="live")
    assert report.advice == ("face_covered",)


def test_advice_codes_are_from_the_list(image):
    dark_blurred = cv2.GaussianBlur((image * 0.2).astype(np.uint8), (0, 0), 3)
    small, small_face = scaled(dark_blurred, 0.5)
    for side in ("live", "reference"):
        report = quality.assess(small, small_face, side=side)
        assert set(report.advice) <= set(quality.ADVICE) and not report.ok


def test_grey_image_is_measured(image):
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    assert quality.assess(grey, face(), side="live").ok
