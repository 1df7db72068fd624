"""What the daemon does for each control request, on the counter's thread (:class:`Call`).

Every handler answers with an :class:`~madoguchi.control.protocol.Answer`; images the checks take
(a camera frame, a scanned page) are wiped before the answer is built, and the camera check's face
box and figures are drawn on the LCD only.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from madoguchi import __version__, seccomp
from madoguchi.audit import AuditRecord
from madoguchi.config import Config
from madoguchi.control import protocol as p
from madoguchi.control.settings import change_counter_setting
from madoguchi.counter import Call, Counter, Report
from madoguchi.engine.models import MANIFEST, models_dir
from madoguchi.errors import MadoguchiError
from madoguchi.outcome import TransactionResult
from madoguchi.privacy import wipe
from madoguchi.state import Event

log = logging.getLogger(__name__)

CONFIG_CHANGED = "config_changed"
"""The outcome code of an audit record that keeps a ``config set`` (who, old -> new)."""

DEVICE_OF_CODE = {"camera_gone": "camera", "scanner_gone": "scanner"}
DEVICE_OF_CODE |= {"printer_out_of_paper": "printer", "printer_error": "printer"}
EARLIEST_SANE_CLOCK = datetime(2025, 1, 1).astimezone()
"""Before this the clock is certainly wrong (a Pi without its RTC battery starts in 1970)."""


@dataclass(frozen=True)
class Peer:
    """Who asks, as the kernel says (SO_PEERCRED, SO_PEERGROUPS)."""

    pid: int
    uid: int
    gid: int
    user: str


class Tally:
    """Today's transactions by outcome and each device's last fault: an observer of the counter."""

    def __init__(self, audit_path: Path, today: Callable[[], date] = date.today) -> None:
        self.today = today
        self.day = today()
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.faults: dict[str, tuple[str, str]] = {}
        self.last: TransactionResult | None = None
        self._from_record(audit_path)

    def _from_record(self, path: Path) -> None:
        """Today's finished transactions already in the audit record (the daemon restarted)."""
        try:
            lines = path.read_bytes().splitlines()
        except OSError:
            return
        prefix = self.day.isoformat()
        for line in reversed(lines):
            try:
                record = json.loads(line)
                if not record["time"].startswith(prefix):
                    break
                if record["outcome"] != CONFIG_CHANGED:
                    self.outcomes[record["outcome"]] += 1
            except (ValueError, KeyError, TypeError, AttributeError):
                continue

    def add(self, report: Report) -> None:
        result = self.last = report.result
        if self.today() != self.day:
            self.day, self.outcomes = self.today(), collections.Counter()
        self.outcomes[result.code] += 1
        for code in (result.code, *result.notes):
            if code in DEVICE_OF_CODE:
                self.faults[DEVICE_OF_CODE[code]] = (code, result.time.isoformat(timespec="seconds"))


class Heartbeat:
    """Wraps the counter's heartbeat (systemd's watchdog ping) to say when the loop last beat."""

    def __init__(self, beat: Callable[[], None]) -> None:
        self._beat = beat
        self.last: float | None = None
        usec = os.environ.get("WATCHDOG_USEC", "")
        self.watchdog_s = int(usec) / 1e6 if usec.isdigit() else None

    def __call__(self) -> None:
        self.last = time.monotonic()
        self._beat()


@dataclass
class Daemon:
    """The running daemon, as the requests see it."""

    config_path: Path
    config: Config
    tally: Tally
    heartbeat: Heartbeat
    started: float = field(default_factory=time.monotonic)
    models: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, config_path: Path, config: Config, counter: Counter) -> Daemon:
        daemon = cls(config_path, config, Tally(config.storage.audit_path), Heartbeat(counter.heartbeat))
        counter.heartbeat = daemon.heartbeat
        counter.observers.append(daemon.tally.add)
        try:
            directory = models_dir(config.models.dir)
            daemon.models = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except (MadoguchiError, OSError, ValueError) as error:
            log.warning("control: cannot list the models' checksums: %s", error)
        return daemon


