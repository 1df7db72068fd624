"""The counter's state machine: one thread owns every transaction, buttons only queue events.

    idle ─START→ scanning → locating → capturing → scoring → wiping → reporting → idle
                   └──────────── CANCEL or a fault, at any step ──────┘ → wiping → reporting

Faces are wiped before anything is reported: the screen, the slip and the audit record are made from
a :class:`~madoguchi.outcome.TransactionResult`, which holds a score and codes only. A fault becomes
a message on the screen and the slip and an audit record, and the counter serves the next visitor.
A START or MODE pressed while a transaction runs is ignored (and logged); CANCEL stops the
transaction at the next step, or between two camera frames.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import math
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from PIL import Image

from madoguchi import screens
from madoguchi.audit import AuditLog, AuditRecord
from madoguchi.config import Config
from madoguchi.engine.types import Face, Verification
from madoguchi.errors import (
    CameraGone,
    FaceError,
    HardwareError,
    MultipleFacesFound,
    NoFaceFound,
    PhotoNotFound,
    PoorPhotoQuality,
    PrinterError,
    PrinterOutOfPaper,
    ScannerGone,
    UnreadableImage,
)
from madoguchi.hardware.base import Hardware
from madoguchi.messages import MESSAGES
from madoguchi.outcome import CANCELLED, INTERRUPTED, SCORED, TransactionResult
from madoguchi.privacy import TransactionMemory, release_freed_memory, wipe
from madoguchi.slip import render_slip

log = logging.getLogger(__name__)


class State(str, enum.Enum):
    IDLE = "idle"
    SCANNING = "scanning"
    LOCATING = "locating"
    CAPTURING = "capturing"
    SCORING = "scoring"
    WIPING = "wiping"
    REPORTING = "reporting"
    STOPPED = "stopped"


class Event(str, enum.Enum):
    START = "start"
    MODE = "mode"
    CANCEL = "cancel"
    STOP = "stop"


class Engine(Protocol):
    """What the counter asks of :class:`madoguchi.engine.FaceEngine`."""

    def find_faces(self, rgb: np.ndarray) -> list[Face]: ...
    def find_one_face(self, rgb: np.ndarray, *, side: str | None = None) -> Face: ...
    def compare(
        self, reference: np.ndarray, reference_face: Face, live: np.ndarray, live_face: Face
    ) -> Verification: ...
    def forget(self) -> None: ...


class QualityReport(Protocol):
    score: float
    ok: bool
    advice: tuple[str, ...]


Locate = Callable[..., Any]
"""``locate(page_rgb, engine, *, dpi) -> LocatedPhoto`` with ``.image``; raises PhotoNotFound."""
Assess = Callable[..., QualityReport]
"""``assess(rgb, face, *, side) -> QualityReport``."""


def _document_steps() -> tuple[Locate, Assess]:
    """ADAPTER POINT: the photo locator and quality measure from :mod:`madoguchi.document`."""
    from madoguchi.document.locate import locate_photo
    from madoguchi.document.quality import assess

    return locate_photo, assess


class _Cancelled(Exception):
    """CANCEL was pressed, or the daemon is stopping, while a transaction ran."""


@dataclass(frozen=True)
class Report:
    """A finished transaction as observers see it: the result and every message code shown."""

    result: TransactionResult
    shown: tuple[str, ...]
    slip_printed: bool


class _Transaction:
    """One visitor's pass; ``phase`` says which side a face fault belongs to."""

    def __init__(self, number: int, started: datetime) -> None:
        self.number = number
        self.started = started
        self.phase = "reference"
        self.shown: list[str] = []
        self.notes: list[str] = []
        self.score: float | None = None

    def saw(self, *codes: str) -> None:
        self.shown.extend(code for code in codes if code not in self.shown)

    def note(self, *codes: str) -> None:
        self.notes.extend(code for code in codes if code not in self.notes)


