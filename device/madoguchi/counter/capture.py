"""Watching the visitor: the camera runs for a few seconds and the best frame with one face is kept.

:class:`BestFrame` owns the frames: it keeps the best one so far and wipes every other frame the
moment it is beaten or found useless, so at most one camera frame (plus the one being looked at)
holds the visitor's face at any time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from madoguchi.counter.sources.base import Progress
from madoguchi.engine.types import Face
from madoguchi.errors import MultipleFacesFound, NoFaceFound
from madoguchi.hardware.base import Camera
from madoguchi.privacy import TransactionMemory


class QualityReport(Protocol):
    score: float
    ok: bool
    advice: tuple[str, ...]


Assess = Callable[..., QualityReport]
"""``assess(rgb, face, *, side) -> QualityReport``."""


@dataclass(frozen=True)
class Capture:
    """The frame kept from a capture, its face and its quality."""

    frame: np.ndarray
    face: Face
    quality: QualityReport


class BestFrame:
    """The best-quality frame seen so far; every frame it does not keep is wiped at once."""

    def __init__(self, memory: TransactionMemory) -> None:
        self._memory = memory
        self.best: Capture | None = None

    def offer(self, frame: np.ndarray, face: Face, quality: QualityReport) -> None:
        """Keep ``frame`` if it beats the best so far, and wipe whichever of the two lost."""
        if self.best is None or quality.score > self.best.quality.score:
            if self.best is not None:
                self._memory.release(self.best.frame)
            self.best = Capture(frame, face, quality)
        else:
            self._memory.release(frame)

    def discard(self, frame: np.ndarray) -> None:
        """A frame with no usable face: wiped now."""
        self._memory.release(frame)


class Watch:
    """Reads ``camera`` for ``seconds`` and returns the best frame with exactly one face.

    :param camera: the visitor camera.
    :param engine: finds the one face in a frame (``find_one_face``).
    :param assess: the quality measure, whose advice is shown to the visitor as guidance.
    :param seconds: how long to watch.
    :param clock: monotonic seconds.
    """

    def __init__(
        self, camera: Camera, engine: Any, assess: Assess, *, seconds: float, clock: Callable[[], float]
    ) -> None:
        self.camera = camera
        self.engine = engine
        self.assess = assess
        self.seconds = seconds
        self.clock = clock

    def run(self, memory: TransactionMemory, progress: Progress) -> Capture:
        """Raises MultipleFacesFound or NoFaceFound (side "live") when no frame had one face."""
        best = BestFrame(memory)
        saw_several = False
        shown: tuple[tuple[str, ...], int] | None = None  # what the screen says now
        progress.check()
        progress.guidance((), self.seconds)
        self.camera.start()
        try:
            deadline = self.clock() + self.seconds
            while (left := deadline - self.clock()) > 0:
                progress.check()
                frame = memory.keep(self.camera.read())
                try:
                    face = memory.keep_face(self.engine.find_one_face(frame, side="live"))
                except MultipleFacesFound:
                    saw_several = True
                    guidance: tuple[str, ...] = ("one_person_only",)
                    best.discard(frame)
                except NoFaceFound:
                    guidance = ("step_in_front",)
                    best.discard(frame)
                else:
                    quality = self.assess(frame, face, side="live")
                    guidance = quality.advice
                    best.offer(frame, face, quality)
                if shown != (guidance, math.ceil(left)):
                    shown = (guidance, math.ceil(left))
                    progress.guidance(guidance, left)
        finally:
            self.camera.stop()
        if best.best is None:
            if saw_several:
                raise MultipleFacesFound("more than one face in every frame with a face", side="live")
            raise NoFaceFound("no face in any camera frame", side="live")
        return best.best
