"""`madoguchi bench speed`: per-stage median milliseconds on one thread, load time and peak RSS.

The images are made here from scikit-image's public-domain astronaut, so the benchmark runs on any
machine: a 640x480 camera frame, and a card scanned at 300 dpi (1011x638 px, the photo about
300 px tall) on which the face must be found by tiling.
"""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from madoguchi.engine import FaceEngine

CARD_300DPI = (1011, 638)
PAGE_MIN_FACE = 120


def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def camera_frame(face_rgb: np.ndarray) -> np.ndarray:
    """A 640x480 frame with the face at a counter's distance (about 200 px tall)."""
    frame = np.full((480, 640, 3), 90, np.uint8)
    portrait = cv2.resize(face_rgb, (420, 420), interpolation=cv2.INTER_AREA)
    frame[30:450, 110:530] = portrait
    return frame


def card_page(face_rgb: np.ndarray) -> np.ndarray:
    """A plain card at 300 dpi with a 250x300 px photo on its left."""
    width, height = CARD_300DPI
    page = np.full((height, width, 3), 235, np.uint8)
    cv2.rectangle(page, (0, 0), (width - 1, height - 1), (180, 190, 200), 8)
    photo = cv2.resize(face_rgb[0:300, 100:350], (250, 300), interpolation=cv2.INTER_AREA)
    page[190:490, 40:290] = photo
    cv2.putText(page, "ID CARD", (420, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.5, (60, 60, 60), 5)
    return page


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm-up: first invocations allocate
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


@dataclass(frozen=True)
class Speed:
    face_ms: float
    detect_frame_ms: float
    detect_page_ms: float
    landmarks_ms: float
    align_ms: float
    embed_ms: float
    model_load_ms: float
    peak_rss_mb: float


def run(*, models: Path | None, repeat: int) -> Speed:
    cv2.setNumThreads(1)
    started = time.perf_counter()
    engine = FaceEngine.load(models, threads=1)
    load_ms = (time.perf_counter() - started) * 1000
    face = astronaut()
    frame, page = camera_frame(face), card_page(face)
    detections = engine.detector.detect(frame)
    if not detections or not engine.find_faces(page, min_face=PAGE_MIN_FACE):
        raise RuntimeError("the benchmark's own test face was not found: the engine is broken")
    detection = detections[0]
    face = engine.find_one_face(frame)
    chip = engine.align(frame, face)

    def whole_face() -> None:
        engine.describe(engine.align(frame, engine.find_one_face(frame)))

    return Speed(
        face_ms=median_ms(whole_face, repeat),
        detect_frame_ms=median_ms(lambda: engine.detector.detect(frame), repeat),
        detect_page_ms=median_ms(lambda: engine.detector.detect(page, min_face=PAGE_MIN_FACE), repeat),
        landmarks_ms=median_ms(lambda: engine.mesh.locate(frame, detection), repeat),
        align_ms=median_ms(lambda: engine.align(frame, face), repeat),
        embed_ms=median_ms(lambda: engine.describe(chip), repeat),
        model_load_ms=load_ms,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def run_peer(*, repeat: int) -> dict[str, float]:
    """face_recognition on the same 640x480 frame: detect, then align+embed, one thread (dlib's own)."""
    from madoguchi.bench import peer

    frame = camera_frame(astronaut())
    (location,) = peer.detect(frame)[:1]
    detect_ms = median_ms(lambda: peer.detect(frame), repeat)
    encode_ms = median_ms(lambda: peer.encode(frame, location), repeat)
    return {"detect_frame_ms": detect_ms, "embed_ms": encode_ms, "face_ms": detect_ms + encode_ms}
