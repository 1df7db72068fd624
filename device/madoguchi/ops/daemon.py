"""The daemon: start-up in one readable order, and a clean stop.

config → journal logging → privacy hardening → font → face models → devices → audit record
→ the counter assembled (:mod:`.root`) → control socket → READY=1
→ serve visitors (WATCHDOG=1 while the loop is alive) → SIGTERM → STOPPING=1
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from madoguchi import __version__, seccomp
from madoguchi.audit import AuditLog, default_marker
from madoguchi.clock import clock_problem
from madoguchi.config import CommonConfig, load
from madoguchi.counter.state import Event
from madoguchi.engine import FaceEngine
from madoguchi.errors import AlreadyRunning, AuditWiped, ConfigError, DeviceNotFound, ExitCode, MadoguchiError
from madoguchi.hardware.base import Display, Hardware, Opened
from madoguchi.hardware.factory import make_display, make_hardware
from madoguchi.ops.control.server import start_control
from madoguchi.ops.lock import DaemonLock, lock_path
from madoguchi.ops.root import assemble
from madoguchi.ops.simulated import simulated_config
from madoguchi.ops.systemd import SystemdNotifier, configure_logging
from madoguchi.privacy import harden
from madoguchi.ui.fonts import find_font
from madoguchi.ui.presenter import Presenter

log = logging.getLogger("madoguchi")

RETRY_SECONDS = 5.0
"""How often a device missing at start-up is looked for again; well inside WatchdogSec / 2."""


def wait_for_hardware(
    config: CommonConfig,
    notifier: SystemdNotifier,
    *,
    make: Callable[..., Hardware] = make_hardware,
    open_display: Callable[..., Opened] = make_display,
    sleep: Callable[[float], None] = time.sleep,
) -> Hardware:
    """Every device, waiting for any that is missing (``kind = "real"``) instead of exiting.

    The missing device is named in the journal, to systemd (STATUS) and, when the LCD itself is
    there, on the LCD, in words staff can act on; it is looked for again every RETRY_SECONDS, so
    plugging it in starts the counter. The LCD stays open meanwhile and becomes the counter's.
    """
    display: Opened | None = None
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
                lcd: Display = display[0]
                lcd.show(Presenter.of(config.counter, screen_size=lcd.size).device_missing(missing.device))
            sleep(RETRY_SECONDS)


def _process_age() -> float:
    """Seconds since this process was started by the kernel (so interpreter start-up counts too)."""
    try:
        started_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def run_daemon(config_path: Path, *, simulated: bool = False) -> ExitCode:
    """Start, serve until SIGTERM or SIGINT, stop cleanly. Returns the process's exit status.
    ``simulated``: on simulated devices (:func:`madoguchi.ops.simulated.simulated_config`)."""
    started = time.monotonic()
    configure_logging()
    log.info(
        "madoguchi %s starting (config %s%s)", __version__, config_path, ", simulated" if simulated else ""
    )
    notifier = SystemdNotifier.from_environment()
    try:
        config = simulated_config(config_path) if simulated else load(config_path)
    except MadoguchiError as error:
        log.error("%s", error)
        return ExitCode.CONFIG
    lock = DaemonLock(lock_path(config.storage.audit_path))
    try:
        lock.acquire()  # before any device or socket: a second daemon never touches the first's
    except AlreadyRunning as error:
        log.error("cannot start: %s", error)
        return ExitCode.ALREADY_RUNNING
    except OSError as error:
        log.error("cannot start: the lock beside the audit record: %s", error)
        return ExitCode.FAILED
    harden()
    seccomp.install()  # no AF_INET/AF_INET6 sockets, on every thread, however the daemon was started
    try:
        find_font(config.counter.font)
        engine = FaceEngine.load(config.models.dir, faceres=config.models.faceres)
        hardware = wait_for_hardware(config, notifier)
    except ConfigError as error:  # e.g. no Japanese font, or a SANE option the scanner refuses
        log.error("cannot start: %s", error)
        return ExitCode.CONFIG
    except MadoguchiError as error:
        log.error("cannot start: %s", error)
        return ExitCode.FAILED
    for device, origin in hardware.origin.items():
        log.info("device %s: %s", device, origin)
    try:
        audit = AuditLog.open(
            config.storage.audit_path, terminal_id=config.counter.terminal_id, marker=default_marker()
        )
    except AuditWiped as error:  # starting again at number 1 would give out numbers twice
        log.error("cannot start: %s", error)
        notifier.notify(status=f"refused: audit record wiped: {error}")
        hardware.close()
        return ExitCode.AUDIT_WIPED
    try:
        appliance = assemble(
            config_path,
            config,
            engine=engine,
            hardware=hardware,
            audit=audit,
            notifier=notifier,
            clock_problem=clock_problem,
        )
    except ConfigError as error:  # e.g. the IC reader's trust anchors cannot be read
        log.error("cannot start: %s", error)
        hardware.close()
        audit.close()
        return ExitCode.CONFIG
    control = start_control(appliance, simulated=simulated)  # technicians' socket; None if it cannot open

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received; stopping", signal.Signals(signum).name)
        notifier.notify(stopping=1)
        appliance.counter.submit(Event.STOP)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        log.info(
            "cold start to ready: %.2f s since the process started (%.2f s of it in start-up)",
            _process_age(),
            time.monotonic() - started,
        )
        mode = appliance.counter.snapshot().mode
        notifier.notify(ready=1, status=f"ready: {config.counter.terminal_id}, mode {mode}")
        appliance.run()
    finally:
        if control is not None:
            control.close()
        if appliance.announcer is not None:
            appliance.announcer.close()
        hardware.close()
        audit.close()
        log.info("stopped")
    return ExitCode.OK
