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
from madoguchi.synthetic.cards import plain_card
from madoguchi.synthetic.frames import camera_frame
from madoguchi.synthetic.people import astronaut

PAGE_MIN_FACE = 120
FRAME_FACE = (110, 30, 530, 450)
"""Where the face goes in the camera frame: about 200 px tall, as at a counter's distance."""


def bench_images() -> tuple[np.ndarray, np.ndarray]:
    """The camera frame, and the plain card with a 250x300 px photo on its left."""
    face = astronaut()
    return camera_frame((face, FRAME_FACE)), plain_card(face[0:300, 100:350])


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
    frame, page = bench_images()
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

    frame, _ = bench_images()
    (location,) = peer.detect(frame)[:1]
    detect_ms = median_ms(lambda: peer.detect(frame), repeat)
    encode_ms = median_ms(lambda: peer.encode(frame, location), repeat)
    return {"detect_frame_ms": detect_ms, "embed_ms": encode_ms, "face_ms": detect_ms + encode_ms}
