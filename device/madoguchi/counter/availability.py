"""Whether the counter may serve: only while an audit record can be kept (a score without a record is
not given). While it cannot (a full or read-only disk), the counter is out of service, says why on
the LCD and to systemd (STATUS=), and resumes by itself once the record can be written again.

The record's file deleted, replaced, cut short or written by someone else under the running daemon
(:class:`~madoguchi.errors.AuditFileChanged`) takes it out of service too, with what was seen; the
record is then recovered at once (:meth:`madoguchi.audit.AuditLog.recover`: a new file at the path
that starts with an ``audit_lost`` record, numbering on after the highest number given), and the
idle screen says so until the next visitor, so staff can call the technician.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from madoguchi.counter.events import EventQueue
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.recorder import Recorder
from madoguchi.counter.state import State
from madoguchi.errors import AuditFileChanged, AuditUnavailable

RECOVERED = "audit_recovered"
"""The idle screen's notice after the record's file was found changed and a new one begun."""

log = logging.getLogger(__name__)


class Availability:
    """Takes the counter out of service and back, as the audit record allows.

    :param status: told, in words, when the counter stops or resumes serving (systemd's STATUS=).
    :param mode: the mode now, for the status line on resuming.
    """

    def __init__(
        self,
        recorder: Recorder,
        lcd: Lcd,
        events: EventQueue,
        *,
        status: Callable[[str], None],
        mode: Callable[[], str],
    ) -> None:
        self.recorder, self.lcd, self.events = recorder, lcd, events
        self.status, self.mode = status, mode
        self.reason: str | None = None
        """Why no record can be kept, while it lasts."""
        self.last_change: str | None = None
        """What the last change of the record's file was, and the ``audit_lost`` record that says so."""
        self.notice: str | None = None
        """A message code for the idle screen: the record was recovered (until the next visitor)."""

    def probe(self) -> bool:
        """Whether a transaction could be recorded now; if not, go out of service and say why."""
        try:
            self.recorder.probe()
        except AuditUnavailable as error:
            return self.lost(error)
        self.regained()
        return True

    def regained(self) -> None:
        if self.reason is not None:
            log.info("the audit record can be kept again; serving visitors")
            self.status(f"ready: mode {self.mode()} (the audit record can be kept again)")
            self.reason = None

    def lost(self, error: AuditUnavailable) -> bool:
        """No record can be kept, so no score may be given: say so on the LCD and to systemd. A
        changed file is recovered at once: True when the counter may serve again."""
        if self.reason != error.reason:
            log.error("no visitor can be served: %s", error)
            self.status(f"out of service: audit record unavailable: {error.reason}")
        self.reason = error.reason
        self.show()
        self.events.enter(State.OUT_OF_SERVICE)
        return isinstance(error, AuditFileChanged) and self._recover(error)

    def _recover(self, error: AuditFileChanged) -> bool:
        try:
            number = self.recorder.recover()
        except AuditUnavailable as failed:  # the disk refuses the new file too: out of service
            self.lost(failed)
            return False
        self.last_change = f"{error.reason}; record {number}: audit_lost"
        log.warning("audit record: %s; a new file begins with record %s (audit_lost)", error.reason, number)
        self.notice = RECOVERED
        self.regained()
        return True

    def show(self) -> None:
        """The out-of-service screen, with the reason for the technician."""
        reason = self.reason or ""
        self.lcd.put(lambda notice: self.lcd.presenter.out_of_service(reason))
