"""The audit record changed under a running log (issue 22, items 1 and 2): deleted, replaced, truncated
or grown by another writer. Each is seen at the next check (before a transaction starts, before its
slip, at its append), named, and put right by ``recover()``: what was there is kept aside, a new
file at the path holds the transaction in flight and an ``audit_lost`` record saying what was seen,
no number is reused and none is missing."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from test_audit import cut_off, record

from madoguchi.audit import AUDIT_LOST, AuditLog, AuditUnavailable, Files, key_path, setup_key, verify
from madoguchi.audit.seal import parse_verification_key
from madoguchi.errors import AuditFileChanged


def delete(path: Path) -> None:
    path.unlink()


def replace(path: Path) -> None:
    """As ``cp`` of an older copy over it would: another file (inode) at the path."""
    older = b"".join(path.read_bytes().splitlines(keepends=True)[:1])
    other = path.with_name("other")
    other.write_bytes(older)
    os.replace(other, path)


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)  # mid-line, as `truncate -s` would


def grow(path: Path) -> None:
    with path.open("ab") as handle:
        handle.write(b'{"number":99,"outcome":"scored"}\n')


CHANGES = {"deleted": delete, "replaced": replace, "truncated": truncate, "grown": grow}


@pytest.fixture
def running(tmp_path):
    """A sealed record with transactions 1-3, held open as the daemon holds it."""
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    audit = AuditLog.open(path)
    for number in (1, 2, 3):
        serve(audit, number)
    yield path, key, audit
    audit.close()


def serve(audit: AuditLog, number: int) -> None:
    audit.begin(cut_off(number))
    audit.check_file()  # before the slip
    audit.append(record(number))


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def numbers(path: Path) -> list[tuple[int, str]]:
    return [(line["number"], line["outcome"]) for line in lines(path)]


def numbers_kept(path: Path) -> set[int]:
    """The numbers in a file kept aside, whose last line may have been cut."""
    found = set()
    for line in path.read_bytes().splitlines():
        try:
            found.add(json.loads(line)["number"])
        except (ValueError, KeyError):
            continue
    return found


def kept(directory: Path) -> dict[str, Path]:
    """Files kept aside, by what they are (e.g. "deleted-copy", "truncated")."""
    return {p.name.split(".jsonl.")[1].rsplit("-", 1)[0]: p for p in directory.glob("audit.jsonl.*-2*")}


def expected_problems(first_epoch: int, lost_line: int, lost_number: int) -> list[str]:
    epochs = (
        f"line 1: sealed in epoch {first_epoch}, the next epoch is 1: "
        f"records of epochs 1-{first_epoch - 1} are missing"
    )
    lost = f"line {lost_line}: transaction {lost_number} records that the audit record was lost"
    return [lost, epochs] if lost_line == 1 else [epochs, lost]


def check_verify(path: Path, key: bytes, first_epoch: int, lost_line: int, lost_number: int) -> None:
    """verify flags exactly what happened: the new file's start, and the loss it records."""
    for report in (verify(path), verify(path, key)):
        assert not report.ok
        expected = expected_problems(first_epoch, lost_line, lost_number)
        assert [problem.split(" (")[0] for problem in report.problems] == expected, report.problems
    assert verify(path, key).seals_checked == len(lines(path))


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_between_transactions_is_seen_named_and_recovered(running, change):
    path, key, audit = running
    original = path.read_bytes()
    CHANGES[change](path)
    with pytest.raises(AuditFileChanged) as seen:
        audit.probe()  # the counter's check while idle / before a transaction
    assert isinstance(seen.value, AuditUnavailable) and seen.value.change == change
    assert f"record {change} while open" in seen.value.reason and "last transaction 3" in seen.value.reason
    for call in (audit.next_number, audit.check_file, lambda: audit.begin(cut_off(4))):
        with pytest.raises(AuditFileChanged):  # out of service until recovered
            call()

    assert audit.recover() == 4
    assert audit.recover() is None  # nothing more to put right
    serve(audit, audit.next_number())
    assert numbers(path) == [(4, AUDIT_LOST), (5, "scored")]
    lost = lines(path)[0]
    assert lost["messages"][:3] == [
        f"log_{change}",
        lost["messages"][1],
        f"last_known:3:{audit_head_of(original)}",
    ]
    assert lost["messages"][1].startswith("while_open:inode ")
    aside = kept(path.parent)
    if change in ("deleted", "replaced"):  # the file only the log still held, copied out whole
        assert aside[f"{change}-copy"].read_bytes() == original
    if change != "deleted":  # what was at the path, moved aside as it was
        assert aside[change].exists()
    assert sorted(f"kept_aside:{p.name}" for p in aside.values()) == sorted(lost["messages"][3:])
    check_verify(path, key, first_epoch=4, lost_line=1, lost_number=4)


