"""Reading the record back: every line, link and seal, against the state and the key's epoch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from madoguchi.audit.files import Files
from madoguchi.audit.marker import read_mark
from madoguchi.audit.record import (
    AUDIT_LOST,
    GENESIS,
    MAX_LINE,
    DamagedRecord,
    digest,
    parse_object,
    record_from,
    split_seal,
)
from madoguchi.audit.seal import EpochKeys, SealingKey, key_path, peek_sealing_key, sealed_by
from madoguchi.audit.state import State, read_state, state_path

LOG_MISSING = "log_missing"
LOG_TRUNCATED = "log_truncated"
LOG_REPLACED = "log_replaced"
MAX_EPOCH_GAP = 100_000
"""The most epochs one line may skip and still be checked (a record lost, then ``audit_lost``)."""
_HEAD = re.compile(r"([0-9]{1,13}):([0-9a-fA-F]{12,64})")


@dataclass
class ChainReport:
    """What reading the record found: how many records, the last number, and any problem."""

    records: int = 0
    last_number: int = 0
    last_hash: str = GENESIS
    last_epoch: int | None = None
    """The epoch of the last sealed record, None if none is sealed."""
    good_length: int = 0
    torn_bytes: int = 0
    missing: bool = False
    sealed: int = 0
    seals_checked: int = 0
    lost: str | None = None
    """Why records the state or the key's epoch vouch for are not in the file, if they are not."""
    state_checked: bool = False
    """Whether the state's seal was checked with the verification key."""
    witnessed: str | None = None
    """The SHA-256 of the line of the transaction asked for (``witness``), if the record has it."""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.torn_bytes


def bounded_lines(handle: BinaryIO) -> Iterator[tuple[bytes, int, bool]]:
    """(line without newline, bytes it took, whether a newline ended it); a long line comes cut short."""
    while True:
        chunk = handle.readline(MAX_LINE + 2)
        if not chunk:
            return
        size = len(chunk)
        while not chunk.endswith(b"\n") and size > MAX_LINE:  # skip the rest of a line too long to keep
            more = handle.readline(64 * 1024)
            if not more:
                break
            size += len(more)
            chunk = chunk[: MAX_LINE + 1] + more[-1:]
        ended = chunk.endswith(b"\n")
        yield chunk[:-1] if ended else chunk, size, ended


class _Scan:
    def __init__(
        self, report: ChainReport, keys: EpochKeys | None, state: State | None, witness: int | None
    ) -> None:
        self.report = report
        self.keys = keys
        self.state = state
        self.witness = witness
        self.state_line: tuple[str, int | None] | None = None  # hash and epoch of state.number's line
        self.unsealed_after: int | None = None
        self.loss_recorded = 0
        """The number of the last ``audit_lost`` record: a loss before it is already on record."""

    def line(self, index: int, line: bytes) -> None:
        report = self.report
        try:
            data = parse_object(line)
        except DamagedRecord as error:
            report.problems.append(f"line {index}: damaged ({error})")
            data = {}
        try:
            record = record_from(data) if data else None
        except DamagedRecord as error:
            report.problems.append(f"line {index}: {error}")
            record = None
        if data.get("prev") != report.last_hash:
            report.problems.append(f"line {index}: chain broken (prev does not match line {index - 1})")
        number = data.get("number")
        if record is None or number <= report.last_number:  # type: ignore[operator]
            if record is not None:
                report.problems.append(f"line {index}: transaction number {number!r} does not increase")
        else:
            report.last_number = record.number
            if record.outcome == AUDIT_LOST:
                self.loss_recorded = record.number
                report.problems.append(
                    f"line {index}: transaction {record.number} records that the audit record was lost "
                    f"({', '.join(record.messages)})"
                )
        epoch = data.get("epoch")
        if data:
            self._seal(index, line, data, epoch)
        report.last_hash = digest(line)
        report.records += 1
        if self.state is not None and number == self.state.number:
            self.state_line = (report.last_hash, epoch if isinstance(epoch, int) else None)
        if number == self.witness and report.witnessed is None:
            report.witnessed = report.last_hash

    def _seal(self, index: int, line: bytes, data: dict[str, object], epoch: object) -> None:
        report = self.report
        tag = data.get("seal")
        if tag is None and epoch is None:
            if report.last_epoch is not None and self.unsealed_after is None:
                self.unsealed_after = index
                report.problems.append(f"line {index}: not sealed, though line {index - 1} was (key lost)")
            return
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not isinstance(tag, str):
            report.problems.append(f"line {index}: seal {tag!r} of epoch {epoch!r} is not one")
            return
        expected = 1 if report.last_epoch is None else report.last_epoch + 1
        report.sealed += 1
        if epoch != expected:
            report.problems.append(
                f"line {index}: sealed in epoch {epoch}, the next epoch is {expected}"
                + (f": records of epochs {expected}-{epoch - 1} are missing" if epoch > expected else "")
            )
            if not expected < epoch <= expected + MAX_EPOCH_GAP:
                return  # not taken as the chain's epoch, nor checked: its key could take ages to derive
        report.last_epoch = epoch
        if self.keys is None:
            return
        try:
            body = split_seal(line, tag)
        except DamagedRecord as error:
            report.problems.append(f"line {index}: {error}")
            return
        if epoch > 0 and sealed_by(self.keys.at(epoch), body, tag):
            report.seals_checked += 1
        else:
            report.problems.append(f"line {index}: seal does not match (edited, or sealed with another key)")


