"""The counter's loop: one thread owns the state, buttons only queue events.

    idle ─START→ scanning → locating → capturing → scoring → wiping → reporting → idle
                   └──────────── CANCEL or a fault, at any step ──────┘ → wiping → reporting
    (chip mode: entering_code → reading_chip take the place of scanning → locating)

The transaction itself is :class:`~madoguchi.runner.TransactionRunner`'s; the screens and the slip
are :class:`~madoguchi.presenter.Presenter`'s; the audit record is
:class:`~madoguchi.recorder.Recorder`'s. The counter keeps the event queue, the state and how long
a result stays on screen, and puts each screen on the LCD. Faces are wiped before anything is
reported. While no audit record can be kept (a full disk), no transaction starts: the counter is
out of service, says why on the LCD and to systemd, and resumes by itself. A button is never
silently dropped: START and MODE pressed while a transaction runs are
answered on the screen (and logged), CANCEL stops the transaction at the next step or between two
camera frames, and any press at the idle or result screen is acted on. While staff key in a chip's
access code (:meth:`Counter.ask_digits`) the buttons are the keypad, so every press is acted on
there: nothing else could take it, and answering it as "busy" would make the code unenterable.

A technician's request (:class:`Call`, from :mod:`madoguchi.control`) is queued like a button and
run on this thread too, between visitors; one that only reads the counter may run between two
steps of a transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image

from madoguchi.audit import AuditLog
from madoguchi.capture import Assess, Watch
from madoguchi.chip.reader import ChipReader
from madoguchi.config import Config, CounterConfig
from madoguchi.errors import AuditUnavailable, HardwareError, MadoguchiError, PrinterError, PrinterOutOfPaper
from madoguchi.hardware.base import Hardware
from madoguchi.outcome import INTERRUPTED, Mode, TransactionResult
from madoguchi.presenter import Presenter
from madoguchi.recorder import Recorder
from madoguchi.reference import Locate, ReferenceSource, ScannedPhoto
from madoguchi.runner import Cancelled, Engine, TransactionRunner
from madoguchi.state import IDLE_STATES, Event, State

SETTLED_STATES = IDLE_STATES | {State.OUT_OF_SERVICE}

log = logging.getLogger(__name__)

BUSY_PRESS = "busy_press"
"""The message that answers START or MODE pressed while a transaction runs."""


@dataclass(frozen=True)
class Report:
    """A finished transaction as observers see it: the result and every message code shown."""

    result: TransactionResult
    shown: tuple[str, ...]
    slip_printed: bool


class Busy(MadoguchiError):
    """A call was withdrawn: a visitor was being served for longer than its caller would wait."""


class Call:
    """A technician's request with a slot for its answer, run by the counter's thread.

    ``work(counter)`` runs once, fully or not at all: :meth:`wait` withdraws a call that has not
    started when its time is up (raising Busy). ``between_steps``: it only reads the counter, so it
    may run between two steps of a transaction; any other call waits until no visitor is served.
    ``redraw``: it used the LCD, so what was there (a result staff are reading, or the idle screen)
    is shown again afterwards.
    """

    def __init__(
        self, work: Callable[[Counter], object], *, between_steps: bool = False, redraw: bool = False
    ) -> None:
        self.work = work
        self.between_steps = between_steps
        self.redraw = redraw
        self.waited = False
        """It arrived during a transaction and was run after it."""
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._stage = "queued"  # then "running" or "withdrawn"
        self._result: object = None
        self._error: Exception | None = None

    def run(self, counter: Counter) -> None:
        with self._lock:
            if self._stage == "withdrawn":
                return
            self._stage = "running"
        try:
            self._result = self.work(counter)
        except Exception as error:  # the caller hears of it; the counter serves on
            self._error = error
        finally:
            self._done.set()

    def wait(self, timeout: float) -> object:
        """The work's result (its exception is raised); Busy if it had not started within ``timeout``."""
        if not self._done.wait(timeout):
            with self._lock:
                if self._stage == "queued":
                    self._stage = "withdrawn"
                    raise Busy(f"a visitor is being served; try again (waited {timeout:g} s)")
            self._done.wait()  # started: a call runs to its end
        if self._error is not None:
            raise self._error
        return self._result


