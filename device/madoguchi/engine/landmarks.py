"""Face-mesh landmarks (MediaPipe face_landmark, 468 points), five of which match dlib's annotation.

The mesh model sees a 192x192 crop around the detection, rotated so the eyes are level and 1.5x the
detector's box, as MediaPipe's face-landmark graph prepares it. Five of the 468 points match dlib's
5-point annotation: the four eye corners and the base of the nose.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.engine.detect import Detection
from madoguchi.engine.runtime import TfliteModel
from madoguchi.privacy import wipe

INPUT_SIZE = 192
ROI_SCALE = 1.5
POINTS = 468
# Mesh indices in dlib's 5-point order: the eye on the image's right (outer, inner corner), the eye
# on the image's left (outer, inner corner), then the base of the nose (subnasale). The quality gate
# and the page checks reason on these five; the chip is aligned on the whole mesh (align.py).
DLIB_FIVE = (263, 362, 33, 133, 2)


@dataclass(frozen=True)
class Landmarks:
    """468 mesh points in image pixels (x, y); ``depth``, when asked for, is each point's distance
    from the camera relative to the face's centre, in the same pixels (the model's z; larger is
    farther)."""

    points: np.ndarray
    depth: np.ndarray | None = None

    @property
    def five(self) -> np.ndarray:
        return self.points[list(DLIB_FIVE)]


class FaceMesh:
    """``locate(rgb, detection)`` returns the face mesh in image coordinates."""

    def __init__(self, model: TfliteModel) -> None:
        if model.input_shape != (1, INPUT_SIZE, INPUT_SIZE, 3):
            raise ValueError(f"{model.path.name}: expected the 192x192 face-landmark model")
        self.model = model

    def locate(self, rgb: np.ndarray, detection: Detection, *, depth: bool = False) -> Landmarks:
        # detector keypoints 0 and 1: the subject's right and left eye
        to_roi = _roi_transform(detection.keypoints[0], detection.keypoints[1], tuple(detection.box))
        crop = cv2.warpAffine(
            rgb, to_roi, (INPUT_SIZE, INPUT_SIZE), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        tensor = np.empty((1, *crop.shape), np.float32)
        try:
            tensor[0] = crop
            tensor /= 255.0
            mesh, presence = self.model.run(tensor)
        finally:
            wipe(crop, tensor)
        roi_points = mesh.reshape(-1, 3)[:, :2]
        back = cv2.invertAffineTransform(to_roi)
        points = roi_points @ back[:, :2].T + back[:, 2]
        # z is in the input's pixels, as x and y are: scaled back to the image as they are
        z = mesh.reshape(-1, 3)[:, 2] * np.sqrt(abs(np.linalg.det(back[:, :2]))) if depth else None
        try:
            return Landmarks(points.astype(np.float32), None if z is None else z.astype(np.float32))
        finally:
            wipe(mesh, presence, points, *(() if z is None else (z,)))


def _roi_transform(right_eye: np.ndarray, left_eye: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """Affine map from image pixels into the 192x192 mesh input: a square 1.5x the box about its
    centre, rotated so that the line from the subject's right eye to the left eye is level."""
    angle = np.arctan2(left_eye[1] - right_eye[1], left_eye[0] - right_eye[0])
    x0, y0, x1, y1 = box
    centre = ((x0 + x1) / 2, (y0 + y1) / 2)
    side = max(x1 - x0, y1 - y0) * ROI_SCALE
    scale = INPUT_SIZE / side
    cos, sin = np.cos(-angle) * scale, np.sin(-angle) * scale
    # rotate by -angle about the centre, scale, and move the centre to the middle of the input
    matrix = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]])
    matrix[:, 2] = np.array([INPUT_SIZE / 2, INPUT_SIZE / 2]) - matrix[:, :2] @ np.array(centre)
    return matrix