def _check_state(scan: _Scan, state: State, keys: EpochKeys | None) -> None:
    report = scan.report
    if scan.loss_recorded > state.number:
        return
    short = state.head[:12]
    if state.number > report.last_number:
        report.lost = LOG_MISSING if report.records == 0 else LOG_TRUNCATED
        report.problems.append(
            f"the state says transaction {state.number} was recorded (head {short}), "
            f"but the record ends at {report.last_number}: records missing"
        )
        return
    if state.number > 0 and (scan.state_line is None or scan.state_line[0] != state.head):
        report.lost = LOG_REPLACED
        report.problems.append(
            f"transaction {state.number}'s line does not hash to the state's head {short}: record replaced"
        )
        return
    line_epoch = scan.state_line[1] if scan.state_line else None
    if state.epoch is not None and line_epoch is not None and state.epoch != line_epoch + 1:
        report.problems.append(f"the state is at epoch {state.epoch}, its record at epoch {line_epoch}")
    if (
        keys is not None
        and state.epoch is not None
        and state.epoch <= (report.last_epoch or 0) + 1 + MAX_EPOCH_GAP
    ):
        report.state_checked = state.seal is not None and sealed_by(
            keys.at(state.epoch), state.body(), state.seal
        )
        if not report.state_checked:
            report.problems.append("the state's seal does not match (edited, or sealed with another key)")


def _check_key_epoch(report: ChainReport, sealing_key: SealingKey) -> None:
    """The key on the box has moved on once per sealed record: a later epoch means records are gone."""
    last = report.last_epoch or 0
    if sealing_key.epoch > last + 1:
        report.lost = report.lost or (LOG_MISSING if report.records == 0 else LOG_TRUNCATED)
        report.problems.append(
            f"the sealing key is at epoch {sealing_key.epoch}, the last sealed record at epoch {last}: "
            f"records of epochs {last + 1}-{sealing_key.epoch - 1} are missing"
        )


