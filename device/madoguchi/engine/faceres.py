"""HSE FaceRes, the second face descriptor: A. Savchenko's MobileNet trained on VGGFace2, converted to
LiteRT by models/build_faceres.py.

Its 224x224 chip is aligned on five points of our face mesh (eye centres, nose tip, mouth corners)
onto the ArcFace template, scaled from 112 to 224 px and widened by :data:`MARGIN` (a looser frame
than ArcFace's, as the network was evaluated in issue 20). The model takes the RGB chip as pixel
values (0-255) and turns it to BGR minus the ImageNet "caffe" means itself (:data:`CAFFE_BGR_MEANS`).
It returns the 1024-d ``global_pooling/Mean`` features (non-negative: they follow a ReLU6). A
face's descriptor is their mean over its views (the chip, and unless the engine asks for one view
only, its mirror image), its square root taken element by element (a power normalisation: a few
strong features weigh less against the many weak ones; on the tuning folds it cut the fused FNMR at
FMR 1e-4 by 0.6-0.9 points), scaled to unit length; two faces are compared by cosine distance. The
distances of this descriptor and dlib's are fused into one (``fusion.py``). Figures in
models/MODELS.md.
"""

from __future__ import annotations

import cv2
import numpy as np

from madoguchi.engine.align import similarity
from madoguchi.engine.runtime import TfliteModel, summed_output
from madoguchi.privacy import wipe

CHIP_SIZE = 224
FEATURES = 1024
CAFFE_BGR_MEANS = (103.939, 116.779, 123.68)
"""The ImageNet means Keras' ``preprocess_input`` (caffe mode) takes off each BGR channel."""
MARGIN = 1.25
"""The chip covers this many times the width of ArcFace's 112x112 crop, about the same centre."""
# ArcFace's five points on its 112x112 crop (insightface): the eye on the image's left, the eye on
# the image's right, the nose tip, the mouth corner on the image's left, then on its right.
_ARCFACE_112 = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ]
)
CHIP_POINTS = (_ARCFACE_112 - 56.0) * (CHIP_SIZE / 112 / MARGIN) + CHIP_SIZE / 2
# Face-mesh indices of those points: each eye's centre is the midpoint of its two corners.
EYE_CORNERS = ((33, 133), (263, 362))
NOSE_TIP = 1
MOUTH_CORNERS = (61, 291)


def five_points(mesh: np.ndarray) -> np.ndarray:
    """The five ArcFace points of a face, in image pixels, from its 468-point mesh."""
    eyes = [mesh[list(corners)].mean(axis=0) for corners in EYE_CORNERS]
    return np.array([*eyes, mesh[NOSE_TIP], *(mesh[i] for i in MOUTH_CORNERS)], np.float64)


def face_chip(rgb: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """The 224x224 RGB FaceRes chip of the face whose mesh is ``mesh``.

    A face much larger than the chip is first halved (``cv2.pyrDown``) until at most 2x reduction
    is left to bilinear sampling, so that a close-up camera frame is not aliased.
    """
    to_chip = similarity(five_points(mesh), CHIP_POINTS)
    image, halves = rgb, []
    try:
        while np.sqrt(abs(np.linalg.det(to_chip[:, :2]))) < 0.5 and min(image.shape[:2]) > 1:
            image = cv2.pyrDown(image)
            halves.append(image)
            to_chip = to_chip.copy()
            to_chip[:, :2] *= 2  # a pixel of the halved image is two of the last one
        return cv2.warpAffine(
            image, to_chip, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
    finally:
        wipe(*halves)


def chip_views(rgb: np.ndarray, mesh: np.ndarray, *, views: int = 2) -> np.ndarray:
    """The chip, and with ``views`` 2 its mirror image, as one (views, 224, 224, 3) array."""
    chip = face_chip(rgb, mesh)
    try:
        return np.stack([chip, chip[:, ::-1]][:views])
    finally:
        wipe(chip)


class FaceRes:
    """``describe(views)`` returns the unit-length 1024-d FaceRes descriptor of a face's chip views."""

    def __init__(self, model: TfliteModel, *, views: int = 2) -> None:
        if model.input_shape != (1, CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"{model.path.name}: expected a 224x224x3 face-chip input")
        if views not in (1, 2):
            raise ValueError("FaceRes describes a face from its chip, or its chip and mirror image")
        self.model = model
        self.views = views

    def chips(self, rgb: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        return chip_views(rgb, mesh, views=self.views)

    def describe(self, views: np.ndarray) -> np.ndarray:
        """``views``: (N, 224, 224, 3) uint8 chips of one face; the square root of their mean
        features, scaled to unit length."""
        total = summed_output(self.model, views)
        np.sqrt(np.maximum(total, 0.0, out=total), out=total)
        total /= max(float(np.linalg.norm(total)), 1e-6)
        return total


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - cos of the angle between two unit-length descriptors: 0 (same) to 2 (opposite)."""
    return float(1.0 - np.dot(a, b))
