"""The open audit record: begin and append transactions, and recover from crashes, failing disks, and
a file changed under it (deleted, replaced, truncated or grown while open)."""

from __future__ import annotations

import errno
import logging
import os
from datetime import datetime, timezone
from pathlib import Path

from madoguchi.audit.chain import MAX_EPOCH_GAP, ChainReport, scan
from madoguchi.audit.files import Files, aside_name
from madoguchi.audit.marker import read_mark
from madoguchi.audit.record import (
    AUDIT_LOST,
    GENESIS,
    MAX_LINE,
    AuditRecord,
    DamagedRecord,
    digest,
    encode_line,
    parse_object,
    record_from,
    with_seal,
)
from madoguchi.audit.seal import SealingKey, advance, key_path, peek_sealing_key, read_sealing_key, seal
from madoguchi.audit.state import State, read_state, state_path, write_state
from madoguchi.errors import AuditFileChanged, AuditUnavailable, AuditWiped

log = logging.getLogger(__name__)

RESERVE_BYTES = 256 * 1024
"""A transaction starts only with this much free space, so its record, key and state surely fit."""
HEAD_DIGITS = 12

_REASONS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "disk read-only",
    errno.EIO: "disk I/O error",
}


def _reason(error: OSError, what: str) -> str:
    cause = _REASONS.get(error.errno or 0) or error.strerror or str(error)
    return f"{cause} ({what})"


def _change(held: os.stat_result, named: os.stat_result | None, written: int) -> str | None:
    """What happened to the file this log holds open, or None if the path still names it as written."""
    if named is None:
        return "deleted"
    if (named.st_dev, named.st_ino) != (held.st_dev, held.st_ino) or held.st_nlink < 1:
        return "replaced"
    if held.st_size < written:
        return "truncated"
    if held.st_size > written:
        return "grown"
    return None


def wiped(files: Files, path: Path, marker: Path) -> str | None:
    """What the install ``marker`` says, if it is there while the record at ``path`` is empty or
    missing and its state and sealing key are gone; else None."""
    try:
        empty = files.stat(path).st_size == 0
    except FileNotFoundError:
        empty = True
    except OSError:
        return None  # unreadable: AuditLog.open reports it as unavailable
    try:
        state, key = read_state(files, state_path(path)), peek_sealing_key(files, key_path(path))
    except (DamagedRecord, OSError):
        return None  # something is there: AuditLog.open keeps it aside and records the loss
    if not empty or state is not None or key is not None:
        return None
    return read_mark(files, marker)