def scan(
    files: Files,
    path: Path,
    *,
    state: State | None,
    sealing_key: SealingKey | None,
    keys: EpochKeys | None = None,
    witness: int | None = None,
) -> ChainReport:
    """Read the record at ``path`` without changing it; check it against ``state`` and the key's epoch.

    An unreadable last line ended by a newline counts as torn, as one without: a write cut short.
    ``witness``: a transaction number whose line's hash to keep (``report.witnessed``).
    """
    report = ChainReport()
    checker = _Scan(report, keys, state, witness)
    try:
        handle = files.reader(path)
    except FileNotFoundError:
        report.missing = True
    else:
        with handle:
            lines = bounded_lines(handle)
            pending = next(lines, None)
            index = 0
            while pending is not None:
                line, size, ended = pending
                pending = next(lines, None)
                index += 1
                if not ended:
                    report.torn_bytes = size
                    break
                if pending is None:
                    try:
                        parse_object(line)
                    except DamagedRecord:
                        report.torn_bytes = size
                        break
                checker.line(index, line)
                report.good_length += size
    if state is not None:
        _check_state(checker, state, keys)
    if sealing_key is not None:
        _check_key_epoch(report, sealing_key)
    return report


def parse_head(text: str) -> tuple[int, str]:
    """``NUMBER:HEAD`` as ``audit head`` gives it (the head: 12 to 64 hex digits of the line's SHA-256)."""
    match = _HEAD.fullmatch(text.strip())
    if match is None:
        raise ValueError("a head is NUMBER:HEX, e.g. 1234:0123456789ab (as `madoguchi audit head` gives it)")
    return int(match.group(1)), match.group(2).lower()


def _check_head(report: ChainReport, expected: tuple[int, str]) -> None:
    number, head = expected
    if report.witnessed is None:
        report.problems.append(
            f"the fleet's head {number}:{head} is not in the record, which ends at transaction "
            f"{report.last_number}: emptied, cut short or started again"
        )
    elif not report.witnessed.startswith(head):
        report.problems.append(
            f"transaction {number}'s line hashes to {report.witnessed[: len(head)]}, not to the fleet's "
            f"head {head}: the record was replaced or started again"
        )


def verify(
    path: Path,
    key: bytes | None = None,
    *,
    files: Files | None = None,
    expect_head: tuple[int, str] | None = None,
    marker: Path | None = None,
) -> ChainReport:
    """Check the record at ``path``: lines, chain, the state beside it, and with ``key`` every seal.

    Changes nothing. ``key`` is the verification key from the setup slip: with it, a record where
    nothing was sealed with that key (emptied, or wiped with its state and key) is a problem.
    ``expect_head`` (number, hex prefix) is the head the fleet collected (:func:`parse_head`): the
    record must hold that line. ``marker``: the install marker, named if the record is gone.
    """
    files = files or Files()
    problems: list[str] = []
    try:
        state = read_state(files, state_path(path))
    except DamagedRecord as error:
        state = None
        problems.append(f"state file {state_path(path).name} damaged ({error})")
    try:
        sealing_key = peek_sealing_key(files, key_path(path))
    except DamagedRecord as error:
        sealing_key = None
        problems.append(str(error))
    keys = None if key is None else EpochKeys(key)
    if keys is not None and sealing_key is not None and keys.id != sealing_key.key_id:
        problems.append(f"verification key {keys.id} is not this record's ({sealing_key.key_id})")
    witness = None if expect_head is None else expect_head[0]
    report = scan(files, path, state=state, sealing_key=sealing_key, keys=keys, witness=witness)
    if report.missing:
        problems.append(f"no audit record at {path}")
    elif state is None and report.records and not problems:
        problems.append(f"no state file {state_path(path).name} beside the record (deleted?)")
    if keys is not None and not report.seals_checked and not report.state_checked and not report.missing:
        problems.append(
            "nothing here is sealed with this key: no sealed line, no sealed state (emptied or wiped?)"
        )
    if expect_head is not None:
        _check_head(report, expect_head)
    mark = None if marker is None or report.records else read_mark(files, marker)
    if mark is not None and state is None and sealing_key is None:
        problems.append(
            f"{marker} says this box keeps a record ({mark}), but it, its state and its key are gone"
        )
    report.problems[:0] = problems
    return report