def _local_now() -> datetime:
    return datetime.now().astimezone()


Screen = Callable[[str | None], Image.Image]
"""The screen on the LCD now, drawn again with a notice (or None)."""


class Counter:
    """Serves visitors: :meth:`run` is the counter's thread, :meth:`post` is for everyone else.

    >>> counter = make_counter(config, hardware, engine, audit)  # doctest: +SKIP
    >>> counter.attach_buttons()
    >>> counter.run()  # until stop()

    :param hardware: the devices; the counter shows screens, prints slips and sets the buttons' callbacks.
    :param runner: runs each transaction.
    :param presenter: draws the screens and the slip.
    :param recorder: keeps the audit record.
    :param settings: the ``[counter]`` section (mode at start, threshold, result time, MODE button).
    :param clock: monotonic seconds, for the result time.
    :param now: wall-clock time for slips and records.
    :param heartbeat: called at least once a second while the counter is healthy (systemd's watchdog).
    :param status: told, in words, when the counter stops or resumes serving (systemd's STATUS=).
    :param clock_problem: why the wall clock is not to be trusted, or None (:mod:`madoguchi.clock`).
    :param observers: called with each finished transaction's :class:`Report` (the simulator, tests).
    """

    def __init__(
        self,
        hardware: Hardware,
        runner: TransactionRunner,
        presenter: Presenter,
        recorder: Recorder,
        settings: CounterConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _local_now,
        heartbeat: Callable[[], None] = lambda: None,
        status: Callable[[str], None] = lambda text: None,
        clock_problem: Callable[[], str | None] = lambda: None,
        observers: Sequence[Callable[[Report], None]] = (),
    ) -> None:
        self.hardware = hardware
        self.runner = runner
        self.presenter = presenter
        self.recorder = recorder
        self.settings = settings
        self.clock = clock
        self.now = now
        self.heartbeat = heartbeat
        self.status = status
        self.clock_problem = clock_problem
        self.observers = list(observers)
        self.mode: Mode = settings.mode
        self.modes: tuple[Mode, ...] = tuple(runner.sources)  # type: ignore[arg-type]
        """What MODE cycles through: card, form, and chip when the chip source is enabled."""
        self.state = State.STOPPED  # until run() starts serving
        self.events: queue.SimpleQueue[Event | Call] = queue.SimpleQueue()
        self._deferred: list[Call] = []  # calls that came during a transaction, run after it
        self.serving: int | None = None
        """The number of the transaction under way, if any."""
        self._result_until: float | None = None
        self._stopping = False
        self._shown: list[str] = []
        self._notice: str | None = None
        self._screen: Screen | None = None
        self._unavailable: str | None = None  # why no record can be kept, while it lasts
        # Posted and handled events, for wait_settled(); reentrant, since post() runs in signal handlers.
        self._settled = threading.Condition(threading.RLock())
        self._posted = 0
        self._handled = 0

    # --- events (any thread) ---

    def post(self, event: Event | Call) -> None:
        """Queue ``event``; safe from button threads and signal handlers."""
        with self._settled:
            self._posted += 1
        self.events.put(event)

    def stop(self) -> None:
        self.post(Event.STOP)

    def attach_buttons(self) -> None:
        buttons = self.hardware.buttons
        buttons.when_start = lambda: self.post(Event.START)
        buttons.when_mode = lambda: self.post(Event.MODE)
        buttons.when_cancel = lambda: self.post(Event.CANCEL)

    def wait_settled(self, timeout: float) -> bool:
        """Wait until the counter serves, every event posted so far has been acted on or answered,
        and no transaction runs."""
        with self._settled:
            return self._settled.wait_for(
                lambda: self._handled == self._posted and self.state in SETTLED_STATES, timeout
            )

    def wait_for_state(self, states: Collection[State], timeout: float) -> bool:
        """Wait until the counter is in one of ``states`` (e.g. BUSY_STATES)."""
        with self._settled:
            return self._settled.wait_for(lambda: self.state in states, timeout)

    # --- the loop (the counter's thread) ---

    def run(self) -> None:
        """Serve visitors until :meth:`stop`; every fault in a transaction is reported, not raised."""
        if self._record_kept():
            self._show_idle()
        while not self._stopping:
            self.heartbeat()
            if self._unavailable is not None and self._record_kept():
                self._show_idle()
            try:
                event = self.events.get(timeout=self._wait_seconds())
            except queue.Empty:
                if self._result_until is not None and self.clock() >= self._result_until:
                    self._show_idle()
                continue
            try:
                self._handle(event)
            finally:
                self._mark_handled()
        self.enter(State.STOPPED)

    def _wait_seconds(self) -> float:
        if self._result_until is None:
            return 1.0
        return min(1.0, max(0.0, self._result_until - self.clock()))

    def _handle(self, event: Event | Call) -> None:
        if isinstance(event, Call):
            self._call(event)
        elif event is Event.STOP:
            self._stopping = True
        elif event is Event.START:
            self._serve()
        elif self._unavailable is not None:
            self._put(lambda notice: self.presenter.out_of_service(self._unavailable or ""))
        elif event is Event.MODE:
            if self.settings.mode_button:
                following = (
                    (self.modes.index(self.mode) + 1) % len(self.modes) if self.mode in self.modes else 0
                )
                self.mode = self.modes[following]
                log.info("mode switched to %s", self.mode)
            else:
                log.info("MODE pressed; the mode stays %s (mode_button is off)", self.mode)
            self._show_idle()
        elif event is Event.CANCEL:
            self._show_idle()

    def _mark_handled(self) -> None:
        with self._settled:
            self._handled += 1
            self._settled.notify_all()

    def _pending(self) -> Iterator[Event | Call]:
        """The events queued so far, without waiting; each counts as handled once taken."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            try:
                yield event
            finally:
                self._mark_handled()

    # --- what a running transaction reports (madoguchi.reference.Progress) ---

    def enter(self, state: State) -> None:
        if state is not self.state:
            log.debug("state %s -> %s", self.state.value, state.value)
        with self._settled:
            self.state = state
            self._settled.notify_all()

    def check(self) -> None:
        """Between steps: CANCEL and STOP end the transaction; START and MODE are answered."""
        self.heartbeat()
        for event in self._pending():
            if isinstance(event, Call):
                self._take(event)
                continue
            if event is Event.STOP:
                self._stopping = True
            if event in (Event.STOP, Event.CANCEL):
                raise Cancelled
            self._answer(event)

    def step(self, state: State, code: str, hint: str | None = None) -> None:
        self.check()
        self.enter(state)
        self._saw(code)
        self._put(lambda notice: self.presenter.progress(code, hint=hint, notice=notice))

    def guidance(self, codes: tuple[str, ...], seconds_left: float) -> None:
        self.enter(State.CAPTURING)
        self._saw("capturing", *codes)
        self._put(lambda notice: self.presenter.capture(codes, seconds_left=seconds_left, notice=notice))

    def ask_digits(self, prompt: str, length: int, *, groups: tuple[int, ...]) -> str:
        """Staff key in ``length`` digits: MODE steps the digit under the cursor (blank, 0 … 9, 0 …),
        START moves to the next digit and, after the last, to a confirmation; START there returns
        the digits, MODE goes back to the first digit to correct them; CANCEL raises Cancelled, as
        do ``code_seconds`` without a press. Nothing is prefilled; a blank digit is not passed by
        START. The digits are never logged."""
        digits = bytearray(b"_" * length)
        cursor, notice, changed = 0, None, True
        last_press = self.clock()
        self.enter(State.ENTERING_CODE)
        self._saw(prompt)
        self._screen = None  # not kept to be drawn again: it shows the code
        try:
            while True:
                self.heartbeat()
                if changed:
                    shown = self.presenter.digits(
                        prompt, digits.decode(), cursor=cursor, groups=groups, notice=notice
                    )
                    self._show(shown)
                try:
                    event = self.events.get(timeout=1.0)
                except queue.Empty:
                    if self.clock() - last_press >= self.settings.code_seconds:
                        log.info("no press for %g s: the access code was wiped", self.settings.code_seconds)
                        raise Cancelled from None
                    changed = False
                    continue
                changed, last_press = True, self.clock()
                try:
                    notice = None
                    if event in (Event.STOP, Event.CANCEL):
                        self._stopping = self._stopping or event is Event.STOP
                        raise Cancelled
                    if event is Event.MODE:
                        if cursor == length:
                            cursor = 0
                        else:
                            digits[cursor] = (
                                ord("0") if digits[cursor] in (ord("_"), ord("9")) else digits[cursor] + 1
                            )
                    elif cursor == length:
                        return digits.decode()
                    elif digits[cursor] == ord("_"):
                        notice = "digit_blank"
                        self._saw(notice)
                    else:
                        cursor += 1
                finally:
                    self._mark_handled()
        finally:
            digits[:] = bytes(length)

    # --- screens ---

    def _show(self, frame: Image.Image) -> None:
        try:
            self.hardware.display.show(frame)
        except HardwareError as error:
            log.error("display: %s", error)

    def _put(self, screen: Screen) -> None:
        """Show ``screen`` with the transaction's notice, and keep it to draw again."""
        self._screen = screen
        self._show(screen(self._notice))

    def _show_idle(self) -> None:
        self._result_until = None
        self._screen = None
        untrusted = "clock_implausible" if self.clock_problem() else None
        self._show(self.presenter.idle(self.mode, notice=untrusted))
        self.enter(State.IDLE)

    def _record_kept(self) -> bool:
        """Whether a transaction could be recorded now; if not, stop serving and say why."""
        try:
            self.recorder.probe()
        except AuditUnavailable as error:
            self._out_of_service(error)
            return False
        self._back_in_service()
        return True

    def _back_in_service(self) -> None:
        if self._unavailable is not None:
            log.info("the audit record can be kept again; serving visitors")
            self.status(f"ready: mode {self.mode} (the audit record can be kept again)")
            self._unavailable = None

    def _out_of_service(self, error: AuditUnavailable) -> None:
        """No record can be kept, so no score may be given: say so on the LCD and to systemd."""
        if self._unavailable != error.reason:
            log.error("no visitor can be served: %s", error)
            self.status(f"out of service: audit record unavailable: {error.reason}")
        self._unavailable = error.reason
        self._result_until = None
        self._put(lambda notice: self.presenter.out_of_service(error.reason))
        self.enter(State.OUT_OF_SERVICE)

    def _saw(self, *codes: str) -> None:
        self._shown.extend(code for code in codes if code not in self._shown)

    def _answer(self, event: Event) -> None:
        """A START or MODE while busy: not acted on, but said on the screen."""
        log.info("%s pressed while %s; answered on the screen", event.value.upper(), self.state.value)
        self._notice = BUSY_PRESS
        self._saw(BUSY_PRESS)
        if self._screen is not None:
            self._show(self._screen(self._notice))

    # --- technicians' calls (madoguchi.control) ---

    def _call(self, call: Call) -> None:
        call.run(self)
        if call.redraw and self._result_until is not None and self._screen is not None:
            self._show(self._screen(self._notice))  # the last result stays for staff to read
        elif call.redraw:
            self._show_idle()

    def _take(self, call: Call) -> None:
        """A call during a transaction: run now if it only reads, else after the transaction."""
        if call.between_steps:
            call.run(self)
        else:
            call.waited = True
            self._deferred.append(call)

    def apply(self, settings: CounterConfig) -> None:
        """Use a changed ``[counter]`` section from the next transaction on (call on this thread)."""
        self.presenter = Presenter.of(
            settings, screen_size=self.presenter.look.size, slip_width_px=self.presenter.slip_width_px
        )
        self.recorder.terminal_id = settings.terminal_id
        if settings.mode != self.settings.mode:
            self.mode = settings.mode
        self.settings = settings
        if self._result_until is None:
            self._show_idle()

    # --- one transaction ---

    def _serve(self) -> None:
        try:
            cut_off = TransactionResult(
                self.recorder.next_number(), self.now(), self.mode, self.settings.threshold, INTERRUPTED
            )
            self.recorder.begin(cut_off)
        except AuditUnavailable as error:  # nothing was started: the number stays free
            self._out_of_service(error)
            return
        self._back_in_service()
        self.serving = cut_off.number
        self._shown, self._notice = [], None
        log.info("transaction %d: start (%s)", cut_off.number, self.mode)
        started = self.clock()
        result = self.runner.run(cut_off, self)
        if (problem := self.clock_problem()) is not None:  # the time on the slip and record is not trusted
            log.warning("transaction %d: the clock may be wrong (%s)", result.number, problem)
            result = dataclasses.replace(result, notes=("clock_implausible", *result.notes))
            self._saw("clock_implausible")
        result, slip_printed = self._report(result)
        log.info(
            "transaction %d: %s score=%s threshold=%d in %.2f s",
            result.number,
            result.code,
            "-" if result.score is None else f"{result.score:.1f}",
            result.threshold,
            self.clock() - started,
        )
        report = Report(result, tuple(self._shown), slip_printed)
        try:
            self.recorder.finish(result, messages=report.shown, slip_printed=slip_printed)
        except AuditUnavailable as error:  # kept in memory, written first when the disk recovers
            self.serving = None
            self._out_of_service(error)
        else:
            self.serving = None
            self._result_until = self.clock() + self.settings.result_seconds
            self.enter(State.IDLE)  # the result stays on screen until result_seconds pass or a button
        for observer in self.observers:
            observer(report)
        deferred, self._deferred = self._deferred, []
        for call in deferred:
            self._call(call)

    def _report(self, result: TransactionResult) -> tuple[TransactionResult, bool]:
        self.enter(State.REPORTING)
        self._saw(result.code)
        self._put(lambda notice: self.presenter.result(result, notice=notice))
        slip_printed = False
        try:
            self.hardware.printer.print_slip(self.presenter.slip(result, witness=self.recorder.witness()))
            slip_printed = True
        except PrinterError as error:
            problem = "printer_out_of_paper" if isinstance(error, PrinterOutOfPaper) else "printer_error"
            log.error("transaction %d: slip not printed: %s", result.number, error)
            result = dataclasses.replace(result, notes=(problem, *result.notes))
            self._saw(problem)
            self._put(lambda notice: self.presenter.result(result, notice=notice))
        for event in self._pending():  # pressed while the slip printed
            if isinstance(event, Call):
                self._take(event)
            elif event is Event.STOP:
                self._stopping = True
            else:
                self._answer(event)
        return result, slip_printed


