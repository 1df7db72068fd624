"""What the 468-point face mesh says about a face beyond where it is: how far the head is turned,
whether the eyes are shut, and which points sit on bone (for the planarity check).

Indices are MediaPipe's face mesh, the model :mod:`madoguchi.engine.landmarks` runs.

Eyes: the mesh's own lids hardly follow a closing eye. On a photo whose eyes were painted shut (lid
skin over the opening and a lash line), the eye aspect ratio of the lid points fell from 0.245 to
0.230, within the frame-to-frame jitter; the model draws the lids from the face's shape. So the
mesh only says where each eye is, and :func:`eye_shade` looks there: the middle of an open eye is
iris and pupil, dark against the cheek below it (a ratio near 0.3), the middle of a shut eye is lid
skin (near 0.6-1.0, less where the lash line crosses it).
"""

from __future__ import annotations

import cv2
import numpy as np

# Each eye's opening: outer corner, inner corner, the upper lid margin and the lower one (outer to
# inner, corners left out). The subject's right eye (image left), then the left eye.
EYE_OPENINGS = (
    (33, 133, (246, 161, 160, 159, 158, 157, 173), (7, 163, 144, 145, 153, 154, 155)),
    (263, 362, (466, 388, 387, 386, 385, 384, 398), (249, 390, 373, 374, 380, 381, 382)),
)
# The middle of each lid margin, upper then lower: the centre of the opening lies between them.
EYE_MIDDLES = ((159, 145), (386, 374))
SIDE_RIGHT, SIDE_LEFT, NOSE_TIP = 234, 454, 1
# The nose tip's depth in front of the face's sides over half the distance between the sides, by the
# mesh model's own depth (z): 1.42 on scikit-image's astronaut, about 1.3 on real heads (tip of the
# nose to the tragus, against half the face's width). Used to turn the nose's offset into degrees.
NOSE_DEPTH_RATIO = 1.35
# Points on bone that neither blinking nor speaking moves: forehead, brows' bone, the nose from bridge
# to tip, cheekbones, the face's sides and the eye corners (lids, lips and jaw left out).
RIGID = (
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 19, 94, 2,
    109, 67, 103, 54, 21, 338, 297, 332, 284, 251,
    70, 63, 105, 66, 107, 300, 293, 334, 296, 336,
    33, 133, 362, 263, 130, 359,
    234, 127, 93, 454, 356, 323,
    116, 117, 118, 119, 100, 345, 346, 347, 348, 329,
    205, 425, 50, 280, 203, 423, 129, 358, 98, 327,
)  # fmt: skip


def eye_distance(mesh: np.ndarray) -> float:
    """Between the two eyes' centres (the mean of each eye's corners), in pixels."""
    right = mesh[[33, 133]].mean(axis=0)
    left = mesh[[263, 362]].mean(axis=0)
    return float(np.linalg.norm(right - left))


def yaw_degrees(mesh: np.ndarray) -> float:
    """How far the head is turned, positive towards the visitor's left (the image's right).

    A head turning about its neck moves the nose tip off the midpoint of the face's sides by
    sin(yaw) times its depth while the sides close in by cos(yaw): the offset over half the sides'
    distance is tan(yaw) times :data:`NOSE_DEPTH_RATIO`.
    """
    right, left, nose = mesh[SIDE_RIGHT], mesh[SIDE_LEFT], mesh[NOSE_TIP]
    across = left - right
    half = max(float(np.linalg.norm(across)) / 2, 1e-6)
    offset = float((nose - (right + left) / 2) @ across) / (2 * half)
    return float(np.degrees(np.arctan2(offset / half, NOSE_DEPTH_RATIO)))


def eye_shade(rgb: np.ndarray, mesh: np.ndarray) -> float:
    """How shut the eyes look: the median grey of a disc at the middle of each opening (a sixth of
    the eye's width across) over the median of the cheek just below the lower lid, averaged over both
    eyes. About 0.3 for open eyes; a blink raises it (see the module docstring). NaN when an eye lies
    off the image."""
    shades = []
    for (outer, inner, _, lower), (upper_middle, lower_middle) in zip(EYE_OPENINGS, EYE_MIDDLES, strict=True):
        width = float(np.linalg.norm(mesh[outer] - mesh[inner]))
        centre = (mesh[upper_middle] + mesh[lower_middle]) / 2
        rim = mesh[list(lower)]
        down = np.array([0.0, width])
        cheek = np.concatenate([rim + 0.15 * down, (rim + 0.45 * down)[::-1]])
        reach = np.concatenate([cheek, [centre]])
        x0, y0 = np.floor(reach.min(axis=0) - 0.2 * width).astype(int)
        x1, y1 = np.ceil(reach.max(axis=0) + 0.2 * width).astype(int) + 1
        if x0 < 0 or y0 < 0 or x1 > rgb.shape[1] or y1 > rgb.shape[0] or width < 4:
            return float("nan")
        patch = (
            cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb[y0:y1, x0:x1].copy()
        )
        disc = np.zeros(patch.shape, np.uint8)
        cv2.circle(disc, tuple(int(v) for v in np.round(centre - (x0, y0))), max(1, round(width / 12)), 1, -1)
        below = np.zeros(patch.shape, np.uint8)
        cv2.fillPoly(below, [np.round(cheek - (x0, y0)).astype(np.int32)], 1)
        skin = float(np.median(patch[below > 0])) if below.any() else 0.0
        shades.append(float(np.median(patch[disc > 0])) / max(skin, 1.0))
        patch.fill(0)
    return float(np.mean(shades))
