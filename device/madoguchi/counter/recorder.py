"""The counter's side of the audit record: what stands for a transaction while it runs, and after.

:meth:`Recorder.begin` durably keeps the record a transaction leaves if it is cut off (outcome
"interrupted"), before its number is shown anywhere; :meth:`Recorder.finish` replaces it with the
finished record. See :mod:`madoguchi.audit` for how both survive a power cut. While no record can
be kept (a full or read-only disk), both raise AuditUnavailable and no transaction may start.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from madoguchi.audit import AuditLog, AuditRecord
from madoguchi.audit.record import CONFIG_CHANGED, DECISION, REPRINT
from madoguchi.counter.outcome import TransactionResult


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

    def check_file(self) -> None:
        """Raise AuditFileChanged unless the record's path still names the file being written (before
        a slip: no slip for a transaction whose record would not land in that file)."""
        self.audit.check_file()

    def recover(self) -> int | None:
        """After AuditFileChanged: a new file at the path, begun with an ``audit_lost`` record (its
        number)."""
        return self.audit.recover()

    def witness(self) -> tuple[int, str]:
        """The last record's number and the first digits of the chain's head, for the slip."""
        return self.audit.head()

    def begin(self, cut_off: TransactionResult) -> None:
        self.audit.begin(self._record(cut_off, messages=(), slip_printed=None))

    def finish(self, result: TransactionResult, *, messages: tuple[str, ...], slip_printed: bool) -> None:
        self.audit.append(self._record(result, messages=messages, slip_printed=slip_printed))

    def config_changed(
        self, key: str, old: object, new: object, *, by: str, when: datetime, mode: str, threshold: int
    ) -> int:
        """Keep a technician's change of ``[counter] key`` (who, old -> new) as a record; its number."""
        change = TransactionResult(self.audit.next_number(), when, mode, threshold, CONFIG_CHANGED)
        self.audit.append(
            self._record(change, messages=(f"{key}: {old} -> {new}", f"by {by}"), slip_printed=None)
        )
        return change.number

    def decided(self, result: TransactionResult, decision: str, *, when: datetime) -> int:
        """Keep staff's ``decision`` on ``result`` as a record of its own (its number, the decision,
        the time: not the score again, nothing biometric); the record's number."""
        return self._about(result, DECISION, when, slip_printed=None, decision=decision)

    def reprinted(self, result: TransactionResult, *, when: datetime, printed: bool) -> int:
        """Keep that ``result``'s slip was printed again (or tried: ``printed``); the record's number."""
        return self._about(result, REPRINT, when, slip_printed=printed)

    def _about(
        self,
        result: TransactionResult,
        outcome: str,
        when: datetime,
        *,
        slip_printed: bool | None,
        decision: str | None = None,
    ) -> int:
        note = TransactionResult(self.audit.next_number(), when, result.mode, result.threshold, outcome)
        record = self._record(note, messages=(), slip_printed=slip_printed)
        self.audit.append(dataclasses.replace(record, about=result.number, decision=decision))
        return note.number

    def _record(
        self, result: TransactionResult, *, messages: tuple[str, ...], slip_printed: bool | None
    ) -> AuditRecord:
        return AuditRecord.of(
            result, terminal_id=self.terminal_id, messages=messages, slip_printed=slip_printed
        )