def _fault_code(error: BaseException, phase: str) -> str:
    """The message code for a fault during ``phase`` ("reference" or "live")."""
    if isinstance(error, (PhotoNotFound, PoorPhotoQuality, UnreadableImage)):
        code = error.reason
    elif isinstance(error, FaceError):
        code = f"{error.reason}_{error.side or phase}"
    elif isinstance(error, ScannerGone):
        code = "scanner_gone"
    elif isinstance(error, CameraGone):
        code = "camera_gone"
    elif isinstance(error, HardwareError):
        code = "camera_gone" if phase == "live" else "scanner_gone"
    else:
        code = "internal_error"
    return code if code in MESSAGES else "internal_error"


def _local_now() -> datetime:
    return datetime.now().astimezone()


class Counter:
    """The counter: owns the transaction state and drives the devices; :meth:`run` is its thread.

    >>> counter = Counter(hardware, engine, config, audit)  # doctest: +SKIP
    >>> counter.attach_buttons()
    >>> counter.run()  # until stop()

    :param hardware: the devices; the counter sets the buttons' callbacks.
    :param engine: the face engine, :class:`madoguchi.engine.FaceEngine` or a stand-in.
    :param config: the validated configuration.
    :param audit: the open audit record; transaction numbers continue from it.
    :param clock: monotonic seconds, for the capture window and the result time.
    :param now: wall-clock time for slips and records.
    :param locate: the photo locator; :mod:`madoguchi.document`'s by default.
    :param assess: the quality measure; :mod:`madoguchi.document`'s by default.
    :param heartbeat: called at least once a second while the counter is healthy (systemd's watchdog).
    :param observers: called with each finished transaction's :class:`Report` (the simulator, tests).
    """

    def __init__(
        self,
        hardware: Hardware,
        engine: Engine,
        config: Config,
        audit: AuditLog,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _local_now,
        locate: Locate | None = None,
        assess: Assess | None = None,
        heartbeat: Callable[[], None] = lambda: None,
        observers: Sequence[Callable[[Report], None]] = (),
    ) -> None:
        if locate is None or assess is None:
            default_locate, default_assess = _document_steps()
            locate = locate or default_locate
            assess = assess or default_assess
        self.hardware = hardware
        self.engine = engine
        self.config = config
        self.audit = audit
        self.clock = clock
        self.now = now
        self.locate = locate
        self.assess = assess
        self.heartbeat = heartbeat
        self.observers = list(observers)
        self.mode = config.counter.mode
        self.state = State.IDLE
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._result_until: float | None = None
        self._stopping = False

    # --- events (any thread) ---

    def post(self, event: Event) -> None:
        """Queue ``event``; safe from button threads and signal handlers (SimpleQueue.put is reentrant)."""
        self.events.put(event)

    def stop(self) -> None:
        self.post(Event.STOP)

    def attach_buttons(self) -> None:
        buttons = self.hardware.buttons
        buttons.when_start = lambda: self.post(Event.START)
        buttons.when_mode = lambda: self.post(Event.MODE)
        buttons.when_cancel = lambda: self.post(Event.CANCEL)

    # --- the loop (the counter's thread) ---

    def run(self) -> None:
        """Serve visitors until :meth:`stop`; every fault in a transaction is reported, not raised."""
        self._set_state(State.IDLE)
        self._show_idle()
        while not self._stopping:
            self.heartbeat()
            try:
                event = self.events.get(timeout=self._wait_seconds())
            except queue.Empty:
                if self._result_until is not None and self.clock() >= self._result_until:
                    self._show_idle()
                continue
            self._handle(event)
        self._set_state(State.STOPPED)

    def _wait_seconds(self) -> float:
        if self._result_until is None:
            return 1.0
        return min(1.0, max(0.0, self._result_until - self.clock()))

    def _handle(self, event: Event) -> None:
        if event is Event.STOP:
            self._stopping = True
        elif event is Event.START:
            self._serve()
        elif event is Event.MODE:
            if self.config.counter.mode_button:
                self.mode = "form" if self.mode == "card" else "card"
                log.info("mode switched to %s", self.mode)
            else:
                log.info("MODE pressed; ignored (mode_button is off)")
            self._show_idle()
        elif event is Event.CANCEL and self._result_until is not None:
            self._show_idle()

    def _set_state(self, state: State) -> None:
        if state is not self.state:
            log.debug("state %s -> %s", self.state.value, state.value)
        self.state = state

    def _pending(self) -> Iterator[Event]:
        """The events queued so far, without waiting."""
        while True:
            try:
                yield self.events.get_nowait()
            except queue.Empty:
                return

    def _poll(self) -> None:
        """Between steps: act on CANCEL and STOP, ignore START and MODE (a double press)."""
        self.heartbeat()
        for event in self._pending():
            if event is Event.STOP:
                self._stopping = True
            if event in (Event.STOP, Event.CANCEL):
                raise _Cancelled
            log.info("%s pressed while %s; ignored", event.value.upper(), self.state.value)

    def _ignore_presses_while_busy(self) -> None:
        """After a transaction: drop what was pressed during its last step, so a double press cannot
        start a second one; a STOP still stops."""
        for event in self._pending():
            if event is Event.STOP:
                self._stopping = True
            else:
                log.info("%s pressed while %s; ignored", event.value.upper(), self.state.value)

    # --- screens ---

    def _show(self, frame: Image.Image) -> None:
        try:
            self.hardware.display.show(frame)
        except HardwareError as error:
            log.error("display: %s", error)

    def _look(self) -> dict[str, Any]:
        counter = self.config.counter
        return {"language": counter.language, "size": self.hardware.display.size, "font": counter.font}

    def _show_idle(self) -> None:
        self._result_until = None
        self._set_state(State.IDLE)
        mode_button = self.config.counter.mode_button
        self._show(screens.idle_screen(self.mode, mode_button=mode_button, **self._look()))

    def _progress(self, txn: _Transaction, state: State, step: str, hint: str | None = None) -> None:
        self._poll()
        self._set_state(state)
        txn.saw(step)
        self._show(screens.progress_screen(step, hint=hint, **self._look()))

    # --- one transaction ---

    def _serve(self) -> None:
        txn = _Transaction(self.audit.next_number(), self.now())
        counter = self.config.counter
        cut_off = TransactionResult(txn.number, txn.started, self.mode, counter.threshold, INTERRUPTED)
        self.audit.begin(
            AuditRecord.of(cut_off, terminal_id=counter.terminal_id, messages=(), slip_printed=None)
        )
        log.info("transaction %d: start (%s)", txn.number, self.mode)
        started = self.clock()
        code = SCORED
        with TransactionMemory() as memory:
            try:
                self._compare(txn, memory)
            except _Cancelled:
                code = CANCELLED
            except (FaceError, HardwareError) as error:
                code = _fault_code(error, txn.phase)
                log.info("transaction %d: %s (%s)", txn.number, code, error)
            except Exception:
                code = "internal_error"
                log.exception("transaction %d: unexpected error", txn.number)
            finally:
                self._set_state(State.WIPING)
                self.engine.forget()
        release_freed_memory()  # after TransactionMemory has wiped and dropped the images
        result = dataclasses.replace(
            cut_off, code=code, score=txn.score if code == SCORED else None, notes=tuple(txn.notes)
        )
        self._report(result, txn)
        log.info(
            "transaction %d: %s score=%s threshold=%d in %.2f s",
            txn.number,
            code,
            "-" if result.score is None else f"{result.score:.1f}",
            result.threshold,
            self.clock() - started,
        )
        self._ignore_presses_while_busy()
        self._set_state(State.IDLE)  # the result stays on screen until result_seconds pass or a button

    def _compare(self, txn: _Transaction, memory: TransactionMemory) -> None:
        dpi = self.config.scan.dpi(self.mode)
        self._progress(txn, State.SCANNING, "scanning", "scanning_hint")
        page = memory.keep(self.hardware.scanner.scan(dpi=dpi))
        self._progress(txn, State.LOCATING, "locating")
        located = self.locate(page, self.engine, dpi=dpi)
        reference = memory.keep(np.array(located.image))  # a copy: the crop may be a view of the page
        wipe(located.image)
        memory.release(page)
        reference_face = memory.keep_face(self.engine.find_one_face(reference, side="reference"))
        quality = self.assess(reference, reference_face, side="reference")
        txn.note(*quality.advice)
        if not quality.ok and quality.advice and self.config.counter.reference_quality == "rescan":
            raise PoorPhotoQuality("ID photo fails the quality gate: " + ", ".join(quality.advice))
        self._poll()
        txn.phase = "live"
        self._set_state(State.CAPTURING)
        live, live_face = self._capture(txn, memory)
        self._progress(txn, State.SCORING, "scoring")
        verification = self.engine.compare(reference, reference_face, live, live_face)
        txn.score = float(verification.score)

    def _capture(self, txn: _Transaction, memory: TransactionMemory) -> tuple[np.ndarray, Face]:
        """Watch the camera for capture_seconds; keep the frame of best quality with one face."""
        camera = self.hardware.camera
        seconds = self.config.counter.capture_seconds
        best: np.ndarray | None = None
        best_face: Face | None = None
        best_report: QualityReport | None = None
        saw_several = False
        shown: tuple[tuple[str, ...], int] | None = None  # what the screen says now
        txn.saw("capturing")
        self._show(screens.capture_screen((), seconds_left=seconds, **self._look()))
        camera.start()
        try:
            deadline = self.clock() + seconds
            while (left := deadline - self.clock()) > 0:
                self._poll()
                frame = memory.keep(camera.read())
                try:
                    face = memory.keep_face(self.engine.find_one_face(frame, side="live"))
                except MultipleFacesFound:
                    saw_several = True
                    guidance: tuple[str, ...] = ("one_person_only",)
                except NoFaceFound:
                    guidance = ("step_in_front",)
                else:
                    report = self.assess(frame, face, side="live")
                    guidance = report.advice
                    if best_report is None or report.score > best_report.score:
                        if best is not None:
                            memory.release(best)
                        best, best_face, best_report = frame, face, report
                if frame is not best:
                    memory.release(frame)
                if shown != (guidance, math.ceil(left)):
                    shown = (guidance, math.ceil(left))
                    txn.saw(*guidance)
                    self._show(screens.capture_screen(guidance, seconds_left=left, **self._look()))
        finally:
            camera.stop()
        if best is None or best_face is None or best_report is None:
            if saw_several:
                raise MultipleFacesFound("more than one face in every frame with a face", side="live")
            raise NoFaceFound("no face in any camera frame", side="live")
        txn.note(*best_report.advice)
        return best, best_face

    def _report(self, result: TransactionResult, txn: _Transaction) -> None:
        self._set_state(State.REPORTING)
        txn.saw(result.code)
        self._show(screens.result_screen(result, **self._look()))
        counter = self.config.counter
        slip_printed = False
        try:
            slip = render_slip(
                result,
                municipality=counter.municipality,
                terminal_id=counter.terminal_id,
                width_px=self.hardware.printer.width_px,
                language=counter.language,
                font=counter.font,
            )
            self.hardware.printer.print_slip(slip)
            slip_printed = True
        except PrinterError as error:
            problem = "printer_out_of_paper" if isinstance(error, PrinterOutOfPaper) else "printer_error"
            log.error("transaction %d: slip not printed: %s", result.number, error)
            result = dataclasses.replace(result, notes=(problem, *result.notes))
            txn.saw(problem)
            self._show(screens.result_screen(result, **self._look()))
        self.audit.append(
            AuditRecord.of(
                result,
                terminal_id=counter.terminal_id,
                messages=tuple(txn.shown),
                slip_printed=slip_printed,
            )
        )
        self._result_until = self.clock() + counter.result_seconds
        report = Report(result, tuple(txn.shown), slip_printed)
        for observer in self.observers:
            observer(report)
