"""Watching the visitor: the camera runs for a few seconds and the best frame with one face is kept.

:class:`BestFrame` owns the frames: it keeps the best one so far and wipes every other frame the
moment it is beaten or found useless, so at most one camera frame (plus the one being looked at)
holds the visitor's face at any time. Each frame also goes to the presentation-attack checks
(:class:`madoguchi.pad.check.PadCheck`, ``[pad]``) before it can be wiped, and the guidance on the LCD is
said aloud to the visitor (:mod:`madoguchi.voice`, ``[voice]``): first who must be at the camera,
then what the challenge asks (blink, turn), then how to stand or face the light. With the challenge
on, the capture lasts until it is over (each request has its own time limit).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from madoguchi.counter.sources.base import Progress
from madoguchi.engine.types import Face
from madoguchi.errors import MultipleFacesFound, NoFaceFound
from madoguchi.hardware.base import Camera
from madoguchi.pad.check import PadCheck, PadVerdict
from madoguchi.pad.settings import PadConfig
from madoguchi.privacy import TransactionMemory


class QualityReport(Protocol):
    score: float
    ok: bool
    advice: tuple[str, ...]


Assess = Callable[..., QualityReport]
"""``assess(rgb, face, *, side) -> QualityReport``."""


class Voice(Protocol):
    """Says a visitor's guidance aloud (:class:`madoguchi.voice.Announcer`); never blocks."""

    def say(self, code: str) -> bool: ...
    def hush(self) -> None: ...


@dataclass(frozen=True)
class Capture:
    """The frame kept from a capture, its face and its quality, and what the presentation-attack
    checks made of the whole capture."""

    frame: np.ndarray
    face: Face
    quality: QualityReport
    pad: PadVerdict | None = None


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
    """Reads ``camera`` for ``seconds`` (and until the challenge is over) and returns the best frame
    with exactly one face.

    :param camera: the visitor camera.
    :param engine: finds the one face in a frame (``find_one_face``).
    :param assess: the quality measure, whose advice is shown to the visitor as guidance.
    :param seconds: how long to watch at least.
    :param clock: monotonic seconds.
    :param pad: the ``[pad]`` section: which presentation-attack checks run.
    :param voice: says the guidance aloud; None: the LCD only.
    """

    def __init__(
        self,
        camera: Camera,
        engine: Any,
        assess: Assess,
        *,
        seconds: float,
        clock: Callable[[], float],
        pad: PadConfig,
        voice: Voice | None = None,
    ) -> None:
        self.camera = camera
        self.engine = engine
        self.assess = assess
        self.seconds = seconds
        self.clock = clock
        self.pad = pad
        self.voice = voice

    def run(self, memory: TransactionMemory, progress: Progress) -> Capture:
        """Raises MultipleFacesFound or NoFaceFound (side "live") when no frame had one face."""
        best = BestFrame(memory)
        check = PadCheck(self.pad)
        saw_several = False
        shown: tuple[tuple[str, ...], int] | None = None  # what the screen says now
        progress.check()
        progress.guidance((), self.seconds)
        self._say("capture_start")
        self.camera.start()
        finished = False
        try:
            started = self.clock()
            # The challenge ends by itself (each request has its time limit); the cap is a backstop.
            longest = self.seconds + self.pad.challenge_steps * self.pad.step_seconds * 3
            while ((left := started + self.seconds - self.clock()) > 0 or not check.done) and (
                self.clock() - started < longest
            ):
                progress.check()
                frame = memory.keep(self.camera.read())
                guidance = self._look(frame, memory, best, check)
                saw_several = saw_several or guidance == ("one_person_only",)
                if shown != (guidance, math.ceil(left)):
                    shown = (guidance, math.ceil(left))
                    progress.guidance(guidance, max(left, 0.0))
                if guidance:
                    self._say(guidance[0])
            finished = True
        finally:
            self.camera.stop()
            check.forget()
            if not finished and self.voice is not None:
                self.voice.hush()
        if best.best is None:
            if saw_several:
                raise MultipleFacesFound("more than one face in every frame with a face", side="live")
            raise NoFaceFound("no face in any camera frame", side="live")
        self._say("capture_done")
        return dataclasses.replace(best.best, pad=check.verdict())

    def _look(
        self, frame: np.ndarray, memory: TransactionMemory, best: BestFrame, check: PadCheck
    ) -> tuple[str, ...]:
        """Find the one face in ``frame``, show it to the checks, offer it as the best; the guidance."""
        try:
            face = memory.keep_face(self.engine.find_one_face(frame, side="live"))
        except (MultipleFacesFound, NoFaceFound) as error:
            check.observe(frame, None, self.clock())
            best.discard(frame)
            return ("one_person_only",) if isinstance(error, MultipleFacesFound) else ("step_in_front",)
        request = check.observe(frame, face, self.clock())
        quality = self.assess(frame, face, side="live")
        best.offer(frame, face, quality)
        return (request, *quality.advice) if request else quality.advice

    def _say(self, code: str) -> None:
        if self.voice is not None:
            self.voice.say(code)