Handler = Callable[[Daemon, p.Arguments, Peer], Call]


def version(daemon: Daemon) -> p.VersionAnswer:
    return p.VersionAnswer(version=__version__, python=platform.python_version(), models=daemon.models)


# --- status ---


def _status(daemon: Daemon, counter: Counter) -> p.StatusAnswer:
    audit = counter.recorder.audit
    settings = counter.settings
    now = datetime.now().astimezone()
    last_time = _last_record_time(audit.path)
    clock_ok, clock_note = True, "after the last audit record"
    if now < EARLIEST_SANE_CLOCK:
        clock_ok, clock_note = False, f"before {EARLIEST_SANE_CLOCK.date()}: the clock was never set"
    elif last_time is not None and now < last_time:
        clock_ok, clock_note = False, f"earlier than the last audit record ({last_time.isoformat()})"
    free = os.statvfs(audit.path.parent)
    kernel = seccomp.status()
    devices = [
        p.DeviceAnswer(
            name=name,
            origin=origin,
            last_fault=daemon.tally.faults.get(name, (None, None))[0],
            last_fault_at=daemon.tally.faults.get(name, (None, None))[1],
        )
        for name, origin in counter.hardware.origin.items()
    ]
    beat = daemon.heartbeat.last
    return p.StatusAnswer(
        pid=os.getpid(),
        state=counter.state.value,
        transaction=counter.serving,
        uptime_s=round(time.monotonic() - daemon.started, 1),
        version=__version__,
        models=daemon.models,
        terminal_id=settings.terminal_id,
        threshold=settings.threshold,
        mode=counter.mode,
        language=settings.language,
        result_seconds=settings.result_seconds,
        hardware=daemon.config.hardware.kind,
        transactions_today=sum(daemon.tally.outcomes.values()),
        outcomes_today=dict(daemon.tally.outcomes),
        devices=devices,
        audit_path=str(audit.path),
        audit_last_number=audit.head()[0],
        audit_head=audit.head()[1],
        audit_free_bytes=free.f_bavail * free.f_frsize,
        clock=now.isoformat(timespec="seconds"),
        clock_ok=clock_ok,
        clock_note=clock_note,
        watchdog_s=daemon.heartbeat.watchdog_s,
        heartbeat_age_s=None if beat is None else round(time.monotonic() - beat, 2),
        seccomp_filter=bool(kernel.socket_filter),
        seccomp_mode=kernel.mode,
        no_new_privs=kernel.no_new_privs,
    )


