"""The composition root: the one place a counter is built, from its config to a serving loop.

    config ─→ presenter ─→ LCD, keypad ─→ reference sources (card, form, IC chip) ─→ runner ─┐
    engine, devices, audit record ───────────────────────────────────────────────────────────┴→ counter
                                                                          └→ Appliance (for control)

The daemon (:mod:`madoguchi.ops.daemon`) opens the engine, the devices and the audit record in its
start-up order and hands them to :func:`assemble`; the simulator builds through it too; the
self-test run without a daemon uses :func:`device_checks` on the same sources. Technicians'
commands receive the :class:`~madoguchi.ops.appliance.Appliance`, never the counter itself.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from madoguchi.audit import AuditLog
from madoguchi.audit.figures import read_figures
from madoguchi.config import CommonConfig
from madoguchi.counter.calls import Calls
from madoguchi.counter.capture import Assess, Watch
from madoguchi.counter.counter import Counter, Hooks
from madoguchi.counter.decision import Decisions
from madoguchi.counter.events import EventQueue
from madoguchi.counter.keypad import Keypad
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.menu import StaffMenu
from madoguchi.counter.outcome import Report
from madoguchi.counter.recorder import Recorder
from madoguchi.counter.runner import Engine, TransactionRunner
from madoguchi.counter.slips import Slips
from madoguchi.counter.sources import SOURCES
from madoguchi.counter.sources.base import Locate, ReferenceSource, SourceParts
from madoguchi.counter.staff import StaffKeys
from madoguchi.counter.state import Event, KeyPress
from madoguchi.document.card_code import CardCodeReader
from madoguchi.document.locate import locate_photo
from madoguchi.document.quality import assess as assess_quality
from madoguchi.document.quality import measure
from madoguchi.engine import FaceEngine
from madoguchi.engine.models import manifest, models_dir
from madoguchi.hardware.base import Hardware
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.checks import DeviceChecks
from madoguchi.ops.config_file import ConfigFile
from madoguchi.ops.systemd import SystemdNotifier
from madoguchi.ops.tally import Tally
from madoguchi.ui.presenter import Presenter
from madoguchi.voice import start_voice


def presenter_for(config: CommonConfig, hardware: Hardware) -> Presenter:
    """The presenter for ``config`` on these devices' screen and paper."""
    return Presenter.of(
        config.counter, screen_size=hardware.display.size, slip_width_px=hardware.printer.width_px
    )


def build_sources(
    config: CommonConfig, hardware: Hardware, engine: Any, *, locate: Locate, keypad: Keypad | None
) -> dict[str, ReferenceSource]:
    """Each reference source the config offers, by mode, in the registry's order (MODE's)."""
    parts = SourceParts(hardware.scanner, engine, locate, keypad, config.hardware.kind, CardCodeReader)
    built = {}
    for mode, kind in SOURCES.items():
        settings = config.section(kind.section[0]) if kind.section else None
        source = kind.build(settings, parts)
        if source is not None:
            built[mode] = source
    return built


def device_checks(config_path: Path, config: CommonConfig, hardware: Hardware) -> DeviceChecks:
    """The self-test's checks without a daemon: the same sources, none of them used to read; the
    engine is loaded by the models' check (so a model that fails to load is that check's finding)."""
    presenter = presenter_for(config, hardware)
    return DeviceChecks(
        config_path=config_path,
        config=lambda: config,
        engine=functools.cache(lambda: FaceEngine.load(config.models.dir, faceres=config.models.faceres)),
        hardware=hardware,
        sources=build_sources(config, hardware, None, locate=locate_photo, keypad=None),
        presenter=lambda: presenter,
        locate=locate_photo,
    )


def assemble(
    config_path: Path,
    config: CommonConfig,
    *,
    engine: Engine,
    hardware: Hardware,
    audit: AuditLog,
    notifier: SystemdNotifier,
    locate: Locate = locate_photo,
    assess: Assess = assess_quality,
    clock: Callable[[], float] = time.monotonic,
    clock_problem: Callable[[], str | None] = lambda: None,
    now: Callable[[], datetime] = Hooks.now,
    observers: Sequence[Callable[[Report], None]] = (),
) -> Appliance:
    """The counter for ``config`` on ``hardware``, with ``engine`` and the open ``audit`` record,
    wired to its buttons and to systemd through ``notifier``; ``observers`` hear of every report;
    ``now`` is the wall clock of slips and records."""
    config_file = ConfigFile(config_path, config)
    events, lcd = EventQueue(), Lcd(hardware.display, presenter_for(config, hardware))
    calls = Calls(redraw=lambda: counter.redraw())
    keypad = Keypad(
        events,
        calls,
        lcd,
        clock=clock,
        heartbeat=notifier.watchdog,
        seconds=lambda: config_file.config.counter.code_seconds,
    )
    sources = build_sources(config, hardware, engine, locate=locate, keypad=keypad)
    simulated = config.hardware.kind == "simulated"
    announcer = start_voice(config.voice, simulated=simulated) if config.voice.enabled else None
    counter_config = config.counter
    runner = TransactionRunner(
        engine=engine,
        sources=sources,
        watch=Watch(
            hardware.camera,
            engine,
            assess,
            seconds=counter_config.capture_seconds,
            clock=clock,
            pad=config.pad,
            voice=announcer,
        ),
        assess=assess,
        reference_quality=counter_config.reference_quality,
    )
    recorder = Recorder(audit, terminal_id=counter_config.terminal_id)
    tally = Tally(config.storage.audit_path)
    hooks = Hooks(
        heartbeat=notifier.watchdog,
        status=lambda text: notifier.notify(status=text),
        clock_problem=clock_problem,
        now=now,
        observers=(tally.add, *observers),
    )
    slips = Slips(hardware.printer, recorder, lcd)
    staff = StaffKeys(
        Decisions(recorder, lcd, enabled=lambda: counter.settings.decisions, clock=clock, now=hooks.now),
        StaffMenu(
            lcd,
            slips,
            figures=lambda day: read_figures(audit.path, day, day),
            clock=clock,
            now=hooks.now,
        ),
    )
    counter = Counter(
        events=events,
        calls=calls,
        lcd=lcd,
        runner=runner,
        recorder=recorder,
        slips=slips,
        staff=staff,
        settings=counter_config,
        modes=tuple(sources),
        clock=clock,
        hooks=hooks,
    )
    buttons = hardware.buttons
    buttons.when_start = lambda: counter.submit(Event.START)
    buttons.when_mode = lambda: counter.submit(Event.MODE)
    buttons.when_cancel = lambda: counter.submit(Event.CANCEL)
    if hardware.keypad is not None:
        hardware.keypad.when_key = lambda key: counter.submit(KeyPress(key))
    checks = DeviceChecks(
        config_path=config_path,
        config=lambda: config_file.config,
        engine=lambda: engine,
        hardware=hardware,
        sources=sources,
        presenter=lambda: lcd.presenter,
        locate=locate,
    )
    return Appliance(
        config_file=config_file,
        counter=counter,
        events=events,
        hardware=hardware,
        sources=sources,
        engine=engine,
        measure=measure,
        checks=checks,
        recorder=recorder,
        slips=slips,
        audit=audit,
        tally=tally,
        notifier=notifier,
        models=manifest(models_dir(config.models.dir)),
        run=counter.run,
        screen=lambda: lcd.last,
        announcer=announcer,
    )
