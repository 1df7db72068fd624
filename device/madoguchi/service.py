"""The daemon: start-up in one readable order, systemd's notify protocol, a clean stop.

    config → journal logging → privacy hardening → font → face models → devices → audit record
    → READY=1 → serve visitors (WATCHDOG=1 while the loop is alive) → SIGTERM → STOPPING=1

Also the technician's ``madoguchi selftest``, which checks each device and the models without any
face: the camera's frame is wiped unseen, the engine runs on a blank image.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import numpy as np

from madoguchi import __version__, seccomp
from madoguchi.audit import AuditLog, verify
from madoguchi.clock import clock_problem
from madoguchi.config import DEFAULT_PATH, Config, load
from madoguchi.control.server import start_control
from madoguchi.counter import make_counter
from madoguchi.errors import ConfigError, DeviceNotFound, MadoguchiError
from madoguchi.fonts import find_font
from madoguchi.hardware import Display, Hardware, make_display, make_hardware
from madoguchi.outcome import TransactionResult
from madoguchi.presenter import Presenter
from madoguchi.privacy import harden, wipe

if TYPE_CHECKING:
    from madoguchi.engine import FaceEngine

log = logging.getLogger("madoguchi")

# systemd reads "<N>" at the start of a stderr line as the syslog priority (SyslogLevelPrefix=yes).
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{super().format(record)}"


def configure_logging(*, verbose: bool = False) -> None:
    """Plain lines on stderr; under systemd (JOURNAL_STREAM set) with priorities and no timestamps."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)


class SystemdNotifier:
    """sd_notify(3) without a dependency: datagrams to $NOTIFY_SOCKET; silent when not under systemd.

    ``watchdog()`` may be called often; it sends WATCHDOG=1 at most every half WatchdogSec.
    """

    def __init__(
        self, address: str | None, *, watchdog_usec: int = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._address = "\0" + address[1:] if address and address.startswith("@") else address
        self._interval = watchdog_usec / 2e6 if watchdog_usec else None
        self._clock = clock
        self._last_ping = float("-inf")

    @classmethod
    def from_environment(cls) -> SystemdNotifier:
        watchdog_pid = os.environ.get("WATCHDOG_PID")
        usec = os.environ.get("WATCHDOG_USEC", "0")
        mine = watchdog_pid is None or watchdog_pid == str(os.getpid())
        return cls(os.environ.get("NOTIFY_SOCKET"), watchdog_usec=int(usec) if mine and usec.isdigit() else 0)

    def notify(self, **fields: str | int) -> None:
        if not self._address:
            return
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items()).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                sock.sendto(message, self._address)
            except OSError as error:
                log.warning("sd_notify to %r failed: %s", self._address, error)

    def watchdog(self) -> None:
        if self._interval is None:
            return
        now = self._clock()
        if now - self._last_ping >= self._interval:
            self._last_ping = now
            self.notify(watchdog=1)


def _load_engine(config: Config) -> FaceEngine:
    from madoguchi.engine import FaceEngine  # LiteRT loads here, after the config is known good

    return FaceEngine.load(config.models.dir, faceres=config.models.faceres)


EX_CONFIG = 78
"""sysexits.h's configuration error: systemd's RestartPreventExitStatus keeps it from looping."""

# How often a device missing at start-up is looked for again; well inside WatchdogSec / 2.
RETRY_SECONDS = 5.0


