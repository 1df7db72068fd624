"""A full or failing audit disk at the counter: no score without a record, a clear screen, and a
counter that resumes by itself and serves the next visitor once the record can be written again.

The disk is either a fault-injecting file layer at the audit's I/O boundary (always runs) or a real
1 MiB tmpfs filled to the last byte (runs where this process may mount one; CI runs as root).
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from daemon_doubles import camera_frame, card_page, counter_settings, marker_desk
from disks import fill
from madoguchi.audit import verify
from madoguchi.audit.files import Files
from madoguchi.counter.state import State
from madoguchi.ops.systemd import SystemdNotifier
from madoguchi.simulate.harness import Desk
from madoguchi.ui.screens import Look, out_of_service_screen

GENUINE = 7


class FullDisk(Files):
    """The real disk, until ``full``: then no space is free and every creating write fails."""

    def __init__(self) -> None:
        self.full = False

    def _check(self) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def open(self, path: Path, flags: int, mode: int = 0o640) -> int:
        if flags & (os.O_WRONLY | os.O_CREAT):
            self._check()
        return super().open(path, flags, mode)

    def write(self, fd: int, data: bytes) -> int:
        self._check()
        return super().write(fd, data)

    def free_bytes(self, directory: Path) -> int:
        return 0 if self.full else super().free_bytes(directory)


class Beats(SystemdNotifier):
    """What systemd would hear: counts watchdog heartbeats and keeps every STATUS= text."""

    def __init__(self) -> None:
        super().__init__(None)
        self.beats = 0
        self.statuses: list[str] = []

    def watchdog(self) -> None:
        self.beats += 1
        super().watchdog()

    def notify(self, **fields: str | int) -> None:
        if "status" in fields:
            self.statuses.append(str(fields["status"]))


def visit(desk: Desk) -> None:
    desk.put(card_page(GENUINE))
    desk.show(camera_frame(GENUINE))


def numbers(path: Path) -> list[int]:
    return [json.loads(line)["number"] for line in path.read_text().splitlines()]


def strays(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.suffix in (".tmp", ".probe"))


@pytest.fixture
def watched(simulated_hardware, tmp_path):
    disk, beats = FullDisk(), Beats()
    config = counter_settings(tmp_path)
    desk = marker_desk(
        simulated_hardware,
        config,
        audit_files=disk,
        notifier=beats,
    )
    try:
        yield desk, disk, beats
    finally:
        desk.close()


def test_a_full_disk_refuses_visitors_then_resumes_by_itself(watched, tmp_path):
    desk, disk, beats = watched
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.number == 1

    disk.full = True
    visit(desk)
    desk.press("start")
    desk.wait_for(State.OUT_OF_SERVICE)
    desk.settle()
    assert desk.reports.empty()  # no transaction ran: no score without a record
    reason = "disk full (0 KiB free in " + str(tmp_path) + ")"
    expected = out_of_service_screen(reason, look=Look(size=desk.display.size))
    assert np.array_equal(np.asarray(desk.frames[-1]), np.asarray(expected))
    assert any(
        text.startswith("out of service: audit record unavailable: disk full") for text in beats.statuses
    )
    beating = beats.beats
    desk.press("start")  # staff try again: refused again, and said so
    desk.settle()
    assert desk.events.state is State.OUT_OF_SERVICE and desk.reports.empty()
    assert beats.beats > beating  # the watchdog is fed while out of service
    assert strays(tmp_path) == []

    disk.full = False
    desk.wait_for(State.IDLE)  # resumes by itself, within a second
    assert beats.statuses[-1].startswith("ready")
    visit(desk)
    desk.press("start")
    report = desk.next_report()
    assert (report.result.code, report.result.number) == ("scored", 2)  # the refused press took no number
    assert numbers(tmp_path / "audit.jsonl") == [1, 2]
    assert verify(tmp_path / "audit.jsonl").ok


class FillingCamera:
    """The simulated camera; the disk fills while the visitor is being watched."""

    def __init__(self, camera, disk: FullDisk) -> None:
        self.camera, self.disk = camera, disk

    def read(self) -> np.ndarray:
        self.disk.full = True
        return self.camera.read()

    def __getattr__(self, name: str):
        return getattr(self.camera, name)


def test_a_disk_that_fills_mid_transaction_keeps_the_record_and_writes_it_later(simulated_hardware, tmp_path):
    disk = FullDisk()
    simulated_hardware.camera = FillingCamera(simulated_hardware.camera, disk)
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path), audit_files=disk)
    try:
        visit(desk)
        desk.press("start")
        report = desk.next_report()
        assert report.result.code == "scored" and report.slip_printed  # the visitor got the result
        desk.wait_for(State.OUT_OF_SERVICE)
        record = tmp_path / "audit.jsonl"
        assert not record.exists() or numbers(record) == []  # not written while the disk is full
        disk.full = False
        desk.wait_for(State.IDLE)
        assert numbers(tmp_path / "audit.jsonl") == [1]  # written first once the disk recovered
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.number == 2
    finally:
        desk.close()


def test_a_real_full_disk_at_the_counter(simulated_hardware, small_tmpfs):
    desk = marker_desk(simulated_hardware, counter_settings(small_tmpfs))
    try:
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.number == 1
        filler = fill(small_tmpfs)
        visit(desk)
        desk.press("start")
        desk.wait_for(State.OUT_OF_SERVICE)
        filler.unlink()
        desk.wait_for(State.IDLE)
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.number == 2
        assert strays(small_tmpfs) == []
    finally:
        desk.close()


class DeletingCamera:
    """The simulated camera; once ``armed``, someone deletes the audit record while the visitor is
    being watched."""

    def __init__(self, camera, record: Path) -> None:
        self.camera, self.record, self.armed = camera, record, False

    def read(self) -> np.ndarray:
        if self.armed:
            self.record.unlink(missing_ok=True)
        return self.camera.read()

    def __getattr__(self, name: str):
        return getattr(self.camera, name)


def test_no_slip_for_a_transaction_whose_record_would_not_land_in_the_file_named(
    simulated_hardware, tmp_path
):
    """The record deleted mid-transaction: no slip (its record would go into an unlinked file), the
    result stays on the screen with what to do, and the record is recovered at once: a new file at
    the path holds the transaction, then the audit_lost record; the next visitor is served."""
    record = tmp_path / "audit.jsonl"
    beats, camera = Beats(), DeletingCamera(simulated_hardware.camera, record)
    simulated_hardware.camera = camera
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path), notifier=beats)
    try:
        visit(desk)
        desk.press("start")
        first = desk.next_report()  # number 1, recorded as usual
        assert first.slip_printed
        camera.armed = True
        visit(desk)
        desk.press("start")
        second = desk.next_report()
        assert second.slip_printed is False and "audit_file_changed" in second.result.notes
        assert len(desk.slips) == 1  # the first visitor's only
        desk.settle()
        kept = [json.loads(line) for line in record.read_text().splitlines()]
        assert [(line["number"], line["outcome"]) for line in kept] == [(2, "scored"), (3, "audit_lost")]
        assert kept[0]["slip_printed"] is False
        assert any(
            text.startswith("out of service: audit record unavailable: record deleted")
            for text in beats.statuses
        )
        assert desk.counter.snapshot().audit_change.startswith("record deleted while open")
    finally:
        desk.close()