def _last_record_time(path: Path) -> datetime | None:
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            last = handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        return datetime.fromisoformat(json.loads(last)["time"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def status(daemon: Daemon, _args: p.Arguments, _peer: Peer) -> Call:
    return Call(lambda counter: _status(daemon, counter), between_steps=True)


# --- checks of the devices ---


def _checked(name: str, check: Callable[[], str]) -> p.CheckAnswer:
    try:
        return p.CheckAnswer(name=name, ok=True, detail=check())
    except Exception as error:  # a technician's check reports every failure and carries on
        return p.CheckAnswer(name=name, ok=False, detail=str(error) or type(error).__name__)


def _engine_check(counter: Counter) -> str:
    faces = counter.runner.engine.find_faces(np.full((480, 640, 3), 128, np.uint8))
    return f"loaded; {len(faces)} faces on a blank image"


def _selftest(daemon: Daemon, counter: Counter, args: p.SelftestArguments) -> p.SelftestAnswer:
    from madoguchi import service

    hardware, config = counter.hardware, daemon.config
    checks = [
        _checked("models", lambda: _engine_check(counter)),
        _checked("camera", lambda: service._check_camera(hardware)),
    ]
    if args.scan:
        checks.append(_checked("scanner", lambda: service._check_scanner(hardware, config)))
    checks.append(_checked("display", lambda: service._check_display(hardware, config)))
    if args.print_slip:
        checks.append(_checked("printer", lambda: service._check_printer(hardware, config)))
    audit_path = config.storage.audit_path
    checks.append(_checked("audit record", lambda: service._audit_summary(audit_path)))
    return p.SelftestAnswer(ok=all(check.ok for check in checks), checks=checks)


def selftest(daemon: Daemon, args: p.Arguments, _peer: Peer) -> Call:
    assert isinstance(args, p.SelftestArguments)
    return Call(lambda counter: _selftest(daemon, counter, args), redraw=True)


def _print_test(daemon: Daemon, counter: Counter) -> p.PrintTestAnswer:
    from madoguchi import service

    service._check_printer(counter.hardware, daemon.config)
    return p.PrintTestAnswer(printed=True, width_px=counter.hardware.printer.width_px)


def print_test(daemon: Daemon, _args: p.Arguments, _peer: Peer) -> Call:
    return Call(lambda counter: _print_test(daemon, counter))


def _scan_test(daemon: Daemon, counter: Counter) -> p.ScanTestAnswer:
    from madoguchi.document.locate import locate_photo

    dpi = daemon.config.scan.dpi(counter.mode)
    page = counter.hardware.scanner.scan(dpi=dpi)
    height, width = page.shape[:2]
    try:
        photo = locate_photo(page, counter.runner.engine, dpi=dpi)
        found, detail = True, f"a photo on a {photo.kind}"
        wipe(photo.image)
    except MadoguchiError as error:
        found, detail = False, f"{getattr(error, 'reason', 'no_photo')}: {error}"
    finally:
        wipe(page)
        counter.runner.engine.forget()
    return p.ScanTestAnswer(width_px=width, height_px=height, dpi=dpi, card_found=found, detail=detail)


def scan_test(daemon: Daemon, _args: p.Arguments, _peer: Peer) -> Call:
    return Call(lambda counter: _scan_test(daemon, counter))


def _camera_view(
    frame: np.ndarray, size: tuple[int, int], box: tuple[float, ...] | None, text: str
) -> Image.Image:
    """The frame scaled to the LCD, the face's box on it, the figures underneath."""
    view = Image.fromarray(frame).convert("RGB")
    scale = min(size[0] / view.width, size[1] / view.height)
    view = view.resize((max(1, int(view.width * scale)), max(1, int(view.height * scale))))
    screen = Image.new("RGB", size, "black")
    screen.paste(view, (0, 0))
    draw = ImageDraw.Draw(screen)
    if box is not None:
        draw.rectangle([value * scale for value in box], outline="lime", width=2)
    draw.text((4, size[1] - 14), text, fill="yellow")
    return screen


def _camera_check(counter: Counter, seconds: int) -> p.CameraCheckAnswer:
    from madoguchi.document.quality import measure

    camera, display, engine = counter.hardware.camera, counter.hardware.display, counter.runner.engine
    frames = with_face = 0
    best: dict[str, float] | None = None
    size = "-"
    camera.start()
    try:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            counter.heartbeat()
            frame = camera.read()
            frames += 1
            size = f"{frame.shape[1]}x{frame.shape[0]}"
            box, text = None, "no face"
            try:
                faces = engine.find_faces(frame)
                if faces:
                    with_face += 1
                    face = max(faces, key=lambda found: found.box.width)
                    figures = measure(frame, face)
                    if best is None or figures["sharpness"] > best["sharpness"]:
                        best = {key: figures[key] for key in ("eye_distance", "sharpness", "brightness")}
                    box = (face.box.x0, face.box.y0, face.box.x1, face.box.y1)
                    text = "eyes {eye_distance:.0f}px sharp {sharpness:.0f} light {brightness:.0f}".format(
                        **figures
                    )
                display.show(_camera_view(frame, display.size, box, text))
            finally:
                wipe(frame)
                engine.forget()
    finally:
        camera.stop()

    def figure(name: str) -> float | None:
        return None if best is None else round(best[name], 1)

    return p.CameraCheckAnswer(
        seconds=seconds,
        frames=frames,
        frames_with_face=with_face,
        frame_size=size,
        eye_distance_px=figure("eye_distance"),
        sharpness=figure("sharpness"),
        brightness=figure("brightness"),
    )


def camera_check(_daemon: Daemon, args: p.Arguments, _peer: Peer) -> Call:
    assert isinstance(args, p.CameraCheckArguments)
    return Call(lambda counter: _camera_check(counter, args.seconds), redraw=True)


# --- config ---


def _shown(counter: Counter) -> dict[str, p.Scalar]:
    values = counter.settings.model_dump(mode="json")
    values["mode_now"] = counter.mode
    return values


def config_show(daemon: Daemon, _args: p.Arguments, _peer: Peer) -> Call:
    return Call(
        lambda counter: p.ConfigAnswer(path=str(daemon.config_path), values=_shown(counter)),
        between_steps=True,
    )


def _config_set(
    daemon: Daemon, counter: Counter, args: p.ConfigSetArguments, peer: Peer
) -> p.ConfigSetAnswer:
    old = getattr(counter.settings, args.key)
    config = change_counter_setting(daemon.config_path, args.key, args.value)
    new = getattr(config.counter, args.key)
    counter.apply(config.counter)
    daemon.config = config
    audit = counter.recorder.audit
    record = AuditRecord.of(
        TransactionResult(
            audit.next_number(),
            datetime.now().astimezone(),
            counter.mode,
            config.counter.threshold,
            CONFIG_CHANGED,
        ),
        terminal_id=config.counter.terminal_id,
        messages=(f"{args.key}: {old} -> {new}", f"by {peer.user} (uid {peer.uid}, pid {peer.pid})"),
        slip_printed=None,
    )
    audit.append(record)
    log.info(
        "config %s: %s -> %s by %s (uid %d); audit record %d",
        args.key,
        old,
        new,
        peer.user,
        peer.uid,
        record.number,
    )
    return p.ConfigSetAnswer(key=args.key, old=old, new=new, applied=True, audit_number=record.number)


def config_set(daemon: Daemon, args: p.Arguments, peer: Peer) -> Call:
    assert isinstance(args, p.ConfigSetArguments)
    return Call(lambda counter: _config_set(daemon, counter, args, peer))


# --- simulated hardware only ---


def _load(counter: Counter, args: p.PressArguments) -> None:
    if args.page is not None:
        counter.hardware.scanner.load([args.page or None])  # "": an empty glass
    if args.frames:
        counter.hardware.camera.load(args.frames)


PRESS_WAIT_S = 300.0
"""How long ``press --wait`` waits for the simulated transaction (a slow machine, many faces)."""


def press(daemon: Daemon, counter: Counter, args: p.PressArguments) -> p.PressAnswer:
    """Press a button of the simulated desk, as gpiozero's mock pins would, after loading what
    the scanner and camera will see; with ``wait``, answer once the counter has acted on it."""
    if daemon.config.hardware.kind != "simulated":
        raise p.ProtocolError("not_allowed", 'press works only with hardware.kind = "simulated"')
    load = Call(lambda c: _load(c, args))
    counter.post(load)
    load.wait(PRESS_WAIT_S)
    counter.post(Event(args.button))
    last = daemon.tally.last
    if args.wait:
        after = Call(lambda c: daemon.tally.last)  # queued behind the press: runs once it is acted on
        counter.post(after)
        last = after.wait(PRESS_WAIT_S)
    return p.PressAnswer(
        button=args.button,
        last_transaction=last.number if last else 0,
        outcome=last.code if last else None,
        threshold=last.threshold if last else None,
    )


HANDLERS: dict[str, Handler] = {
    "status": status,
    "selftest": selftest,
    "camera_check": camera_check,
    "print_test": print_test,
    "scan_test": scan_test,
    "config_show": config_show,
    "config_set": config_set,
}
"""Requests run as a Call on the counter's thread; ``version`` and ``press`` are the server's own."""