def wait_for_hardware(
    config: Config,
    notifier: SystemdNotifier,
    *,
    make: Callable[..., Hardware] = make_hardware,
    open_display: Callable[..., tuple[Display, str]] = make_display,
    sleep: Callable[[float], None] = time.sleep,
) -> Hardware:
    """Every device, waiting for any that is missing (``kind = "real"``) instead of exiting.

    The missing device is named in the journal, to systemd (STATUS) and, when the LCD itself is
    there, on the LCD, in words staff can act on; it is looked for again every RETRY_SECONDS, so
    plugging it in starts the counter. The LCD stays open meanwhile and becomes the counter's.
    """
    display: tuple[Display, str] | None = None
    reported: set[str] = set()  # each problem goes into the journal once, not every retry

    def report(problem: str) -> None:
        if problem not in reported:
            reported.add(problem)
            log.error("%s", problem)

    while True:
        try:
            return make(config.hardware, opened={"display": display} if display else None)
        except DeviceNotFound as missing:
            report(f"waiting for a device: {missing}")
            notifier.notify(ready=1, status=f"waiting: {missing}")
            notifier.watchdog()
            if display is None and missing.device != "display":
                try:
                    display = open_display(config.hardware)
                except DeviceNotFound as no_lcd:
                    report(f"cannot say so on the LCD: {no_lcd}")
            if display is not None and missing.device is not None:
                presenter = Presenter.of(config.counter, screen_size=display[0].size)
                display[0].show(presenter.device_missing(missing.device))
            sleep(RETRY_SECONDS)


def _process_age() -> float:
    """Seconds since this process was started by the kernel (so interpreter start-up counts too)."""
    try:
        started_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def run_daemon(config_path: Path) -> int:
    """Start, serve until SIGTERM or SIGINT, stop cleanly. Returns the process's exit status."""
    started = time.monotonic()
    configure_logging()
    log.info("madoguchi %s starting (config %s)", __version__, config_path)
    notifier = SystemdNotifier.from_environment()
    try:
        config = load(config_path)
    except MadoguchiError as error:
        log.error("%s", error)
        return EX_CONFIG
    harden()
    seccomp.install()  # no AF_INET/AF_INET6 sockets, on every thread, however the daemon was started
    try:
        find_font(config.counter.font)
        engine = _load_engine(config)
        hardware = wait_for_hardware(config, notifier)
    except ConfigError as error:  # e.g. no Japanese font, or a SANE option the scanner refuses
        log.error("cannot start: %s", error)
        return EX_CONFIG
    except MadoguchiError as error:
        log.error("cannot start: %s", error)
        return 1
    for device, origin in hardware.origin.items():
        log.info("device %s: %s", device, origin)
    audit = AuditLog.open(config.storage.audit_path, terminal_id=config.counter.terminal_id)
    counter = make_counter(
        config,
        hardware,
        engine,
        audit,
        heartbeat=notifier.watchdog,
        status=lambda text: notifier.notify(status=text),
        clock_problem=clock_problem,
    )
    control = start_control(config_path, config, counter)  # technicians' socket; None if it cannot open

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received; stopping", signal.Signals(signum).name)
        notifier.notify(stopping=1)
        counter.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        counter.attach_buttons()
        log.info(
            "cold start to ready: %.2f s since the process started (%.2f s of it in start-up)",
            _process_age(),
            time.monotonic() - started,
        )
        notifier.notify(ready=1, status=f"ready: {config.counter.terminal_id}, mode {counter.mode}")
        counter.run()
    finally:
        if control is not None:
            control.close()
        hardware.close()
        audit.close()
        log.info("stopped")
    return 0


def _check(name: str, test: Callable[[], str]) -> bool:
    try:
        detail = test()
    except Exception as error:  # a technician's check reports every failure and carries on
        print(f"FAIL  {name}: {error}")
        return False
    print(f"ok    {name}: {detail}")
    return True


def _check_models(config: Config) -> str:
    faces = _load_engine(config).find_faces(np.full((480, 640, 3), 128, np.uint8))
    return f"loaded; {len(faces)} faces on a blank image"


def _check_camera(hardware: Hardware) -> str:
    hardware.camera.start()
    try:
        frame = hardware.camera.read()
        height, width = frame.shape[:2]
        wipe(frame)
    finally:
        hardware.camera.stop()
    return f"frame {width}x{height} (wiped unseen)"


