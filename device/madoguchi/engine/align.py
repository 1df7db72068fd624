"""dlib's 150x150 face chip, reproduced with OpenCV so dlib's descriptor sees what it was trained on.

dlib (`get_face_chip_details`, size 150, padding 0.25 as `face_recognition` uses) maps five template
points onto the five landmarks with a least-squares similarity transform and samples bilinearly. When
the face is much larger than the chip it first halves the image (a pyramid) so that no more than
2x downsampling is left to the bilinear sampling; we do the same with `cv2.pyrDown`.
"""

from __future__ import annotations

import cv2
import numpy as np

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


def similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (2x3) taking points ``src`` onto ``dst`` (Umeyama)."""
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, s, vt = np.linalg.svd(covariance)
    d = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1, 1] = -1
    rotation = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / src_c.var(axis=0).sum()
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def face_chip(rgb: np.ndarray, five_points: np.ndarray, *, template: np.ndarray = CHIP_POINTS) -> np.ndarray:
    """The 150x150 RGB chip for a face whose five dlib-order points are ``five_points`` (pixels).

    ``template`` says where those points belong on the chip: dlib's own positions for dlib's
    landmarks, or where another landmark model's points fall on dlib's chips on average.
    """
    to_image = similarity(template, np.asarray(five_points, np.float64))
    # dlib keeps the transform as a box (`centered_drect`) of side 150*scale - 1 around the image of
    # the chip's centre, and maps the first and last chip pixels onto the box's corners.
    centre = to_image[:, :2] @ np.array([CHIP_SIZE / 2, CHIP_SIZE / 2]) + to_image[:, 2]
    scale = np.sqrt(abs(np.linalg.det(to_image[:, :2])))
    linear = to_image[:, :2] * ((CHIP_SIZE * scale - 1) / ((CHIP_SIZE - 1) * scale))
    chip_to_image = np.hstack([linear, (centre - linear @ np.full(2, (CHIP_SIZE - 1) / 2))[:, None]])
    image = rgb
    region = CHIP_SIZE * np.sqrt(abs(np.linalg.det(linear)))  # side of the image region, in pixels
    while region > 2 * CHIP_SIZE and min(image.shape[:2]) > 1:
        image = cv2.pyrDown(image)
        chip_to_image = chip_to_image / 2  # pyrDown keeps every second pixel
        region /= 2
    return cv2.warpAffine(
        image,
        chip_to_image,
        (CHIP_SIZE, CHIP_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_CONSTANT,
    )
