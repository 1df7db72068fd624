"""The audit record: one JSON line per transaction, append-only, hash-chained, fsync'd.

Each line holds the SHA-256 of the line before it (``prev``), so an edited, removed or reordered
line breaks the chain, which ``madoguchi audit verify`` reports. A record is written with a single
``write`` on an ``O_APPEND`` descriptor and fsync'd before the transaction counts as done; a power
cut can at worst leave a torn last line, which :meth:`AuditLog.open` reports and cuts off.

A transaction is recorded only when it ends, but its number is on the screen and the slip before
that. So :meth:`AuditLog.begin` first keeps, durably, the record the transaction would leave if it
were cut off (outcome ``"interrupted"``) in ``<record>.open``; :meth:`AuditLog.append` removes it.
If the daemon dies in between, the next :meth:`AuditLog.open` appends that record: every number
a visitor may have seen is in the chain, and none is given out twice.

Only the fields of :class:`AuditRecord` can be written: numbers, codes and times. There is no field
for an image, a descriptor, a face box or anything else biometric, and :func:`verify` flags any
line that has a key outside that list. Transaction numbers continue from the last record.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.config import DEFAULT_PATH, load
from madoguchi.outcome import TransactionResult

log = logging.getLogger(__name__)

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """Everything kept about one transaction, and all that may be."""

    number: int
    time: str
    terminal_id: str
    mode: str
    threshold: int
    outcome: str
    score: float | None
    at_or_above: bool | None
    messages: tuple[str, ...]
    slip_printed: bool | None
    """None when nobody knows: the transaction was cut off."""

    @classmethod
    def of(
        cls,
        result: TransactionResult,
        *,
        terminal_id: str,
        messages: tuple[str, ...],
        slip_printed: bool | None,
    ) -> AuditRecord:
        return cls(
            number=result.number,
            time=result.time.isoformat(timespec="seconds"),
            terminal_id=terminal_id,
            mode=result.mode,
            threshold=result.threshold,
            outcome=result.code,
            score=None if result.score is None else round(result.score, 2),
            at_or_above=result.at_or_above,
            messages=messages,
            slip_printed=slip_printed,
        )


RECORD_KEYS = frozenset(f.name for f in dataclasses.fields(AuditRecord)) | {"prev"}


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _encode(record: AuditRecord, prev: str) -> bytes:
    data = dataclasses.asdict(record) | {"prev": prev}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class ChainReport:
    """What reading the record found: how many records, the last number, and any problem."""

    records: int = 0
    last_number: int = 0
    last_hash: str = GENESIS
    good_length: int = 0
    torn_bytes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.torn_bytes


def verify(path: Path) -> ChainReport:
    """Read the record at ``path`` without changing it, and check every line and link."""
    report = ChainReport()
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return report
    complete, _, tail = content.rpartition(b"\n")
    lines = complete.split(b"\n") if complete else []
    if tail:
        report.torn_bytes = len(tail)
    offset = 0
    for index, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except ValueError:
            if index == len(lines):  # a last line cut short and then followed by a newline
                report.torn_bytes += len(line) + 1
                break
            report.problems.append(f"line {index}: not a JSON object")
            data = {}
        extra = set(data) - RECORD_KEYS
        if extra:
            report.problems.append(f"line {index}: keys not allowed in the audit record: {sorted(extra)}")
        if data.get("prev") != report.last_hash:
            report.problems.append(f"line {index}: chain broken (prev does not match line {index - 1})")
        number = data.get("number")
        if not isinstance(number, int) or number <= report.last_number:
            report.problems.append(f"line {index}: transaction number {number!r} does not increase")
        else:
            report.last_number = number
        report.last_hash = _digest(line)
        report.records += 1
        offset += len(line) + 1
        report.good_length = offset
    return report


class AuditLog:
    """The open record. Use :meth:`open`; one daemon appends, nothing else writes.

    >>> audit = AuditLog.open(Path("/var/lib/madoguchi/audit.jsonl"))  # doctest: +SKIP
    >>> audit.append(AuditRecord.of(result, terminal_id="counter-01", messages=(), slip_printed=True))
    """

    def __init__(self, path: Path, fd: int, report: ChainReport) -> None:
        self.path = path
        self.pending_path = path.with_name(path.name + ".open")
        self._fd = fd
        self._last_hash = report.last_hash
        self._last_number = report.last_number

    @classmethod
    def open(cls, path: Path) -> AuditLog:
        """Open for appending: verify the chain, log problems, cut off a torn last line."""
        path.parent.mkdir(parents=True, exist_ok=True)
        report = verify(path)
        for problem in report.problems:
            log.error("audit record %s: %s", path, problem)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
        if report.torn_bytes:
            log.warning(
                "audit record %s: torn last line (%d bytes, a write cut short by a crash or power loss) "
                "removed; that transaction was never completed",
                path,
                report.torn_bytes,
            )
            os.ftruncate(fd, report.good_length)
            os.fsync(fd)
        if created:
            _fsync_directory(path.parent)
        log.info("audit record %s: %d records, last transaction %d", path, report.records, report.last_number)
        audit = cls(path, fd, report)
        audit._record_cut_off_transaction()
        return audit

    def next_number(self) -> int:
        return self._last_number + 1

    def begin(self, cut_off: AuditRecord) -> None:
        """Keep ``cut_off``, durably, as what stands for this transaction until :meth:`append`."""
        if cut_off.number != self.next_number():
            raise ValueError(f"transaction {cut_off.number} is not the next one ({self.next_number()})")
        temporary = self.pending_path.with_name(self.pending_path.name + ".tmp")
        with temporary.open("wb") as handle:
            handle.write(_encode(cut_off, prev=""))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.pending_path)
        _fsync_directory(self.path.parent)

    def _record_cut_off_transaction(self) -> None:
        try:
            data = json.loads(self.pending_path.read_bytes())
            data.pop("prev")
            cut_off = AuditRecord(**{**data, "messages": tuple(data["messages"])})
        except FileNotFoundError:
            return
        except (ValueError, KeyError, TypeError) as exc:
            log.error("audit record: unreadable %s (%s); ignored", self.pending_path, exc)
            self.pending_path.unlink()
            return
        if cut_off.number > self._last_number:
            log.warning(
                "audit record: transaction %d was cut off (crash or power loss); recorded as %s",
                cut_off.number,
                cut_off.outcome,
            )
            self.append(cut_off)
        else:
            self.pending_path.unlink()

    def append(self, record: AuditRecord) -> None:
        """Write ``record`` as one line and fsync it; when this returns, it survives a power cut."""
        if record.number <= self._last_number:
            raise ValueError(f"transaction number {record.number} does not follow {self._last_number}")
        line = _encode(record, self._last_hash)
        written = os.write(self._fd, line + b"\n")
        if written != len(line) + 1:
            raise OSError(f"audit record {self.path}: short write ({written} of {len(line) + 1} bytes)")
        os.fsync(self._fd)
        self._last_hash = _digest(line)
        self._last_number = record.number
        self.pending_path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _audit_path(args: argparse.Namespace) -> Path:
    if args.path is not None:
        return args.path
    return load(args.config).storage.audit_path


def _verify_command(args: argparse.Namespace) -> int:
    path = _audit_path(args)
    report = verify(path)
    for problem in report.problems:
        print(problem)
    if report.torn_bytes:
        print(f"torn last line: {report.torn_bytes} bytes (removed when the daemon next starts)")
    verdict = "OK" if report.ok else "PROBLEMS"
    print(f"{path}: {report.records} records, last transaction {report.last_number}: {verdict}")
    return 0 if report.ok else 1


def _tail_command(args: argparse.Namespace) -> int:
    path = _audit_path(args)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        print(f"{path}: no audit record yet", file=sys.stderr)
        return 1
    for line in lines[-args.lines :]:
        print(line.decode(errors="replace"))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help="read and check the audit record")
    audit.set_defaults(handler=lambda args: audit.print_help())
    commands = audit.add_subparsers(metavar="ACTION")
    for name, handler, help_text in (
        ("verify", _verify_command, "check every line and the hash chain; exit 1 on any problem"),
        ("tail", _tail_command, "print the last records"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument(
            "--config", type=Path, default=DEFAULT_PATH, help="config.toml naming the record"
        )
        command.add_argument("--path", type=Path, help="the audit record itself (overrides --config)")
        command.set_defaults(handler=handler)
    commands.choices["tail"].add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")
