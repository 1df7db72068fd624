"""A full or failing audit disk: a named error, nothing half-written, no number lost or reused."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from test_audit import cut_off, record

from disks import fill
from madoguchi.audit import RESERVE_BYTES, AuditLog, AuditUnavailable, Files, key_path, setup_key, verify
from madoguchi.audit.seal import parse_verification_key
from madoguchi.errors import MadoguchiError


class FaultyDisk(Files):
    """Refuses every creating open, write and fsync from the ``fail_from``-th on, until healed.

    Removing and renaming still work, as they do on a full disk.
    """

    def __init__(self, fail_from: int | None = None, error: int = errno.ENOSPC) -> None:
        self.fail_from = fail_from
        self.error = error
        self.calls = 0

    def _maybe_fail(self) -> None:
        self.calls += 1
        if self.fail_from is not None and self.calls > self.fail_from:
            raise OSError(self.error, os.strerror(self.error))

    def heal(self) -> None:
        self.fail_from = None

    def open(self, path: Path, flags: int, mode: int = 0o640) -> int:
        if flags & (os.O_WRONLY | os.O_CREAT):
            self._maybe_fail()
        return super().open(path, flags, mode)

    def write(self, fd: int, data: bytes) -> int:
        self._maybe_fail()
        return super().write(fd, data)

    def fsync(self, fd: int) -> None:
        self._maybe_fail()
        super().fsync(fd)

    def free_bytes(self, directory: Path) -> int:
        full = self.error == errno.ENOSPC and self.fail_from is not None and self.calls >= self.fail_from
        return 0 if full else 10**9


def stray_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix in (".tmp", ".open", ".probe"))


def numbers(path: Path) -> list[tuple[int, str]]:
    return [(line["number"], line["outcome"]) for line in map(json.loads, path.read_text().splitlines())]


@pytest.fixture
def sealed(tmp_path):
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    audit = AuditLog.open(path)
    for number in (1, 2):
        audit.begin(cut_off(number))
        audit.append(record(number))
    audit.close()
    return path, key


def transaction_calls() -> int:
    """How many creating opens, writes and fsyncs one transaction makes."""
    disk = FaultyDisk()
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"madoguchi-count-{os.getpid()}" / "audit.jsonl"
    try:
        setup_key(Files(), key_path(path))
        audit = AuditLog.open(path, files=disk)
        before = disk.calls
        audit.begin(cut_off(1))
        audit.append(record(1))
        audit.close()
        return disk.calls - before
    finally:
        shutil.rmtree(path.parent)


CALLS = transaction_calls()


@pytest.mark.parametrize("fail_from", range(CALLS))
@pytest.mark.parametrize("restart", [False, True], ids=["keeps-running", "restarted"])
def test_a_disk_that_fills_at_any_point_loses_and_reuses_no_number(sealed, fail_from, restart):
    path, key = sealed
    disk = FaultyDisk()
    audit = AuditLog.open(path, files=disk)
    disk.fail_from = disk.calls + fail_from
    began = False
    with pytest.raises(AuditUnavailable) as raised:
        audit.begin(cut_off(3))
        began = True
        audit.append(record(3))
        audit.next_number()  # a failure after the line is safe shows at the next transaction
    assert isinstance(raised.value, MadoguchiError) and "disk full" in raised.value.reason
    assert not audit.writable()
    assert [name for name in stray_files(path.parent) if name.endswith(".tmp")] == []

    disk.heal()
    if restart:
        audit.close()
        audit = AuditLog.open(path)
    assert audit.writable()
    following = audit.next_number()
    audit.begin(cut_off(following))
    audit.append(record(following))
    audit.close()

    recorded = numbers(path)
    assert [number for number, _ in recorded] == list(range(1, following + 1))
    if not began:  # number 3 was never shown: the next visitor got it
        assert following == 3
    else:  # number 3 was shown: recorded as served, or as cut off if the daemon died holding it
        assert recorded[2] in ((3, "scored"), (3, "interrupted"))
        assert following == 4
    assert stray_files(path.parent) == []
    report = verify(path, key)
    assert report.ok, report.problems


@pytest.mark.parametrize("error", [errno.EIO, errno.EROFS])
def test_other_disk_errors_are_named(sealed, error):
    path, _ = sealed
    disk = FaultyDisk(error=error)
    audit = AuditLog.open(path, files=disk)
    disk.fail_from = disk.calls
    with pytest.raises(AuditUnavailable, match="I/O error" if error == errno.EIO else "read-only"):
        audit.begin(cut_off(3))
    disk.heal()
    audit.begin(cut_off(3))
    audit.append(record(3))
    audit.close()
    assert verify(path).ok


def test_a_log_that_cannot_be_opened_recovers_by_itself(sealed):
    path, key = sealed
    disk = FaultyDisk(fail_from=0)
    audit = AuditLog.open(path, files=disk)  # does not raise: the counter shows why and waits
    with pytest.raises(AuditUnavailable):
        audit.probe()
    with pytest.raises(AuditUnavailable):
        audit.next_number()
    disk.heal()
    assert audit.next_number() == 3
    audit.begin(cut_off(3))
    audit.append(record(3))
    audit.close()
    assert verify(path, key).ok


def test_less_than_the_reserve_refuses_before_a_number_is_used(sealed):
    path, _ = sealed

    class AlmostFull(Files):
        free = RESERVE_BYTES - 1

        def free_bytes(self, directory: Path) -> int:
            return self.free

    disk = AlmostFull()
    audit = AuditLog.open(path, files=disk)
    with pytest.raises(AuditUnavailable, match="disk full"):
        audit.begin(cut_off(3))
    assert stray_files(path.parent) == []
    disk.free = RESERVE_BYTES
    audit.begin(cut_off(3))
    audit.append(record(3))
    audit.close()
    assert numbers(path)[-1] == (3, "scored")


def test_an_audit_path_that_is_a_directory_is_unavailable(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.mkdir()
    audit = AuditLog.open(path)
    with pytest.raises(AuditUnavailable, match=r"audit\.jsonl"):
        audit.probe()


# --- a real full file system ---


class NoReserve(Files):
    """The real disk, with the reserve check bypassed, so the kernel's own ENOSPC is met."""

    def free_bytes(self, directory: Path) -> int:
        return 10**9


