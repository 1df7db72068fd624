"""Staff's decision on a score, recorded with one press while the score is on screen: START 交付
(issued), MODE 再確認 (second check), CANCEL 交付せず (refused).

The counter offers it when a scored result stays on screen (``[counter] decisions``, on by default).
The first of the three buttons pressed before the result time is over is the decision: it is kept
as a record of its own (:meth:`~madoguchi.counter.recorder.Recorder.decided`: the transaction's
number, the decision, the time and the terminal; nothing biometric), a short confirmation is shown,
then the idle screen. Once per transaction: after the decision, or after the result time, a press is
an ordinary one again (START starts the next visitor). A result without a score offers nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from madoguchi.counter.lcd import Lcd
from madoguchi.counter.outcome import SCORED, TransactionResult
from madoguchi.counter.recorder import Recorder
from madoguchi.counter.state import Event
from madoguchi.errors import AuditUnavailable

log = logging.getLogger(__name__)

CONFIRMATION_SECONDS = 3.0
"""How long the confirmation stays before the idle screen (START meanwhile begins the next visitor)."""
DECISION_OF_PRESS: dict[object, str] = {
    Event.START: "issued",
    Event.MODE: "second_check",
    Event.CANCEL: "refused",
}


class Decisions:
    """Records staff's decision on the scored result on screen.

    :param enabled: whether ``[counter] decisions`` is on now.
    :param clock: monotonic seconds (the result time's clock).
    :param now: wall-clock time, for the record.
    """

    def __init__(
        self,
        recorder: Recorder,
        lcd: Lcd,
        *,
        enabled: Callable[[], bool],
        clock: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        self.recorder, self.lcd = recorder, lcd
        self.enabled, self.clock, self.now = enabled, clock, now
        self.open: TransactionResult | None = None
        """The scored result on screen with no decision yet, until :attr:`until`."""
        self.until = 0.0

    def offer(self, result: TransactionResult, until: float) -> None:
        """``result`` stays on screen until ``until`` (the counter's clock): decide on it meanwhile."""
        self.open = result if result.code == SCORED and self.enabled() else None
        self.until = until

    def press(self, event: object) -> float | None:
        """Record ``event`` as the decision on the score on screen and confirm it on the LCD; when the
        idle screen should return. None: not a decision (none open, its time over, another event)."""
        result, decision = self.open, DECISION_OF_PRESS.get(event)
        if result is None or decision is None or not self.enabled() or self.clock() >= self.until:
            return None
        self.open = None
        try:
            number = self.recorder.decided(result, decision, when=self.now())
        except AuditUnavailable as error:  # the counter's next probe takes it out of service
            log.error("transaction %d: decision %s not recorded: %s", result.number, decision, error)
            recorded = False
        else:
            log.info("transaction %d: staff decided %s (record %d)", result.number, decision, number)
            recorded = True
        self.lcd.put(
            lambda notice: self.lcd.presenter.decided(result, decision, recorded=recorded, notice=notice)
        )
        return self.clock() + CONFIRMATION_SECONDS
