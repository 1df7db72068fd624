"""The `face_recognition` library (dlib HOG detector, 5-point alignment, float ResNet) on the same pairs.

It is what people use today, so it runs side by side in the same run as our pipeline. It needs the
`bench` extra and `face-recognition` installed with --no-deps (see the Makefile's bench-deps).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from madoguchi.bench import accuracy
from madoguchi.bench.accuracy import AccuracyRun, Described, Side, read_rgb
from madoguchi.bench.pairs import Pair
from madoguchi.engine.fusion import Description

PEER = "face_recognition"


def available() -> bool:
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        return False
    return True


def detect(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    import face_recognition

    return face_recognition.face_locations(rgb, number_of_times_to_upsample=1, model="hog")


def encode(rgb: np.ndarray, location: tuple[int, int, int, int]) -> np.ndarray:
    import face_recognition

    return face_recognition.face_encodings(rgb, [location], num_jitters=1, model="small")[0]


def _nearest_centre(locations: list[tuple[int, int, int, int]], shape: tuple[Any, ...]) -> tuple:
    cy, cx = shape[0] / 2, shape[1] / 2
    return min(locations, key=lambda b: ((b[0] + b[2]) / 2 - cy) ** 2 + ((b[1] + b[3]) / 2 - cx) ** 2)


class PeerWorker:
    """A benchmark worker running face_recognition's pipeline: the face nearest the centre, else a
    centre box, as the reference figures in shared/README.md were made."""

    @classmethod
    def start(cls) -> None:
        import face_recognition  # noqa: F401  (load dlib's models once per process)

    @classmethod
    def describe(cls, side: Side) -> Described:
        rgb = read_rgb(side.path)
        started = time.perf_counter()
        locations = detect(rgb)
        h, w = rgb.shape[:2]
        centre_box = (h // 4, 3 * w // 4, 3 * h // 4, w // 4)
        location = _nearest_centre(locations, rgb.shape) if locations else centre_box
        descriptor = encode(rgb, location)
        ms = (time.perf_counter() - started) * 1000
        return Described(side, Description(descriptor), bool(locations), True, ms)


def run(pairs: list[Pair], *, jobs: int | None = None, progress: bool = False) -> AccuracyRun:
    return accuracy.run(pairs, jobs=jobs, worker=PeerWorker, progress=progress)