def audit_head_of(data: bytes) -> str:
    from madoguchi.audit.record import digest

    return digest(data.splitlines()[-1])[:12]


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_before_the_slip_holds_the_transaction_and_records_it_in_the_new_file(running, change):
    path, key, audit = running
    audit.begin(cut_off(4))
    CHANGES[change](path)
    with pytest.raises(AuditFileChanged):
        audit.check_file()  # the counter prints no slip
    with pytest.raises(AuditFileChanged):
        audit.append(record(4))  # kept in memory, written by recover()
    assert audit.recover() == 5
    serve(audit, audit.next_number())
    assert numbers(path) == [(4, "scored"), (5, AUDIT_LOST), (6, "scored")]
    assert not audit.pending_path.exists()
    check_verify(path, key, first_epoch=4, lost_line=2, lost_number=5)


def test_a_transaction_cut_off_by_the_change_is_recorded_as_interrupted(running):
    path, _, audit = running
    audit.begin(cut_off(4))
    path.unlink()
    assert audit.recover() == 5  # the counter gave up on transaction 4
    assert numbers(path) == [(4, "interrupted"), (5, AUDIT_LOST)]
    assert audit.next_number() == 6


class DeletedDuringWrite(Files):
    """Deletes the record as the line is being made durable (between write and fsync)."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def fsync(self, fd: int) -> None:
        super().fsync(fd)
        if self.path is not None and self.path.exists() and os.fstat(fd).st_ino == self.path.stat().st_ino:
            self.path.unlink()
            self.path = None


def test_a_change_during_the_append_is_seen_after_it(tmp_path):
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    disk = DeletedDuringWrite()
    audit = AuditLog.open(path, files=disk)
    serve(audit, 1)
    audit.begin(cut_off(2))
    disk.path = path
    with pytest.raises(AuditFileChanged, match="deleted"):
        audit.append(record(2))  # the line went into a file the path no longer names
    assert audit.recover() == 3
    copy = kept(tmp_path)["deleted-copy"]
    assert numbers(copy) == [(1, "scored"), (2, "scored")]  # nothing missing: kept aside
    assert numbers(path) == [(3, AUDIT_LOST)]
    check_verify(path, key, first_epoch=3, lost_line=1, lost_number=3)
    audit.close()


class Crash(BaseException):
    """The process dies here (power cut): nothing after this call happens."""


class CrashingDisk(Files):
    """Dies at its ``at``-th creating open, write, fsync, rename or unlink."""

    def __init__(self, at: int | None) -> None:
        self.at, self.calls = at, 0

    def _step(self) -> None:
        self.calls += 1
        if self.at is not None and self.calls == self.at:
            raise Crash

    def open(self, path: Path, flags: int, mode: int = 0o640) -> int:
        if flags & (os.O_WRONLY | os.O_CREAT):
            self._step()
        return super().open(path, flags, mode)

    def write(self, fd: int, data: bytes) -> int:
        self._step()
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self._step()
        super().fsync(fd)

    def replace(self, source: Path, target: Path) -> None:
        self._step()
        super().replace(source, target)

    def unlink(self, path: Path) -> None:
        self._step()
        super().unlink(path)


def recovery_steps() -> int:
    disk = CrashingDisk(None)
    directory = Path(os.environ.get("TMPDIR", "/tmp")) / f"madoguchi-steps-{os.getpid()}"
    try:
        path = directory / "audit.jsonl"
        setup_key(Files(), key_path(path))
        audit = AuditLog.open(path, files=disk)
        serve(audit, 1)
        audit.begin(cut_off(2))
        path.unlink()
        with pytest.raises(AuditFileChanged):
            audit.check_file()
        before = disk.calls
        audit.recover()
        audit.close()
        return disk.calls - before
    finally:
        for leftover in directory.iterdir():
            leftover.unlink()
        directory.rmdir()


@pytest.mark.parametrize("change", ["deleted", "truncated"])
@pytest.mark.parametrize("crash_at", range(1, recovery_steps() + 1))
def test_a_crash_at_any_step_of_the_recovery_loses_and_reuses_no_number(tmp_path, change, crash_at):
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    disk = CrashingDisk(None)
    audit = AuditLog.open(path, files=disk)
    for number in (1, 2, 3):
        serve(audit, number)
    audit.begin(cut_off(4))  # on screen: 4 must end up in the record
    CHANGES[change](path)
    with pytest.raises(AuditFileChanged):
        audit.check_file()
    disk.at = disk.calls + crash_at
    with contextlib.suppress(Crash):  # the daemon dies here; systemd starts it again
        audit.recover()

    restarted = AuditLog.open(path)
    following = restarted.next_number()
    serve(restarted, following)
    restarted.close()
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith((".tmp", ".open"))]
    given = [number for number, _ in numbers(path)]
    assert given == sorted(set(given)) and given[-1] == following  # increasing, nothing twice
    aside = kept(tmp_path)
    everywhere = {n for p in [path, *aside.values()] for n in numbers_kept(p)}
    assert 4 in everywhere and following > 4  # the transaction on screen is never lost
    if "deleted-copy" in aside:  # once copied out, nothing the deletion took is missing
        assert {1, 2, 3} <= numbers_kept(aside["deleted-copy"])
    if change == "truncated" and "truncated" in aside:
        assert numbers_kept(aside["truncated"]) >= {1}
    assert any(outcome == AUDIT_LOST for _, outcome in numbers(path))
    report = verify(path, key)
    assert not any("seal does not match" in problem for problem in report.problems), report.problems
    assert not any("does not increase" in problem for problem in report.problems), report.problems
