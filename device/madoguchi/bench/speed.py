"""`madoguchi bench speed`: per-stage median milliseconds on one thread, load time and peak RSS,
with face_recognition timed in the same passes as ours when asked.

The fused engine's face path and the engine without FaceRes' (``[models] faceres = false``) are
timed in the same passes, so the time FaceRes adds is read from one run (``added_ms``: the median of
the per-pass differences).

The images are made here from scikit-image's public-domain astronaut, so the benchmark runs on any
machine: a 640x480 camera frame, and a card scanned at 300 dpi (1011x638 px, the photo about
300 px tall) on which the face must be found by tiling.
"""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from madoguchi.engine import FaceEngine
from madoguchi.engine.types import Face, FaceBox
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


class Stopwatch:
    """Milliseconds per named stage over many passes; ``lap(name)`` ends the stage now running."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.last = time.perf_counter()

    def start(self) -> None:
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.times.setdefault(name, []).append((now - self.last) * 1000)
        self.last = now

    def median(self, *names: str) -> float:
        """The median over passes of the named stages' sum."""
        return statistics.median(map(sum, zip(*(self.times[name] for name in names), strict=True)))


@dataclass(frozen=True)
class Speed:
    """Medians over the same passes. ``face_ms`` is ``find_one_face`` + ``describe_face`` as the
    daemon calls them; the stages are that path cut at its steps in the same pass (dlib's chip views
    and descriptor, then FaceRes' chip and descriptor), and ``other_ms`` is what their medians leave
    of ``face_ms`` (medians do not add exactly). ``face_without_faceres_ms`` is the same path of the
    engine without FaceRes, in the same passes; ``added_ms`` the median of the per-pass differences."""

    face_ms: float
    face_without_faceres_ms: float
    added_ms: float
    detect_frame_ms: float
    landmarks_ms: float
    align_ms: float
    embed_ms: float
    faceres_align_ms: float
    faceres_embed_ms: float
    other_ms: float
    detect_page_ms: float
    model_load_ms: float
    peak_rss_mb: float


@dataclass(frozen=True)
class PeerSpeed:
    """face_recognition on the same frame, timed in the same passes as ours; ratios are its time
    over ours."""

    name: str
    face_ms: float
    detect_frame_ms: float
    embed_ms: float
    face_ratio: float
    detect_ratio: float
    embed_ratio: float


STAGES = ("detect_frame_ms", "landmarks_ms", "align_ms", "embed_ms", "faceres_align_ms", "faceres_embed_ms")


def run(*, models: Path | None, repeat: int, with_peer: bool = False) -> tuple[Speed, PeerSpeed | None]:
    """``repeat`` passes after one warm-up; with ``with_peer``, face_recognition runs in each pass too."""
    from madoguchi.bench import peer

    cv2.setNumThreads(1)
    started = time.perf_counter()
    engine = FaceEngine.load(models, threads=1)
    load_ms = (time.perf_counter() - started) * 1000
    single = FaceEngine.load(models, threads=1, faceres=False)
    assert engine.faceres is not None
    frame, page = bench_images()
    if not engine.detector.detect(frame) or not engine.find_faces(page, min_face=PAGE_MIN_FACE):
        raise RuntimeError("the benchmark's own test face was not found: the engine is broken")
    location = peer.detect(frame)[0] if with_peer else None
    watch = Stopwatch()
    for _ in range(repeat + 1):
        if len(watch.times.get("face", ())) == 1:
            watch.times.clear()  # the first pass is a warm-up: first invocations allocate
        watch.start()
        engine.describe_face(frame, engine.find_one_face(frame))
        watch.lap("face")
        single.describe_face(frame, single.find_one_face(frame))
        watch.lap("face_single")
        # the same path cut at its steps: find_one_face takes the tallest detection, then its mesh
        detection = max(engine.detector.detect(frame), key=lambda d: float(d.box[3] - d.box[1]))
        watch.lap("detect_frame_ms")
        landmarks = engine.mesh.locate(frame, detection)
        face = Face(FaceBox(*map(float, detection.box), detection.score), landmarks.five, landmarks.points)
        watch.lap("landmarks_ms")
        views = engine.align(frame, face)
        watch.lap("align_ms")
        engine.describe(views)
        watch.lap("embed_ms")
        chips = engine.faceres.chips(frame, landmarks.points)
        watch.lap("faceres_align_ms")
        engine.faceres.describe(chips)
        watch.lap("faceres_embed_ms")
        engine.detector.detect(page, min_face=PAGE_MIN_FACE)
        watch.lap("detect_page")
        if location is not None:
            peer.detect(frame)
            watch.lap("peer_detect")
            peer.encode(frame, location)
            watch.lap("peer_embed")
        engine.scratch.wipe()
        single.scratch.wipe()
    stages = {name: watch.median(name) for name in STAGES}
    ours = Speed(
        face_ms=watch.median("face"),
        face_without_faceres_ms=watch.median("face_single"),
        added_ms=statistics.median(
            f - s for f, s in zip(watch.times["face"], watch.times["face_single"], strict=True)
        ),
        **stages,
        other_ms=watch.median("face") - sum(stages.values()),
        detect_page_ms=watch.median("detect_page"),
        model_load_ms=load_ms,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    if location is None:
        return ours, None
    theirs = PeerSpeed(
        name=peer.PEER,
        face_ms=watch.median("peer_detect", "peer_embed"),
        detect_frame_ms=watch.median("peer_detect"),
        embed_ms=watch.median("peer_embed"),
        face_ratio=statistics.median(
            (d + e) / f
            for d, e, f in zip(
                watch.times["peer_detect"], watch.times["peer_embed"], watch.times["face"], strict=True
            )
        ),
        detect_ratio=watch.median("peer_detect") / stages["detect_frame_ms"],
        embed_ratio=watch.median("peer_embed")
        / sum(stages[k] for k in ("align_ms", "embed_ms", "faceres_align_ms", "faceres_embed_ms")),
    )
    return ours, theirs
