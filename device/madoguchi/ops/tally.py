"""Today's transactions by outcome, each device's last fault and the last result, for ``madoguchi
status``: an observer of the counter's reports, started from today's records after a restart."""

from __future__ import annotations

import collections
from collections.abc import Callable
from datetime import date
from pathlib import Path

from madoguchi.audit.figures import is_transaction
from madoguchi.audit.reading import newest_first
from madoguchi.counter.faults import DEVICE_OF_CODE
from madoguchi.counter.outcome import Report, TransactionResult


class Tally:
    """Counts the counter's reports of ``today``; call :meth:`add` with each."""

    def __init__(self, audit_path: Path, today: Callable[[], date] = date.today) -> None:
        self.today = today
        self.day = today()
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.faults: dict[str, tuple[str, str]] = {}
        """Each device's last fault: its code and when."""
        self.last: TransactionResult | None = None
        prefix = self.day.isoformat()
        for record in newest_first(audit_path):  # the daemon restarted: today's records so far
            if not record.time.startswith(prefix):
                break
            if is_transaction(record):  # not a config change, a staff decision or a reprint
                self.outcomes[record.outcome] += 1

    def add(self, report: Report) -> None:
        result = self.last = report.result
        if self.today() != self.day:
            self.day, self.outcomes = self.today(), collections.Counter()
        self.outcomes[result.code] += 1
        for code in (result.code, *result.notes):
            if code in DEVICE_OF_CODE:
                self.faults[DEVICE_OF_CODE[code]] = (code, result.time.isoformat(timespec="seconds"))
