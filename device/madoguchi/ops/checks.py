"""One set of checks, each a typed result (name, ok, detail), for every command that checks the box.

``madoguchi selftest`` runs :meth:`DeviceChecks.selftest` in the daemon between visitors, or
directly when no daemon runs, on parts built by the same composition root (:mod:`madoguchi.ops.root`),
so both check the same things by the same names. ``print-test`` and ``scan-test`` are two of these
checks; ``status`` shows :func:`clock_check`; ``privacy-check``'s
promises are checks too. No check keeps a face: the camera's frame and a scanned page are wiped
unseen, the engine runs on a blank image.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from madoguchi.audit import verify
from madoguchi.audit.reading import newest_first
from madoguchi.config import CommonConfig, load
from madoguchi.counter.outcome import SELFTEST, TransactionResult
from madoguchi.counter.sources import SOURCES
from madoguchi.errors import MadoguchiError
from madoguchi.hardware.base import Hardware
from madoguchi.privacy import wipe
from madoguchi.ui.fonts import find_font
from madoguchi.ui.presenter import Presenter

EARLIEST_SANE_CLOCK = datetime(2025, 1, 1).astimezone()
"""Before this the clock is certainly wrong (a Pi without its RTC battery starts in 1970)."""


@dataclass(frozen=True)
class Check:
    """One check's result: ``ok`` None means it could not be made here (not a failure)."""

    name: str
    ok: bool | None
    detail: str
    findings: tuple[str, ...] = field(default=())


def checked(name: str, test: Callable[[], str]) -> Check:
    """Run ``test`` (it returns what it saw); any failure is the check's result, never raised."""
    try:
        return Check(name, True, test())
    except Exception as error:  # a technician's check reports every failure and carries on
        return Check(name, False, str(error) or type(error).__name__)


class FaceFinder(Protocol):
    def find_faces(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Any]: ...
    def forget(self) -> None: ...


class SourceCheck(Protocol):
    def check(self) -> str | None: ...


@dataclass(frozen=True)
class LocatedPage:
    """What ``scan-test`` saw: the page's size and resolution, and whether a photo was found on it."""

    width_px: int
    height_px: int
    dpi: int
    found: bool
    detail: str


class DeviceChecks:
    """The checks of the config, the models, every device and the audit record.

    :param config_path: the config file (checked as it is on disk now).
    :param config: the config in force.
    :param engine: gives the face engine (loading it, the first time, where no daemon has it).
    :param hardware: the devices.
    :param sources: the reference sources the config offers, by mode (their own devices).
    :param presenter: the presenter in force (the display shows its idle screen, the printer its test slip).
    :param locate: the photo locator ``scan-test`` runs.
    """

    def __init__(
        self,
        *,
        config_path: Path,
        config: Callable[[], CommonConfig],
        engine: Callable[[], FaceFinder],
        hardware: Hardware,
        sources: Mapping[str, SourceCheck],
        presenter: Callable[[], Presenter],
        locate: Callable[..., Any],
    ) -> None:
        self.config_path = config_path
        self.config = config
        self.engine = engine
        self.hardware = hardware
        self.sources = sources
        self.presenter = presenter
        self.locate = locate

    def selftest(self, *, scan: bool, print_slip: bool) -> list[Check]:
        """Every check, in order; the scanner and the printer only when asked (they move paper)."""
        checks = [
            checked("config", self.config_file),
            checked("font", lambda: str(find_font(self.config().counter.font))),
            checked("models", self.models),
            checked("devices", self.devices),
            checked("camera", self.camera),
        ]
        if scan:
            checks.append(checked("scanner", self.scanner))
        checks.append(checked("display", self.display))
        if print_slip:
            checks.append(checked("printer", self.printer))
        for mode, source in self.sources.items():
            device = SOURCES[mode].device
            if device is not None:
                checks.append(checked(device, lambda source=source: str(source.check())))
        checks.append(checked("audit record", self.audit_record))
        return checks

    def config_file(self) -> str:
        config = load(self.config_path)
        return f"{self.config_path} ({config.counter.terminal_id}, threshold {config.counter.threshold})"

    def models(self) -> str:
        faces = self.engine().find_faces(np.full((480, 640, 3), 128, np.uint8))
        return f"loaded; {len(faces)} faces on a blank image"

    def devices(self) -> str:
        """Which driver each device uses (a double where no real device was found)."""
        return ", ".join(f"{name}={origin}" for name, origin in self.hardware.origin.items())

    def camera(self) -> str:
        camera = self.hardware.camera
        camera.start()
        try:
            frame = camera.read()
            height, width = frame.shape[:2]
            wipe(frame)
        finally:
            camera.stop()
        return f"frame {width}x{height} (wiped unseen)"

    def scanner(self) -> str:
        page = self.hardware.scanner.scan(dpi=self.config().section("scan").dpi("card"))
        height, width = page.shape[:2]
        wipe(page)
        return f"page {width}x{height} (wiped unseen)"

    def display(self) -> str:
        size = self.hardware.display.size
        self.hardware.display.show(self.presenter().idle(self.config().counter.mode))
        return f"{size[0]}x{size[1]}, idle screen shown"

    def printer(self) -> str:
        counter = self.config().counter
        test = TransactionResult(0, datetime.now().astimezone(), counter.mode, counter.threshold, SELFTEST)
        self.hardware.printer.print_slip(self.presenter().slip(test))
        return f"{self.hardware.printer.width_px} dots, test slip printed"

    def audit_record(self) -> str:
        report = verify(self.config().storage.audit_path)
        if report.missing and report.lost is None:
            return "no record yet (the daemon has not served anyone)"
        if not report.ok:
            raise MadoguchiError("; ".join(report.problems) or f"torn last line ({report.torn_bytes} bytes)")
        return f"{report.records} records, chain intact, last transaction {report.last_number}"

    def scan_page(self, mode: str) -> LocatedPage:
        """One scan at ``mode``'s resolution and whether a photo is on it; the page is wiped unseen."""
        dpi = self.config().section("scan").dpi(mode)
        page = self.hardware.scanner.scan(dpi=dpi)
        height, width = page.shape[:2]
        engine = self.engine()
        try:
            photo = self.locate(page, engine, dpi=dpi)
            found, detail = True, f"a photo on a {photo.kind}"
            wipe(photo.image)
        except MadoguchiError as error:
            found, detail = False, f"{getattr(error, 'code', 'no_photo')}: {error}"
        finally:
            wipe(page)
            engine.forget()
        return LocatedPage(width, height, dpi, found, detail)


def clock_check(audit_path: Path, now: datetime | None = None) -> Check:
    """Whether the wall clock is plausible: set at all, and not behind the last audit record."""
    now = now or datetime.now().astimezone()
    if now < EARLIEST_SANE_CLOCK:
        return Check("clock", False, f"before {EARLIEST_SANE_CLOCK.date()}: the clock was never set")
    last = next(newest_first(audit_path), None)
    try:
        last_time = None if last is None else datetime.fromisoformat(last.time)
    except ValueError:
        last_time = None
    if last_time is not None and now < last_time:
        return Check("clock", False, f"earlier than the last audit record ({last_time.isoformat()})")
    return Check("clock", True, "after the last audit record")


def free_bytes(path: Path) -> int:
    """Free space for an unprivileged writer where ``path`` lives."""
    free = os.statvfs(path.parent)
    return free.f_bavail * free.f_frsize