def _check_scanner(hardware: Hardware, config: Config) -> str:
    page = hardware.scanner.scan(dpi=config.scan.card_dpi)
    height, width = page.shape[:2]
    wipe(page)
    return f"page {width}x{height} (wiped unseen)"


def _presenter(hardware: Hardware, config: Config) -> Presenter:
    return Presenter.of(
        config.counter, screen_size=hardware.display.size, slip_width_px=hardware.printer.width_px
    )


def _check_display(hardware: Hardware, config: Config) -> str:
    size = hardware.display.size
    hardware.display.show(_presenter(hardware, config).idle(config.counter.mode))
    return f"{size[0]}x{size[1]}, idle screen shown"


def _check_printer(hardware: Hardware, config: Config) -> str:
    counter = config.counter
    test = TransactionResult(
        number=0,
        time=datetime.now().astimezone(),
        mode=counter.mode,
        threshold=counter.threshold,
        code="selftest",
    )
    hardware.printer.print_slip(_presenter(hardware, config).slip(test))
    return f"{hardware.printer.width_px} dots, test slip printed"


def _check_chip(config: Config) -> str:
    """The IC reader is attached and the trust anchors load; no card is read."""
    from madoguchi.chip.source import make_reader

    reader = make_reader(config.chip, config.hardware.kind)
    anchors = f"{len(reader.jlis_keys)} J-LIS keys, {len(reader.cscas)} CSCA certificates"
    return f"{reader.check()}; {anchors}"


def selftest(config_path: Path, *, scan: bool, print_slip: bool) -> int:
    """Check config, font, models, each device and the audit record; no face is captured or kept."""
    configure_logging()
    harden()  # the camera may see someone: its frame gets the daemon's protection, then is wiped
    try:
        config = load(config_path)
    except MadoguchiError as error:
        print(f"FAIL  config: {error}")
        return 1
    print(f"ok    config: {config_path}")
    results = [
        _check("font", lambda: str(find_font(config.counter.font))),
        _check("models", lambda: _check_models(config)),
    ]
    try:
        hardware = make_hardware(config.hardware)
    except MadoguchiError as error:
        print(f"FAIL  devices: {error}")
        return 1
    try:
        for device, origin in hardware.origin.items():
            print(f"      {device}: {origin}")
        results.append(_check("camera", lambda: _check_camera(hardware)))
        if scan:
            results.append(_check("scanner", lambda: _check_scanner(hardware, config)))
        results.append(_check("display", lambda: _check_display(hardware, config)))
        if print_slip:
            results.append(_check("printer", lambda: _check_printer(hardware, config)))
        if config.chip.enabled:
            results.append(_check("IC reader", lambda: _check_chip(config)))
        results.append(_check("audit record", lambda: _audit_summary(config.storage.audit_path)))
    finally:
        hardware.close()
    return 0 if all(results) else 1


def _audit_summary(path: Path) -> str:
    report = verify(path)
    if report.missing and report.lost is None:
        return "no record yet (the daemon has not served anyone)"
    if not report.ok:
        raise MadoguchiError("; ".join(report.problems) or f"torn last line ({report.torn_bytes} bytes)")
    return f"{report.records} records, chain intact, last transaction {report.last_number}"


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the counter daemon (systemd starts this)")
    run.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, help=f"config file (default {DEFAULT_PATH})"
    )
    run.add_argument(
        "--validate-config", action="store_true", help="only check the config file; print each problem"
    )
    run.set_defaults(handler=_run_command)
    # `madoguchi selftest` is madoguchi.technician's: through the daemon, else selftest() below.


def _run_command(args: argparse.Namespace) -> int:
    if args.validate_config:
        try:
            config = load(args.config)
        except MadoguchiError as error:
            print(error, file=sys.stderr)
            return EX_CONFIG
        print(f"{args.config}: valid ({config.counter.terminal_id}, threshold {config.counter.threshold})")
        return 0
    return run_daemon(args.config)
