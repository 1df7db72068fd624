"""The staff menu, opened with CANCEL between visitors: print the last slip again (after the paper ran
out), or print today's figures. MODE moves, START chooses, CANCEL leaves; without a press for
:data:`MENU_SECONDS` it closes by itself.

    職員メニュー
    ▶ 直前の票を再印刷      the last transaction's slip, marked 再発行 (Slips.reprint)
      本日の集計を印刷      today's figures on a day slip (Slips.print_day)
      戻る

The counter's loop hands it the presses (:class:`~madoguchi.counter.staff.StaffKeys`), so technicians'
calls, STOP and the watchdog are served as at the idle screen. What a choice did stays on screen for
:data:`DONE_SECONDS`, then the idle screen returns; START there begins the next visitor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from madoguchi.audit.figures import Figures
from madoguchi.counter.faults import fault_code
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.slips import Slips
from madoguchi.counter.state import Event
from madoguchi.errors import AuditUnavailable, NothingToReprint, PrinterError

log = logging.getLogger(__name__)

MENU_SECONDS = 30.0
"""The menu closes after this long without a press."""
DONE_SECONDS = 5.0
"""How long what a choice did stays on screen."""
REPRINT, DAY, BACK = "menu_reprint", "menu_day", "menu_back"
ITEMS = (REPRINT, DAY, BACK)


class StaffMenu:
    """The menu on the LCD, and what its items do.

    :param slips: prints a slip again, and the day slip.
    :param figures: a day's figures from the audit record (OSError when it cannot be read).
    :param clock: monotonic seconds (the counter's).
    :param now: wall-clock time, for the slips and the record.
    """

    def __init__(
        self,
        lcd: Lcd,
        slips: Slips,
        *,
        figures: Callable[[date], Figures],
        clock: Callable[[], float],
        now: Callable[[], datetime],
    ) -> None:
        self.lcd, self.slips, self.figures = lcd, slips, figures
        self.clock, self.now = clock, now
        self.chosen = 0
        self.until = 0.0
        """The menu is open until then (the counter's clock)."""

    @property
    def is_open(self) -> bool:
        return self.clock() < self.until

    def press(self, event: object) -> float | None:
        """Act on ``event``: open the menu (CANCEL), move, choose or leave; when the idle screen
        should return. None: not the menu's (it is closed and this is not CANCEL, or STOP)."""
        if not self.is_open:
            if event is not Event.CANCEL:
                return None
            self.chosen = 0
            return self._show()
        if event is Event.MODE:
            self.chosen = (self.chosen + 1) % len(ITEMS)
            return self._show()
        if event is Event.START and ITEMS[self.chosen] != BACK:
            return self._choose(ITEMS[self.chosen])
        if event in (Event.START, Event.CANCEL):
            self.until = 0.0
            return self.clock()  # back to the idle screen at once
        return None

    def _show(self, notice: str | None = None) -> float:
        chosen, kept = self.chosen, self.slips.last
        last = None if kept is None else kept.result.number
        self.lcd.put(
            lambda answer: self.lcd.presenter.menu(ITEMS, chosen, last=last, notice=notice or answer)
        )
        self.until = self.clock() + MENU_SECONDS
        return self.until

    def _choose(self, item: str) -> float:
        now = self.now()
        transaction, figures = None, None
        try:
            if item == REPRINT:
                reprinted = self.slips.reprint(now)
                transaction, code = reprinted.transaction, reprinted.problem or "reprinted"
            else:
                figures = self.figures(now.date())
                self.slips.print_day(figures, now)
                code = "day_printed"
        except NothingToReprint:
            return self._show(notice="nothing_to_reprint")
        except AuditUnavailable as error:  # the counter's next probe takes it out of service
            log.error("staff menu: %s not done: %s", item, error)
            code = "audit_unavailable"
        except PrinterError as error:
            log.error("staff menu: %s not printed: %s", item, error)
            code = fault_code(error, "reference")
        except OSError as error:
            log.error("staff menu: today's figures not read: %s", error)
            code = "figures_unreadable"
        self.until = 0.0
        self.lcd.put(
            lambda notice: self.lcd.presenter.menu_done(
                code, transaction=transaction, figures=figures, notice=notice
            )
        )
        return self.clock() + DONE_SECONDS
