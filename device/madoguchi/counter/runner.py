"""One visitor's transaction, from the reference photo to a score, knowing nothing of screens or paper.

    reference source (scan → locate) → face → quality gate → capture → score → wipe

:meth:`TransactionRunner.run` returns a :class:`~madoguchi.counter.outcome.TransactionResult`, which holds
a score and codes only: every image, landmark and descriptor of the transaction lives in one
:class:`~madoguchi.privacy.TransactionMemory` and is zero-filled, and the engine made to forget,
before it returns, whatever the outcome. A fault becomes the result's code, never an exception.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np

from madoguchi.chip.errors import ChipError
from madoguchi.counter.capture import Assess, Watch
from madoguchi.counter.faults import INTERNAL_ERROR, Side, fault_code, fault_values
from madoguchi.counter.outcome import CANCELLED, SCORED, TransactionResult
from madoguchi.counter.sources.base import Progress, ReferenceSource
from madoguchi.counter.state import State
from madoguchi.engine.types import Face, Verification
from madoguchi.errors import Cancelled, FaceError, HardwareError, PoorPhotoQuality
from madoguchi.privacy import TransactionMemory, release_freed_memory

log = logging.getLogger(__name__)

QualityPolicy = Literal["rescan", "note"]


class Engine(Protocol):
    """What a transaction asks of :class:`madoguchi.engine.FaceEngine`."""

    def find_faces(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Face]: ...
    def find_one_face(self, rgb: np.ndarray, *, side: str | None = None) -> Face: ...
    def compare(
        self, reference: np.ndarray, reference_face: Face, live: np.ndarray, live_face: Face
    ) -> Verification: ...
    def forget(self) -> None: ...


@dataclass
class _Visit:
    """What a running transaction has gathered: advice worth a note, and whose image it works on."""

    notes: list[str] = field(default_factory=list)
    side: Side = "reference"
    presentation: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    """The presentation-attack checks' fields for the audit record (codes only)."""

    def note(self, codes: tuple[str, ...]) -> None:
        self.notes.extend(code for code in codes if code not in self.notes)


class TransactionRunner:
    """Runs transactions: the reference photo from the source of the transaction's mode, then the camera.

    :param engine: the face engine, or a stand-in with the same methods.
    :param sources: the reference source for each mode the config offers.
    :param watch: the capture.
    :param assess: the quality measure, for the reference photo's gate.
    :param reference_quality: "rescan" stops on a photo that fails the gate for a reason staff can
        fix; "note" scores it anyway and notes the advice.
    """

    def __init__(
        self,
        *,
        engine: Engine,
        sources: Mapping[str, ReferenceSource],
        watch: Watch,
        assess: Assess,
        reference_quality: QualityPolicy,
    ) -> None:
        self.engine = engine
        self.sources = dict(sources)
        self.watch = watch
        self.assess = assess
        self.reference_quality = reference_quality

    def run(self, cut_off: TransactionResult, progress: Progress) -> TransactionResult:
        """The transaction that ``cut_off`` (its number, time, mode, threshold) stands for, done."""
        visit = _Visit()
        source = self.sources[cut_off.mode]
        score: float | None = None
        code, values = SCORED, {}
        with TransactionMemory() as memory:
            try:
                score = self._compare(source, memory, progress, visit)
            except Cancelled:
                code = CANCELLED
            except (FaceError, HardwareError, ChipError) as error:
                code, values = fault_code(error, visit.side), fault_values(error)
                log.info("transaction %d: %s (%s)", cut_off.number, code, error)
            except Exception:
                code = INTERNAL_ERROR
                log.exception("transaction %d: unexpected error", cut_off.number)
            finally:
                progress.enter(State.WIPING)
                self.engine.forget()
        release_freed_memory()  # after TransactionMemory has wiped and dropped the images
        return dataclasses.replace(
            cut_off,
            code=code,
            score=score if code == SCORED else None,
            notes=tuple(visit.notes),
            values=values,
            detail=source.detail(),
            presentation=visit.presentation,
        )

    def _compare(
        self, source: ReferenceSource, memory: TransactionMemory, progress: Progress, visit: _Visit
    ) -> float:
        reference = source.acquire(memory, progress)
        reference_face = memory.keep_face(self.engine.find_one_face(reference, side="reference"))
        quality = self.assess(reference, reference_face, side="reference")
        if not source.rescannable:
            # A chip's photo is as the issuer stored it (small by design): scored, advice noted,
            # except a higher scan resolution, which no one can give it.
            visit.note(tuple(code for code in quality.advice if code != "rescan_600dpi"))
        else:
            visit.note(quality.advice)
            if not quality.ok and quality.advice and self.reference_quality == "rescan":
                raise PoorPhotoQuality("ID photo fails the quality gate: " + ", ".join(quality.advice))
        visit.side = "live"
        live = self.watch.run(memory, progress)
        if live.pad is not None and live.pad.result != "off":  # advice first: staff look at the camera
            visit.notes[:0] = [code for code in live.pad.codes() if code not in visit.notes]
            visit.presentation = dict(live.pad.audit())
        visit.note(live.quality.advice)
        progress.step(State.SCORING, "scoring")
        return float(self.engine.compare(reference, reference_face, live.frame, live.face).score)
