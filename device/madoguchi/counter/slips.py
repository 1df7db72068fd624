"""The slip of each result: printed only when its record will land in the file the audit path
names, and with the audit record's witness (the last number and head before it). A slip that cannot
be printed (paper out, a printer fault, the record's file changed) becomes a note on the result, so
the LCD and the record say so."""

from __future__ import annotations

import dataclasses
import logging

from madoguchi.counter.faults import fault_code
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.outcome import TransactionResult
from madoguchi.counter.recorder import Recorder
from madoguchi.errors import AuditFileChanged, PrinterError
from madoguchi.hardware.base import Printer

log = logging.getLogger(__name__)


class Slips:
    """Prints results on ``printer`` as ``lcd``'s presenter draws them."""

    def __init__(self, printer: Printer, recorder: Recorder, lcd: Lcd) -> None:
        self.printer, self.recorder, self.lcd = printer, recorder, lcd

    def print(self, result: TransactionResult) -> tuple[TransactionResult, bool]:
        """``result``, with a note if its slip was not printed, and whether it was."""
        try:
            self.recorder.check_file()  # no slip unless its record lands in the file the path names
            self.printer.print_slip(self.lcd.presenter.slip(result, witness=self.recorder.witness()))
        except (PrinterError, AuditFileChanged) as error:
            log.error("transaction %d: slip not printed: %s", result.number, error)
            return dataclasses.replace(result, notes=(fault_code(error, "reference"), *result.notes)), False
        return result, True
