"""The counter's loop: one thread owns the state, buttons and technicians only queue events.

    idle ─START→ (the source's steps) → capturing → scoring → wiping → reporting → idle
                   └──────────── CANCEL or a fault, at any step ──────┘ → wiping → reporting

The transaction itself is :class:`~madoguchi.counter.runner.TransactionRunner`'s; the screens and
the slip are the :class:`~madoguchi.ui.presenter.Presenter`'s, on the :class:`~.lcd.Lcd`; the
audit record is the :class:`~.recorder.Recorder`'s; a keyed-in code is the
:class:`~.keypad.Keypad`'s; technicians' calls are :class:`~.calls.Calls`'; staff's decision on a
score and the staff menu are :class:`~.staff.StaffKeys`'. The counter keeps the
loop, the mode, how long a result stays on screen, and whether it can serve at all. Faces are wiped
before anything is reported. While no audit record can be kept (a full disk), no transaction
starts: the counter is out of service, says why on the LCD and to systemd, and resumes by itself.
A button is never silently dropped: START and MODE pressed while a transaction runs are answered
on the screen (and logged), CANCEL stops the transaction at the next step or between two camera
frames, and any press at the idle or result screen is acted on.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from madoguchi.config.counter import CounterConfig
from madoguchi.counter.availability import Availability
from madoguchi.counter.calls import Call, Calls
from madoguchi.counter.events import EventQueue
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.outcome import INTERRUPTED, Report, TransactionResult
from madoguchi.counter.recorder import Recorder
from madoguchi.counter.runner import TransactionRunner
from madoguchi.counter.slips import Slips
from madoguchi.counter.snapshot import Snapshot
from madoguchi.counter.staff import StaffKeys
from madoguchi.counter.state import Event, KeyPress, State
from madoguchi.errors import AuditUnavailable, Cancelled

log = logging.getLogger(__name__)

BUSY_PRESS = "busy_press"
"""The message that answers START or MODE pressed while a transaction runs."""


@dataclass(frozen=True)
class Hooks:
    """What the counter tells the world, and asks of it (defaults: nothing, and the local clock).

    :param now: wall-clock time for slips and records.
    :param heartbeat: called at least once a second while the counter is healthy (systemd's watchdog).
    :param status: told, in words, when the counter stops or resumes serving (systemd's STATUS=).
    :param clock_problem: why the wall clock is not to be trusted, or None (:mod:`madoguchi.clock`).
    :param observers: called with each finished transaction's :class:`Report`.
    """

    now: Callable[[], datetime] = lambda: datetime.now().astimezone()
    heartbeat: Callable[[], None] = lambda: None
    status: Callable[[str], None] = lambda text: None
    clock_problem: Callable[[], str | None] = lambda: None
    observers: Sequence[Callable[[Report], None]] = ()


class Counter:
    """Serves visitors: :meth:`run` is the counter's thread; others :meth:`submit` to it.

    :param modes: what MODE cycles through (the modes the config offers, in the registry's order).
    :param clock: monotonic seconds, for the result time.
    """

    def __init__(
        self,
        *,
        events: EventQueue,
        calls: Calls,
        lcd: Lcd,
        runner: TransactionRunner,
        recorder: Recorder,
        slips: Slips,
        staff: StaffKeys,
        settings: CounterConfig,
        modes: Sequence[str],
        clock: Callable[[], float],
        hooks: Hooks,
    ) -> None:
        self.events, self.calls, self.lcd = events, calls, lcd
        self.runner, self.recorder, self.slips, self.staff = runner, recorder, slips, staff
        self.settings, self.modes, self.mode = settings, tuple(modes), settings.mode
        self.clock, self.hooks = clock, hooks
        self.serving: int | None = None
        self.availability = Availability(recorder, lcd, events, status=hooks.status, mode=lambda: self.mode)
        self._result_until: float | None = None

    def submit(self, event: Event | Call) -> None:
        """Queue a press or a technician's call; safe from any thread and from signal handlers."""
        self.events.post(event)

    def snapshot(self) -> Snapshot:
        change = self.availability.last_change
        return Snapshot(self.events.state, self.serving, self.mode, self.settings, change)

    def run(self) -> None:
        """Serve visitors until STOP; every fault in a transaction is reported, not raised."""
        if self.availability.probe():
            self._show_idle()
        while not self.events.stopping:
            self.hooks.heartbeat()
            if self.availability.probe() and self.events.state is State.OUT_OF_SERVICE:
                self._show_idle()  # back in service, or the record's file recovered at once
            left = 1.0 if self._result_until is None else self._result_until - self.clock()
            try:
                event = self.events.get(timeout=min(1.0, max(0.0, left)))
            except queue.Empty:
                if self._result_until is not None and self.clock() >= self._result_until:
                    self._show_idle()
                continue
            try:
                self._handle(event)
            finally:
                self.events.handled()
        self.events.enter(State.STOPPED)

    def apply(self, settings: CounterConfig) -> None:
        """Use a changed ``[counter]`` section from the next transaction on (on this thread: a Call)."""
        self.lcd.presenter = self.lcd.presenter.reconfigured(settings)
        self.recorder.terminal_id = settings.terminal_id
        self.mode = settings.mode if settings.mode != self.settings.mode else self.mode
        self.settings = settings
        if self._result_until is None:
            self._show_idle()

    def _handle(self, event: Event | Call) -> None:
        if isinstance(event, Call):
            self.calls.run(event)
        elif self.availability.reason is None and (until := self.staff.press(event)) is not None:
            self._result_until = until  # a decision on the score, or the staff menu: then the idle screen
        elif event is Event.START:
            self._serve()
        elif event is Event.STOP:
            return
        elif self.availability.reason is not None:
            self.availability.show()
        elif event is Event.MODE and self.settings.mode_button:
            following = (self.modes.index(self.mode) + 1) % len(self.modes) if self.mode in self.modes else 0
            self.mode = self.modes[following]
            log.info("mode switched to %s", self.mode)
            self._show_idle()
        else:
            if event is Event.MODE:
                log.info("MODE pressed; the mode stays %s (mode_button is off)", self.mode)
            self._show_idle()

    # --- what a running transaction reports (madoguchi.counter.sources.base.Progress) ---

    def enter(self, state: State) -> None:
        self.events.enter(state)

    def check(self) -> None:
        """Between steps: CANCEL and STOP end the transaction; START and MODE are answered."""
        self.hooks.heartbeat()
        for event in self.events.pending():
            if isinstance(event, Call):
                self.calls.take(event)
            elif event in (Event.STOP, Event.CANCEL):
                raise Cancelled
            else:
                self._answer(event)

    def step(self, state: State, code: str, hint: str | None = None) -> None:
        self.check()
        self.enter(state)
        self.lcd.saw(code)
        self.lcd.put(lambda notice: self.lcd.presenter.progress(code, hint=hint, notice=notice))

    def guidance(self, codes: tuple[str, ...], seconds_left: float) -> None:
        self.enter(State.CAPTURING)
        self.lcd.saw("capturing", *codes)
        self.lcd.put(
            lambda notice: self.lcd.presenter.capture(codes, seconds_left=seconds_left, notice=notice)
        )

    def _answer(self, event: Event | KeyPress) -> None:
        """A START or MODE while busy: not acted on, but said on the screen (a keypad key: ignored)."""
        if isinstance(event, Event):
            log.info(
                "%s pressed while %s; answered on the screen", event.value.upper(), self.events.state.value
            )
            self.lcd.answer(BUSY_PRESS)

    def redraw(self) -> None:
        """Put back what staff were looking at: the result still on screen, else the idle screen."""
        if self._result_until is None or not self.lcd.redraw():
            self._show_idle()

    def _show_idle(self) -> None:
        self._result_until = None
        self.lcd.forget()
        notice = "clock_implausible" if self.hooks.clock_problem() else self.availability.notice
        self.lcd.show(self.lcd.presenter.idle(self.mode, notice=notice))
        self.enter(State.IDLE)

    # --- one transaction ---

    def _serve(self) -> None:
        settings, self._result_until = self.settings, None
        try:
            cut_off = TransactionResult(
                self.recorder.next_number(), self.hooks.now(), self.mode, settings.threshold, INTERRUPTED
            )
            self.recorder.begin(cut_off)
        except AuditUnavailable as error:  # nothing was started: the number stays free
            if self.availability.lost(error):
                self._show_idle()  # the record's file was recovered: START again
            return
        self.availability.regained()
        self.availability.notice = None
        self.serving = cut_off.number
        self.lcd.begin()
        log.info("transaction %d: start (%s)", cut_off.number, self.mode)
        started = self.clock()
        result = self.runner.run(cut_off, self)
        if (problem := self.hooks.clock_problem()) is not None:  # the slip's and record's time: untrusted
            log.warning("transaction %d: the clock may be wrong (%s)", result.number, problem)
            result = dataclasses.replace(result, notes=("clock_implausible", *result.notes))
            self.lcd.saw("clock_implausible")
        result, slip_printed = self._report(result)
        log.info("transaction %d: %s in %.2f s", result.number, result.summary, self.clock() - started)
        report = Report(result, tuple(self.lcd.shown), slip_printed)
        self.serving = None
        try:
            self.recorder.finish(result, messages=report.shown, slip_printed=slip_printed)
            recovered = True
        except AuditUnavailable as error:  # kept in memory: written first when the disk recovers, or
            recovered = self.availability.lost(error)  # at once, at the top of a changed file's successor
        if recovered:
            self._result_until = self.clock() + settings.result_seconds
            self.staff.offer(result, self._result_until)
            self.lcd.redraw()
            self.enter(State.IDLE)  # the result stays on screen until result_seconds pass or a button
        for observer in self.hooks.observers:
            observer(report)
        self.calls.run_deferred()

    def _report(self, result: TransactionResult) -> tuple[TransactionResult, bool]:
        self.enter(State.REPORTING)
        self.lcd.saw(result.code)
        self.lcd.put(lambda notice: self.lcd.presenter.result(result, notice=notice))
        result, slip_printed = self.slips.print(result)  # a slip not printed: a note, on the screen too
        for event in self.events.pending():  # pressed while the slip printed
            if isinstance(event, Call):
                self.calls.take(event)
            elif event is not Event.STOP:
                self._answer(event)
        return result, slip_printed
