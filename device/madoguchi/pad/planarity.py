"""Planarity: whether the face's landmarks move as one flat picture or as a head.

Any motion of a flat print or screen moves its image by one homography (a plane seen by a pinhole
camera), however the hand tilts it. A head that turns or nods does not: its nose tip moves against
its cheeks and the sides by the ears (parallax). Per frame, the mesh's points on bone
(:data:`~madoguchi.pad.mesh.RIGID`) are compared with those of the first frame: ``motion`` is what a
similarity (shift, turn in the image, scale) leaves unexplained, ``residual`` what the best
homography leaves, both over the eye distance. A plane's residual stays near the mesh's jitter however
large its motion; a head's grows with its turn. The score, ``parallax``, is the median residual of the
fifth of the frames that moved most less that of the half that moved least (the mesh's own jitter on
this face, camera and light). When even the frames that moved most moved less than ``min_motion``,
the signal is undetermined: a print held still, or a visitor who only shifted, shows neither (the
challenge makes a head turn).

Measured on rendered sequences (tests/test_pad_sequences.py): a head turning 20 degrees leaves 0.08
eye distances against 0.011 of jitter; a print tilted 25 degrees by hand, 0.013 against 0.005. The
mesh is not exact on a tilted flat face (its model expects a head), so a plane's parallax is small
but not nil.

A bent print is not flat: curling a photo round a cylinder gives some parallax (the synthetic held-out
family has none; real attacks may).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.engine.align import similarity
from madoguchi.pad.mesh import RIGID, eye_distance


@dataclass(frozen=True)
class PlanarityResult:
    """``score``: the residual where the landmarks moved most less the residual where they moved least,
    in eye distances (NaN when undetermined); ``frames``: frames compared; ``motion``: the median
    motion of the fifth that moved most, in eye distances."""

    score: float
    frames: int
    motion: float


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((a - b) ** 2).sum(axis=1).mean()))


class Planarity:
    """Collects per frame how far the landmarks are from one homography of the first frame's.

    :param min_motion: the motion (eye distances) a frame needs for its ratio to count.
    """

    def __init__(self, *, min_motion: float = 0.02) -> None:
        self.min_motion = min_motion
        self._reference: np.ndarray | None = None
        self._motion: list[float] = []
        self._residual: list[float] = []

    def observe(self, mesh: np.ndarray) -> None:
        points = np.asarray(mesh, np.float64)[list(RIGID)]
        scale = max(eye_distance(mesh), 1.0)
        if self._reference is None:
            self._reference = points
            return
        fitted = similarity(self._reference, points)
        moved = self._reference @ fitted[:, :2].T + fitted[:, 2]
        homography, _ = cv2.findHomography(self._reference, points, 0)
        if homography is None:
            return
        projected = cv2.perspectiveTransform(self._reference[None], homography)[0]
        self._motion.append(_rms(moved, points) / scale)
        self._residual.append(_rms(projected, points) / scale)

    def result(self) -> PlanarityResult:
        motion, residual = np.array(self._motion), np.array(self._residual)
        if len(motion) < 10:
            return PlanarityResult(float("nan"), len(motion), float(motion.max()) if len(motion) else 0.0)
        order = np.argsort(motion)
        most, least = order[-max(3, len(order) // 5) :], order[: len(order) // 2]
        moved = float(np.median(motion[most]))
        jitter = float(np.median(residual[least]))
        score = float(np.median(residual[most])) - jitter if moved >= self.min_motion else float("nan")
        return PlanarityResult(score, len(motion), moved)

    def forget(self) -> None:
        """Zero the first frame's landmarks (the only face data kept)."""
        if self._reference is not None:
            self._reference.fill(0)
            self._reference = None