def test_a_real_full_disk(small_tmpfs):
    path = small_tmpfs / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    audit = AuditLog.open(path)
    audit.begin(cut_off(1))
    audit.append(record(1))
    filler = fill(small_tmpfs)

    with pytest.raises(AuditUnavailable, match="disk full"):
        audit.begin(cut_off(2))  # refused by the reserve
    audit.close()
    audit = AuditLog.open(path, files=NoReserve())
    with pytest.raises(AuditUnavailable, match="disk full"):
        audit.begin(cut_off(2))  # refused by the kernel
    assert stray_files(small_tmpfs) == []
    assert audit.next_number() == 2

    filler.unlink()
    assert audit.writable()
    audit.begin(cut_off(2))
    audit.append(record(2))
    audit.close()
    assert numbers(path) == [(1, "scored"), (2, "scored")]
    assert verify(path, key).ok


def test_a_real_disk_that_fills_between_begin_and_append(small_tmpfs):
    path = small_tmpfs / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    audit = AuditLog.open(path, files=NoReserve())
    audit.begin(cut_off(1))
    filler = fill(small_tmpfs)
    with pytest.raises(AuditUnavailable, match="disk full"):
        audit.append(record(1))
    assert not audit.writable()
    filler.unlink()
    assert audit.next_number() == 2  # the record kept in memory is written first
    audit.close()
    assert numbers(path) == [(1, "scored")]
    assert stray_files(small_tmpfs) == []
    assert verify(path, key).ok


def test_temporaries_left_by_a_crash_are_removed_at_open(sealed):
    path, key = sealed
    for leftover in (".open.tmp", ".state.tmp", ".probe", ".probe.tmp", ".key.tmp"):
        path.with_name(path.name + leftover).write_bytes(b"half")
    AuditLog.open(path).close()
    assert stray_files(path.parent) == []
    assert verify(path, key).ok