class AuditLog:
    """The open record. Use :meth:`open`; one daemon appends, nothing else writes.

    >>> audit = AuditLog.open(Path("/var/lib/madoguchi/audit.jsonl"), terminal_id="c-01")  # doctest: +SKIP
    >>> audit.probe()  # raises AuditUnavailable while no record can be kept
    >>> audit.begin(cut_off)  # cut_off.number == audit.next_number()
    >>> audit.check_file()  # before the slip: AuditFileChanged if the file was changed under us
    >>> audit.append(AuditRecord.of(result, terminal_id="counter-01", messages=(), slip_printed=True))

    After :class:`~madoguchi.errors.AuditFileChanged` (from :meth:`check_file`, :meth:`probe`,
    :meth:`begin` or :meth:`append`), every call raises it again until :meth:`recover` has started
    a new file at the path with an ``audit_lost`` record; the transaction in flight, if any, is
    written there first, and numbering goes on after the highest number ever given.
    """

    def __init__(self, path: Path, files: Files, terminal_id: str) -> None:
        self.path = path
        self.pending_path = path.with_name(path.name + ".open")
        self.state_path = state_path(path)
        self.key_path = key_path(path)
        self._files = files
        self._terminal_id = terminal_id
        self._fd = -1
        self._length = 0
        self._last_hash = GENESIS
        self._last_number = 0
        self._key: SealingKey | None = None
        self._unwritten: AuditRecord | None = None
        """A finished transaction whose line the disk refused; written first when it works again."""
        self._broken: str | None = "not opened"
        """Why the file must be read again before anything is written; None while all is well."""
        self._failing: str | None = None
        """Why the last write failed; :meth:`probe` tries a write while it is set."""
        self._changed: AuditFileChanged | None = None
        """What :meth:`check_file` saw happen to the file; nothing is written until :meth:`recover`."""
        self._closed = False

    @classmethod
    def open(
        cls, path: Path, *, terminal_id: str = "", files: Files | None = None, marker: Path | None = None
    ) -> AuditLog:
        """Open for appending: check the record against its state, recover what a crash left.

        Never raises for the disk: if the record cannot be read or written now, the log is returned
        unavailable (:meth:`probe` raises :class:`AuditUnavailable` saying why) and recovers by itself
        on a later :meth:`probe`, :meth:`next_number` or :meth:`begin` once the disk works.

        ``marker``: the install marker (:mod:`.marker`). If it is there while the record, its state
        and its key are all gone, :class:`~madoguchi.errors.AuditWiped` is raised: nothing is created.
        """
        audit = cls(path, files or Files(), terminal_id)
        if marker is not None:
            audit._refuse_if_wiped(marker)
        try:
            audit._recover()
        except AuditUnavailable as error:
            log.error("%s; no transaction can start until it is back", error)
        return audit

    # --- what the counter calls ---

    def next_number(self) -> int:
        """The number the next transaction gets; AuditUnavailable while the record cannot be read."""
        self._ready()
        return self._last_number + 1

    def head(self) -> tuple[int, str]:
        """(last number recorded, first digits of its line's SHA-256): what a slip prints as witness."""
        return self._last_number, self._last_hash[:HEAD_DIGITS]

    def check_file(self) -> None:
        """Raise AuditFileChanged unless the path still names the file this log writes (device, inode,
        link count) at the size it wrote. Two ``stat`` calls: cheap enough before every slip."""
        self._ready()
        try:
            held = self._files.fstat(self._fd)
            try:
                named: os.stat_result | None = self._files.stat(self.path)
            except FileNotFoundError:
                named = None
        except OSError as error:
            self._broken = self._failing = _reason(error, self.path.name)
            raise AuditUnavailable(self._broken) from error
        change = _change(held, named, self._length)
        if change is None:
            return
        seen = f"inode {held.st_ino}, {held.st_size} bytes, {self._length} written"
        if change == "replaced" and named is not None:
            seen += f"; the path now names inode {named.st_ino}, {named.st_size} bytes"
        seen += f"; last transaction {self._last_number}"
        self._changed = AuditFileChanged(change, seen)
        log.error(
            "audit record %s %s while open (%s); nothing is written until recovered", self.path, change, seen
        )
        raise self._changed

    def recover(self) -> int | None:
        """Put right what :meth:`check_file` saw: keep what is at the path aside (and, if the path no
        longer names the file this log held, a copy of that file's bytes), then start a new file at
        the path holding the transaction in flight, if any, and an ``audit_lost`` record that says
        what was seen. Numbering goes on after the highest number ever given. The new file appears
        whole (written aside, then renamed), so a crash at any step leaves what :meth:`open` puts
        right. Returns the ``audit_lost`` record's number; None if the file had not changed.
        """
        if self._changed is None:
            try:
                self.check_file()
            except AuditFileChanged:
                pass
            else:
                return None
        changed = self._changed
        assert changed is not None
        try:
            number = self._start_new_file(changed)
        except OSError as error:
            self._failing = _reason(error, self.path.name)
            raise AuditUnavailable(self._failing) from error
        self._changed = None
        return number

    def probe(self) -> None:
        """Raise AuditUnavailable unless a transaction could be recorded now; recovers when it can
        from a failing disk (not from a changed file: that takes :meth:`recover`)."""
        self._ready()
        self.check_file()
        directory = self.path.parent
        try:
            read_only = self._files.read_only(directory)
            free = self._files.free_bytes(directory)
        except OSError as error:
            raise AuditUnavailable(_reason(error, str(directory))) from error
        if read_only:
            raise AuditUnavailable(f"disk read-only ({directory})")
        if free < RESERVE_BYTES:
            raise AuditUnavailable(f"disk full ({free // 1024} KiB free in {directory})")
        if self._failing is not None:
            probe = self.path.with_name(self.path.name + ".probe")
            try:
                self._files.write_atomic(probe, b"probe\n")
                self._files.unlink(probe)
            except OSError as error:
                self._files.discard(probe)
                raise AuditUnavailable(_reason(error, probe.name)) from error
            log.info("audit record writable again (after: %s)", self._failing)
            self._failing = None

    def writable(self) -> bool:
        try:
            self.probe()
        except AuditUnavailable:
            return False
        return True

    def begin(self, cut_off: AuditRecord) -> None:
        """Keep ``cut_off``, durably, as what stands for this transaction until :meth:`append`.

        Raises AuditUnavailable (and keeps nothing) if it cannot: the transaction must not start,
        and its number stays free for the next one.
        """
        self.probe()
        if cut_off.number != self._last_number + 1:
            raise ValueError(f"transaction {cut_off.number} is not the next one ({self._last_number + 1})")
        try:
            self._files.write_atomic(self.pending_path, encode_line(cut_off, "", None))
        except OSError as error:
            self._files.discard(self.pending_path)
            self._failing = _reason(error, self.pending_path.name)
            raise AuditUnavailable(self._failing) from error

    def append(self, record: AuditRecord) -> None:
        """Write ``record`` as one sealed line and fsync it; when this returns, it survives a power cut.

        Raises AuditUnavailable if the disk refuses the line; the record is then kept in memory and
        written first when the disk works again (or, after a restart, stands as "interrupted").
        """
        if record.number <= self._last_number:
            raise ValueError(f"transaction number {record.number} does not follow {self._last_number}")
        self._unwritten = record
        self._ready()
        if self._unwritten is None:
            return  # written while recovering
        self.check_file()  # a changed file keeps the record in memory for recover()
        try:
            self._write(record)
        except OSError as error:
            self._broken = self._failing = _reason(error, self.path.name)
            raise AuditUnavailable(self._broken) from error
        self._unwritten = None
        try:
            self._after_write()
        except OSError as error:
            # The record is safe; the key, the state or the pending file is behind, which
            # reading the record again puts right before the next transaction.
            self._broken = self._failing = _reason(error, "key or state")
            log.error("audit record: transaction %d recorded, but %s", record.number, self._broken)
            return
        self.check_file()  # changed during the write: the line is in a file the path no longer names

    def close(self) -> None:
        if self._fd >= 0:
            self._files.close(self._fd)
            self._fd = -1
        self._closed = True

    # --- inside ---

    def _ready(self) -> None:
        if self._changed is not None:
            raise self._changed
        if self._broken is not None and not self._closed:
            self._recover()

    def _write(self, record: AuditRecord) -> None:
        key = self._key
        body = encode_line(record, self._last_hash, None if key is None else key.epoch)
        line = with_seal(body, None if key is None else seal(key.key, body))
        data = line + b"\n"
        try:
            self._files.write_all(self._fd, data)
            self._files.fsync(self._fd)
        except OSError:
            try:  # leave no partial line for the next one to follow
                self._files.truncate(self._fd, self._length)
            except OSError as error:
                log.error("audit record: could not cut a failed write: %s", error)
            raise
        self._length += len(data)
        self._last_hash = digest(line)
        self._last_number = record.number

    def _advance_key(self) -> None:
        """Move the sealing key on after a sealed line, erasing the key that sealed it."""
        if self._key is not None:
            self._key = advance(self._files, self.key_path, self._key)

    def _after_write(self) -> None:
        self._advance_key()
        self._write_state()
        self._files.unlink(self.pending_path)

    def _state(self) -> State:
        epoch = None if self._key is None else self._key.epoch
        return State(self._last_number, self._last_hash, epoch)

    def _write_state(self) -> None:
        write_state(self._files, self.state_path, self._state(), self._key)

    def _recover(self) -> None:
        """Read everything again and put right what a crash or a failed write left."""
        if self._fd >= 0:
            self._files.close(self._fd)
            self._fd = -1
        try:
            self._files.mkdir(self.path.parent)
            for leftover in (".tmp", ".open.tmp", ".state.tmp", ".probe", ".probe.tmp"):  # a crash mid-write
                self._files.unlink(self.path.with_name(self.path.name + leftover))
            for copy in self.path.parent.glob(f"{self.path.name}.*-copy-*.tmp"):  # cut off in recover()
                self._files.unlink(copy)
            key, state = self._read_key(), self._read_state()
            report = scan(self._files, self.path, state=state, sealing_key=key)
            for problem in report.problems:
                log.error("audit record %s: %s", self.path, problem)
            # readable too: if the file is deleted under us, recover() copies it out through this
            self._fd = self._files.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
            self._changed = None
            if report.torn_bytes:
                self._cut_torn_line(report)
            if report.missing:
                self._files.fsync_directory(self.path.parent)
            self._length = report.good_length
            self._last_hash = report.last_hash
            self._last_number = max(report.last_number, state.number if state else 0)
            if key is not None:
                self._last_number = max(self._last_number, key.epoch - 1)  # one number per sealed record
                key = self._catch_up(key, report.last_epoch)
            self._key = key
            self._broken = None
            if self._unwritten is not None and self._unwritten.number > self._last_number:
                self._write(self._unwritten)
                self._advance_key()
            self._unwritten = None
            self._record_cut_off_transaction()
            if report.lost:
                self._record_loss(report, state)
            if state != self._state():
                self._write_state()
        except OSError as error:
            self._broken = self._failing = _reason(error, self.path.name)
            raise AuditUnavailable(self._broken) from error
        log.info(
            "audit record %s: %d records, last transaction %d, %s",
            self.path,
            report.records,
            self._last_number,
            f"sealed, key epoch {key.epoch}" if key else "not sealed (no key: `madoguchi audit setup-key`)",
        )

    def _catch_up(self, key: SealingKey, last_epoch: int | None) -> SealingKey | None:
        """The key for the line after ``last_epoch``'s: one step on after a cut between line and key."""
        if last_epoch is None or key.epoch > last_epoch:
            return key
        if last_epoch > key.epoch:
            log.error(
                "audit record %s: sealing key at epoch %d, behind the record's epoch %d (replaced?)",
                self.path,
                key.epoch,
                last_epoch,
            )
        if last_epoch - key.epoch >= MAX_EPOCH_GAP:
            log.error("audit record %s: records are written unsealed", self.path)
            return None
        return advance(self._files, self.key_path, key, last_epoch + 1 - key.epoch)

    def _read_key(self) -> SealingKey | None:
        try:
            return read_sealing_key(self._files, self.key_path)
        except DamagedRecord as error:
            log.error("audit record: %s; records are written unsealed", error)
            return None

    def _read_state(self) -> State | None:
        try:
            return read_state(self._files, self.state_path)
        except DamagedRecord as error:
            self._files.keep_aside(self.state_path, str(error))
            return None

    def _cut_torn_line(self, report: ChainReport) -> None:
        aside = aside_name(self.path, "torn")
        try:
            with self._files.reader(self.path) as handle:
                handle.seek(report.good_length)
                torn = handle.read(MAX_LINE + 2)
            self._files.write_atomic(aside, torn)
            kept = f"kept aside as {aside.name}"
        except OSError as error:
            kept = f"not kept ({error})"
        log.warning(
            "audit record %s: torn last line (%d bytes, a write cut short by a crash or power loss) "
            "removed, %s; that transaction was never completed",
            self.path,
            report.torn_bytes,
            kept,
        )
        self._files.truncate(self._fd, report.good_length)
        self._files.fsync(self._fd)

    def _record_cut_off_transaction(self) -> None:
        try:
            with self._files.reader(self.pending_path) as handle:
                content = handle.read(MAX_LINE + 1)
            cut_off = record_from(parse_object(content))
        except FileNotFoundError:
            return
        except (DamagedRecord, IsADirectoryError) as error:
            self._files.keep_aside(self.pending_path, str(error) or "a directory")
            return
        if cut_off.number > self._last_number + 1:  # begin() keeps only the next number
            self._files.keep_aside(self.pending_path, f"number {cut_off.number} after {self._last_number}")
            return
        if cut_off.number > self._last_number:
            log.warning(
                "audit record: transaction %d was cut off (crash or power loss); recorded as %s",
                cut_off.number,
                cut_off.outcome,
            )
            self._write(cut_off)
            self._advance_key()
        self._files.unlink(self.pending_path)

    def _record_loss(self, report: ChainReport, state: State | None) -> None:
        if state is not None:
            known = f"{state.number}:{state.head[:HEAD_DIGITS]}"
        else:
            known = f"epoch:{self._key.epoch if self._key else 0}"
        record = self._lost_record(self._last_number + 1, (report.lost or "", f"last_known:{known}"))
        log.error(
            "audit record %s: %s (last known %s); recorded as transaction %d, numbering continues",
            self.path,
            report.lost,
            known,
            record.number,
        )
        self._write(record)
        self._advance_key()

    def _lost_record(self, number: int, messages: tuple[str, ...]) -> AuditRecord:
        return AuditRecord(
            number=number,
            time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            terminal_id=self._terminal_id,
            mode="",
            threshold=0,
            outcome=AUDIT_LOST,
            score=None,
            at_or_above=None,
            messages=messages,
            slip_printed=None,
        )

    def _in_flight(self) -> AuditRecord | None:
        """The transaction begun but not in the record: its finished record, else its cut-off one."""
        if self._unwritten is not None:
            return self._unwritten
        try:
            with self._files.reader(self.pending_path) as handle:
                cut_off = record_from(parse_object(handle.read(MAX_LINE + 1)))
        except (OSError, DamagedRecord):
            return None
        return cut_off if cut_off.number == self._last_number + 1 else None

    def _start_new_file(self, changed: AuditFileChanged) -> int:
        """:meth:`recover`'s work; OSError if the disk refuses (then nothing is half-done)."""
        held = self._files.fstat(self._fd)
        kept = []
        if changed.change in ("deleted", "replaced"):  # only this log's descriptor still reaches it
            copy = aside_name(self.path, f"{changed.change}-copy")
            self._files.write_atomic(copy, self._files.read_at(self._fd, self._length))
            kept.append(copy.name)
        if changed.change != "deleted" or self._named():  # a file put where a deleted one was: kept too
            aside = self._files.keep_aside(self.path, changed.seen, changed.change)
            if aside is None:
                raise OSError(f"cannot move {self.path.name} aside")
            kept.append(aside.name)
        in_flight = self._in_flight()
        records = [] if in_flight is None else [in_flight]
        number = self._last_number + len(records) + 1
        messages = (
            f"log_{changed.change}",
            f"while_open:inode {held.st_ino}, {held.st_size} bytes, {self._length} written",
            f"last_known:{self._last_number}:{self._last_hash[:HEAD_DIGITS]}",
            *(f"kept_aside:{name}" for name in kept),
        )
        records.append(self._lost_record(number, messages))
        lines, last_hash, key = [], GENESIS, self._key
        for record in records:
            body = encode_line(record, last_hash, None if key is None else key.epoch)
            line = with_seal(body, None if key is None else seal(key.key, body))
            lines.append(line + b"\n")
            last_hash = digest(line)
            key = None if key is None else key.next()
        self._files.write_atomic(self.path, b"".join(lines))
        self._files.close(self._fd)
        self._fd = self._files.open(self.path, os.O_RDWR | os.O_APPEND)
        self._length, self._last_hash, self._last_number = sum(map(len, lines)), last_hash, number
        self._unwritten = None
        log.error(
            "audit record %s %s while open; a new file starts with transaction %d (audit_lost); kept: %s",
            self.path,
            changed.change,
            number,
            ", ".join(kept) or "nothing",
        )
        try:
            if self._key is not None:
                self._key = advance(self._files, self.key_path, self._key, len(records))
            self._write_state()
            self._files.unlink(self.pending_path)
        except OSError as error:  # the new file is whole; reading it again puts key and state right
            self._broken = self._failing = _reason(error, "key or state")
        return number

    def _named(self) -> bool:
        try:
            self._files.stat(self.path)
        except FileNotFoundError:
            return False
        return True

    def _refuse_if_wiped(self, marker: Path) -> None:
        """AuditWiped if the record, its state and its key are all gone while ``marker`` is there."""
        mark = wiped(self._files, self.path, marker)
        if mark is not None:
            raise AuditWiped(
                f"{self.path}: the audit record, its state and its sealing key are gone, but {marker} "
                f"says this box keeps one ({mark}): wiped? If this box is being reinstalled on purpose, "
                "run `madoguchi audit setup-key --reinstall`"
            )

    def record_reinstall(self, previous: str, fleet_head: tuple[int, str] | None = None) -> int:
        """For ``setup-key --reinstall`` on an empty record: write an ``audit_lost`` record naming the
        previous install, numbered after ``fleet_head`` (the head the fleet last collected) if given,
        so no number the fleet knows is given again. Returns its number."""
        self._ready()
        if self._last_number:
            raise ValueError(f"the record at {self.path} is not empty: nothing to reinstall")
        number = 1 if fleet_head is None else fleet_head[0] + 1
        messages = ("reinstalled", f"previous_install:{previous}")
        if fleet_head is not None:
            messages += (f"fleet_head:{fleet_head[0]}:{fleet_head[1]}",)
        try:
            self._write(self._lost_record(number, messages))
            self._after_write()
        except OSError as error:
            self._broken = self._failing = _reason(error, self.path.name)
            raise AuditUnavailable(self._broken) from error
        return number
