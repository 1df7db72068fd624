"""The running daemon as technicians' commands see it: what the composition root built, behind a
narrow interface to the counter (its state, a snapshot, submit a call, apply a setting)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from PIL import Image

from madoguchi.audit import AuditLog
from madoguchi.config.counter import CounterConfig
from madoguchi.counter.calls import Call
from madoguchi.counter.events import EventQueue
from madoguchi.counter.recorder import Recorder
from madoguchi.counter.slips import Slips
from madoguchi.counter.snapshot import Snapshot
from madoguchi.counter.state import Event
from madoguchi.hardware.base import Hardware
from madoguchi.ops.checks import DeviceChecks
from madoguchi.ops.config_file import ConfigFile
from madoguchi.ops.systemd import SystemdNotifier
from madoguchi.ops.tally import Tally
from madoguchi.voice.announcer import Announcer


class CounterControl(Protocol):
    """What control may do to the counter: look, queue a press or a call, apply a changed
    ``[counter]`` section (from a call, on the counter's thread)."""

    def snapshot(self) -> Snapshot: ...
    def submit(self, event: Event | Call) -> None: ...
    def apply(self, settings: CounterConfig) -> None: ...


@dataclass
class Appliance:
    """Everything one daemon runs, as :func:`madoguchi.ops.root.assemble` built it.

    :param config_file: the config file and the config in force.
    :param counter: the counter, through the narrow interface only.
    :param events: the counter's inbox, for waiting until it has settled.
    :param hardware: the devices (the checks and the simulated desk's buttons use them).
    :param sources: the reference sources the config offers, by mode (the simulator taps cards on
        the emulated IC reader's).
    :param engine: the face engine (the camera check finds faces with it).
    :param measure: the quality figures of a face in a frame (the camera check shows them).
    :param checks: the self-test's, print-test's and scan-test's checks.
    :param recorder: keeps a ``config set`` in the audit record.
    :param slips: prints the last slip again and the day slip (``reprint``, ``day-slip``).
    :param audit: the open audit record (its head and path for ``status``).
    :param tally: today's transactions, the last result, each device's last fault.
    :param notifier: systemd's watchdog and when the counter last beat.
    :param models: each model file and its SHA-256, as the engine verified them.
    :param run: the counter's loop, for the thread that serves visitors.
    :param screen: the last screen the counter drew (words and a score; simulated hardware shows it).
    :param announcer: says the visitor's guidance (None: ``[voice]`` is off); its fault, if any, is
        the speaker's on ``status``.
    """

    config_file: ConfigFile
    counter: CounterControl
    events: EventQueue
    hardware: Hardware
    sources: Mapping[str, Any]
    engine: Any
    measure: Callable[[np.ndarray, Any], dict[str, float]]
    checks: DeviceChecks
    recorder: Recorder
    slips: Slips
    audit: AuditLog
    tally: Tally
    notifier: SystemdNotifier
    models: dict[str, str]
    run: Callable[[], None]
    screen: Callable[[], Image.Image | None]
    announcer: Announcer | None
    started: float = field(default_factory=time.monotonic)
