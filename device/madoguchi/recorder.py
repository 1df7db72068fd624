"""The counter's side of the audit record: what stands for a transaction while it runs, and after.

:meth:`Recorder.begin` durably keeps the record a transaction leaves if it is cut off (outcome
"interrupted"), before its number is shown anywhere; :meth:`Recorder.finish` replaces it with the
finished record. See :mod:`madoguchi.audit` for how both survive a power cut. While no record can
be kept (a full or read-only disk), both raise AuditUnavailable and no transaction may start.
"""

from __future__ import annotations

from madoguchi.audit import AuditLog, AuditRecord
from madoguchi.outcome import TransactionResult


class Recorder:
    """Writes the audit records of one terminal's transactions.

    :param audit: the open audit record; transaction numbers continue from it.
    :param terminal_id: this counter's name in every record.
    """

    def __init__(self, audit: AuditLog, *, terminal_id: str) -> None:
        self.audit = audit
        self.terminal_id = terminal_id

    def next_number(self) -> int:
        return self.audit.next_number()

    def probe(self) -> None:
        """Raise AuditUnavailable unless a transaction could be recorded now."""
        self.audit.probe()

    def witness(self) -> tuple[int, str]:
        """The last record's number and the first digits of the chain's head, for the slip."""
        return self.audit.head()

    def begin(self, cut_off: TransactionResult) -> None:
        self.audit.begin(self._record(cut_off, messages=(), slip_printed=None))

    def finish(self, result: TransactionResult, *, messages: tuple[str, ...], slip_printed: bool) -> None:
        self.audit.append(self._record(result, messages=messages, slip_printed=slip_printed))

    def _record(
        self, result: TransactionResult, *, messages: tuple[str, ...], slip_printed: bool | None
    ) -> AuditRecord:
        return AuditRecord.of(
            result, terminal_id=self.terminal_id, messages=messages, slip_printed=slip_printed
        )
