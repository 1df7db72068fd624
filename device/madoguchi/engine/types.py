"""Plain values that leave the face engine. None of them holds pixels or a descriptor."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class FaceBox:
    """A face's box in the pixel coordinates of the image it was found in."""

    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)


@dataclass(frozen=True)
class Face:
    """A detected face: its box, five points to reason on and the landmarks its chip is aligned on.

    ``points`` is (5, 2) in dlib's 5-point order: outer and inner corner of the eye on the image's
    right, outer and inner corner of the eye on the image's left, and the base of the nose.
    ``mesh`` is the whole face mesh (468, 2); only faces found by the engine have one.
    """

    box: FaceBox
    points: np.ndarray = field(repr=False)
    mesh: np.ndarray | None = field(default=None, repr=False)

    @property
    def eye_distance(self) -> float:
        """Distance between the two eye centres, in pixels (ISO/IEC 29794-5's inter-eye distance)."""
        right = self.points[0:2].mean(axis=0)
        left = self.points[2:4].mean(axis=0)
        return float(np.linalg.norm(right - left))


@dataclass(frozen=True)
class Verification:
    """The result staff see: a 0-100 score to compare with their threshold, and how it came about."""

    score: float
    distance: float
    reference_box: FaceBox
    live_box: FaceBox
