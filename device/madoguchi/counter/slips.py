"""The slip of each result: printed only when its record will land in the file the audit path
names, and with the audit record's witness (the last number and head before it). A slip that cannot
be printed (paper out, a printer fault, the record's file changed) becomes a note on the result, so
the LCD and the record say so.

A cancelled transaction prints no slip: staff stopped it themselves (or left a code half keyed in),
nobody was compared, and there is nothing to hand over or file; the audit record keeps it (outcome
``cancelled``, no slip), and the next slip's witness covers it. The last slip is kept (its result
and witness, no image) to be printed again, marked 再発行, after the paper ran out: the same number
and witness, and a ``reprint`` record. The day slip prints a day's figures.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from madoguchi.audit.figures import Figures
from madoguchi.counter.faults import fault_code
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.outcome import CANCELLED, TransactionResult
from madoguchi.counter.recorder import Recorder
from madoguchi.errors import AuditFileChanged, NothingToReprint, PrinterError
from madoguchi.hardware.base import Printer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptSlip:
    """What the last transaction's slip was printed from: its result and the witness on it."""

    result: TransactionResult
    witness: tuple[int, str]


@dataclass(frozen=True)
class Reprinted:
    """A slip printed again: the transaction's number, the ``reprint`` record's, and why the slip did
    not come out (a message code), None when it did."""

    transaction: int
    record: int
    problem: str | None = None


class Slips:
    """Prints results on ``printer`` as ``lcd``'s presenter draws them."""

    def __init__(self, printer: Printer, recorder: Recorder, lcd: Lcd) -> None:
        self.printer, self.recorder, self.lcd = printer, recorder, lcd
        self.last: KeptSlip | None = None
        """The last transaction's slip, printed or not (paper out): what a reprint prints."""

    def print(self, result: TransactionResult) -> tuple[TransactionResult, bool]:
        """``result``, with a note (also on the screen) if its slip was not printed, and whether it was."""
        if result.code == CANCELLED:
            return result, False
        try:
            self.recorder.check_file()  # no slip unless its record lands in the file the path names
            kept = self.last = KeptSlip(result, self.recorder.witness())
            self.printer.print_slip(self.lcd.presenter.slip(result, witness=kept.witness))
        except (PrinterError, AuditFileChanged) as error:
            log.error("transaction %d: slip not printed: %s", result.number, error)
            problem = fault_code(error, "reference")
            result = dataclasses.replace(result, notes=(problem, *result.notes))
            self.lcd.saw(problem)
            self.lcd.put(lambda notice: self.lcd.presenter.result(result, notice=notice))
            return result, False
        return result, True

    def reprint(self, when: datetime) -> Reprinted:
        """Print the last slip again, marked as a reprint at ``when``, and keep that in the audit record.

        NothingToReprint when there is none; AuditUnavailable (nothing printed) while no record can
        be kept. A printer fault is the answer's ``problem``, and recorded too.
        """
        kept = self.last
        if kept is None:
            raise NothingToReprint("no slip has been printed since the counter started")
        self.recorder.probe()  # no reprint without its record
        try:
            slip = self.lcd.presenter.slip(kept.result, witness=kept.witness, reprinted_at=when)
            self.printer.print_slip(slip)
            problem = None
        except PrinterError as error:
            log.error("transaction %d: slip not printed again: %s", kept.result.number, error)
            problem = fault_code(error, "reference")
        number = self.recorder.reprinted(kept.result, when=when, printed=problem is None)
        log.info("transaction %d: slip printed again (record %d)", kept.result.number, number)
        return Reprinted(kept.result.number, number, problem)

    def print_day(self, figures: Figures, when: datetime) -> None:
        """The day slip of one day's ``figures``, printed at ``when``; PrinterError if it did not come out."""
        self.printer.print_slip(self.lcd.presenter.day_slip(figures, printed_at=when))
