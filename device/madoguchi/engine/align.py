"""dlib's 150x150 face chip, reproduced with OpenCV so dlib's descriptor sees what it was trained on.

dlib (`get_face_chip_details`, size 150, padding 0.25 as `face_recognition` uses) maps five template
points onto the five landmarks with a least-squares similarity transform and samples bilinearly. When
the face is much larger than the chip it first halves the image (a pyramid) so that no more than
2x downsampling is left to the bilinear sampling; we do the same with `cv2.pyrDown`.

We align on all 468 face-mesh points instead of five (`ChipTemplate`): each point is weighted by how
steadily it sits on dlib's chips, so the inner eye corners and the skin around them hold the chip
still and the mouth and jaw, which move with expression, barely count. Five points of one mesh are noisy;
the weighted fit over all of them cut LFW's equal error rate from 0.83 % to 0.70 % (models/MODELS.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from madoguchi.errors import ModelError
from madoguchi.privacy import wipe

CHIP_SIZE = 150
CHIP_PADDING = 0.25
# dlib's mean positions of its five points in a unit face box (dlib/image_transforms/interpolation.h)
_TEMPLATE = np.array(
    [
        [0.8595674595992, 0.2134981538014],
        [0.6460604764104, 0.2289674387677],
        [0.1205750620789, 0.2137274526848],
        [0.3340850613712, 0.2290642403242],
        [0.4901123135679, 0.6277975316475],
    ]
)
CHIP_POINTS = (CHIP_PADDING + _TEMPLATE) / (2 * CHIP_PADDING + 1) * CHIP_SIZE
# The descriptor averages three views of a face: the chip, its mirror image and the chip this much
# closer (a face 3 % larger). Each view's errors are partly its own, so the mean is steadier.
CLOSER_ZOOM = 1.03


@dataclass(frozen=True)
class ChipTemplate:
    """Where each landmark belongs on the 150x150 chip, and how much its position counts.

    Fitted by models/fit_mesh_template.py: the median position of every face-mesh point on dlib's
    chips, weighted by the inverse square of its median distance from there.
    """

    points: np.ndarray
    weights: np.ndarray

    @classmethod
    def load(cls, path: Path, *, landmarks: int) -> ChipTemplate:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            points = np.array(data["points"], np.float64)
            weights = np.array(data["weights"], np.float64)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read the chip template {path.name}: {exc}") from exc
        if points.shape != (landmarks, 2) or weights.shape != (landmarks,) or not (weights > 0).all():
            raise ModelError(f"{path.name}: expected {landmarks} points (x, y) with positive weights")
        return cls(points, weights)


def similarity(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Least-squares similarity transform (2x3) taking points ``src`` onto ``dst`` (Umeyama),
    each pair of points counting by its weight (all alike when ``weights`` is None)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    src_mean, dst_mean = w @ src, w @ dst
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = (dst_c * w[:, None]).T @ src_c
    u, s, vt = np.linalg.svd(covariance)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1
    rotation = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (w @ (src_c**2).sum(axis=1))
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def face_chip(
    rgb: np.ndarray,
    points: np.ndarray,
    *,
    template: np.ndarray = CHIP_POINTS,
    weights: np.ndarray | None = None,
    zoom: float = 1.0,
) -> np.ndarray:
    """The 150x150 RGB chip for a face whose landmarks are ``points`` (pixels).

    ``template`` says where those points belong on the chip (dlib's own five positions for dlib's
    five landmarks), ``weights`` how much each counts; ``zoom`` above 1 brings the face closer.
    """
    centre_of_chip = np.full(2, CHIP_SIZE / 2)
    # Fitted from the image onto the chip, as the template was; dlib fits the other way round, which
    # with noisy points gives a slightly different chip (least squares is not symmetric).
    to_chip = similarity(points, (template - centre_of_chip) * zoom + centre_of_chip, weights)
    to_image = cv2.invertAffineTransform(to_chip)
    # dlib keeps the transform as a box (`centered_drect`) of side 150*scale - 1 around the image of
    # the chip's centre, and maps the first and last chip pixels onto the box's corners.
    centre = to_image[:, :2] @ centre_of_chip + to_image[:, 2]
    scale = np.sqrt(abs(np.linalg.det(to_image[:, :2])))
    linear = to_image[:, :2] * ((CHIP_SIZE * scale - 1) / ((CHIP_SIZE - 1) * scale))
    chip_to_image = np.hstack([linear, (centre - linear @ np.full(2, (CHIP_SIZE - 1) / 2))[:, None]])
    image = rgb
    region = CHIP_SIZE * np.sqrt(abs(np.linalg.det(linear)))  # side of the image region, in pixels
    halves = []
    try:
        while region > 2 * CHIP_SIZE and min(image.shape[:2]) > 1:
            image = cv2.pyrDown(image)
            halves.append(image)
            chip_to_image = chip_to_image / 2  # pyrDown keeps every second pixel
            region /= 2
        return cv2.warpAffine(
            image,
            chip_to_image,
            (CHIP_SIZE, CHIP_SIZE),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
    finally:
        wipe(*halves)


def chip_views(
    rgb: np.ndarray, points: np.ndarray, template: ChipTemplate, *, closer: bool = True
) -> np.ndarray:
    """The views the descriptor averages, as one (3, 150, 150, 3) array: chip, mirror, closer; without
    ``closer`` the first two only (the fused engine, where FaceRes does more than a third view)."""
    chip = face_chip(rgb, points, template=template.points, weights=template.weights)
    views = [chip, chip[:, ::-1]]
    if closer:
        views.append(
            face_chip(rgb, points, template=template.points, weights=template.weights, zoom=CLOSER_ZOOM)
        )
    try:
        return np.stack(views)
    finally:
        wipe(chip, *views[2:])