def make_counter(
    config: Config,
    hardware: Hardware,
    engine: Engine,
    audit: AuditLog,
    *,
    locate: Locate | None = None,
    assess: Assess | None = None,
    clock: Callable[[], float] = time.monotonic,
    chip_reader: ChipReader | None = None,
    **hooks: Any,
) -> Counter:
    """The counter for ``config`` on ``hardware``; ``locate`` and ``assess`` default to
    :mod:`madoguchi.document`'s photo locator and quality measure; ``chip_reader`` to the one
    the ``[chip]`` section describes (when enabled). ``hooks`` are :class:`Counter`'s keyword
    parameters (``now``, ``heartbeat``, ``status``, ``clock_problem``, ``observers``)."""
    if locate is None:
        from madoguchi.document.locate import locate_photo as locate
    if assess is None:
        from madoguchi.document.quality import assess
    counter, scan = config.counter, config.scan
    sources: dict[str, ReferenceSource] = {
        mode: ScannedPhoto(
            mode,
            scanner=hardware.scanner,
            engine=engine,
            locate=locate,
            dpi=scan.dpi(mode),
            max_dpi=scan.rescan_max_dpi,
        )
        for mode in ("card", "form")
    }
    if config.chip.enabled:
        from madoguchi.chip.source import ChipSource, make_reader

        sources["chip"] = ChipSource(chip_reader or make_reader(config.chip, config.hardware.kind))
    runner = TransactionRunner(
        engine=engine,
        sources=sources,
        watch=Watch(hardware.camera, engine, assess, seconds=counter.capture_seconds, clock=clock),
        assess=assess,
        reference_quality=counter.reference_quality,
    )
    presenter = Presenter.of(
        counter, screen_size=hardware.display.size, slip_width_px=hardware.printer.width_px
    )
    recorder = Recorder(audit, terminal_id=counter.terminal_id)
    return Counter(
        hardware,
        runner,
        presenter,
        recorder,
        counter,
        clock=clock,
        **hooks,
    )
