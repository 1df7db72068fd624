"""What the three buttons do for staff between visitors, besides START (the next visitor) and MODE
(the mode): while a score is on screen, record staff's decision on it (:mod:`.decision`); else
CANCEL opens the staff menu (:mod:`.menu`).

    score on screen, decision open    START 交付 · MODE 再確認 · CANCEL 交付せず → confirmation → idle
    idle, result, confirmation        CANCEL → staff menu: MODE moves · START chooses · CANCEL leaves

The counter asks :meth:`StaffKeys.press` first for every press between visitors, while the audit
record can be kept; a press neither takes is the counter's own.
"""

from __future__ import annotations

from madoguchi.counter.decision import Decisions
from madoguchi.counter.menu import StaffMenu
from madoguchi.counter.outcome import TransactionResult


class StaffKeys:
    """Staff's decision on the score on screen, else the staff menu."""

    def __init__(self, decisions: Decisions, menu: StaffMenu) -> None:
        self.decisions, self.menu = decisions, menu

    def offer(self, result: TransactionResult, until: float) -> None:
        """``result`` stays on screen until ``until`` (the counter's clock)."""
        self.decisions.offer(result, until)

    def press(self, event: object) -> float | None:
        """Act on ``event`` if it is staff's; when the idle screen should return (None: not theirs)."""
        until = self.decisions.press(event)
        if until is None and (until := self.menu.press(event)) is not None:
            self.decisions.open = None  # the menu is over the score: no decision on it now
        return until
