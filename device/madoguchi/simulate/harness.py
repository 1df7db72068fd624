"""A counter running in its own thread on simulated devices, and the hands that work it.

One harness serves ``madoguchi simulate`` and the tests. It builds the real counter through the
daemon's own composition root (:func:`madoguchi.ops.root.assemble`) on the devices' own doubles,
keeps a copy of every LCD frame and slip, and gives handles on the outside world, as gpiozero's
mock pins do:

    desk = Desk(config, engine)
    desk.put(card_page)          # a page on the scanner glass
    desk.show(*frames)           # what the camera will see
    desk.press("start")
    report = desk.next_report()
    desk.unplug("camera"); desk.paper(out=True)
    desk.tap(card); desk.enter_code("80010120341234"); desk.remove_card()   # [chip] enabled
    desk.close()

Waits are on the counter's state (:meth:`Desk.settle`), never on time.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from madoguchi.audit import AuditLog
from madoguchi.audit.files import Files
from madoguchi.chip.emulator import MyNumberCard, ResidenceCard
from madoguchi.chip.simulated import EmulatedDesk
from madoguchi.config import CommonConfig
from madoguchi.counter.outcome import Report
from madoguchi.counter.state import Event, State
from madoguchi.hardware.base import Hardware
from madoguchi.hardware.factory import make_hardware
from madoguchi.ops.root import assemble
from madoguchi.ops.systemd import SystemdNotifier

NO_FILE = Path("(no config file)")
"""A desk built from a dict has no file: ``config set`` says it cannot read one."""
TIMEOUT_S = 60.0
"""Longest wait for the counter; a real transaction on a slow machine takes a few seconds."""


class RecordingDisplay:
    """The simulated display, keeping a copy of every frame shown."""

    def __init__(self, display: Any) -> None:
        self.display = display
        self.frames: list[Image.Image] = []

    @property
    def size(self) -> tuple[int, int]:
        return self.display.size

    def show(self, frame: Image.Image) -> None:
        self.display.show(frame)
        self.frames.append(frame.copy())

    def close(self) -> None:
        self.display.close()


class RecordingPrinter:
    """The simulated printer, keeping each slip image it printed."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer
        self.slips: list[Image.Image] = []

    @property
    def width_px(self) -> int:
        return self.printer.width_px

    def print_slip(self, slip: Image.Image) -> None:
        self.printer.print_slip(slip)
        self.slips.append(slip.copy())

    def close(self) -> None:
        self.printer.close()


class Desk:
    """The counter for ``config`` on simulated ``hardware`` (made from the config when None).

    :param config: a validated config whose devices are simulated.
    :param engine: the face engine, or a stand-in.
    :param hardware: the simulated devices; those the desk makes itself are closed by :meth:`close`.
    :param audit_files: the audit record's file layer (tests inject disk faults through it).
    :param config_path: the file ``config`` was read from, if any (``config set``, the self-test).
    :param options: passed to :func:`madoguchi.ops.root.assemble` (``locate``, ``assess``, ``clock``,
        ``notifier``: what systemd would be told; by default nothing).
    """

    def __init__(
        self,
        config: CommonConfig,
        engine: Any,
        *,
        hardware: Hardware | None = None,
        audit_files: Files | None = None,
        config_path: Path = NO_FILE,
        **options: Any,
    ) -> None:
        self._owns_hardware = hardware is None
        hardware = hardware or make_hardware(config.hardware)
        self.display = RecordingDisplay(hardware.display)
        self.printer = RecordingPrinter(hardware.printer)
        self.hardware = dataclasses.replace(hardware, display=self.display, printer=self.printer)
        self.config = config
        self.reports: queue.Queue[Report] = queue.Queue()
        self.audit = AuditLog.open(
            config.storage.audit_path, terminal_id=config.counter.terminal_id, files=audit_files
        )
        observers = [*options.pop("observers", ()), self.reports.put]
        self.appliance = assemble(
            config_path,
            config,
            engine=engine,
            hardware=self.hardware,
            audit=self.audit,
            notifier=options.pop("notifier", None) or SystemdNotifier(None),
            observers=observers,
            **options,
        )
        self.counter = self.appliance.counter
        self.events = self.appliance.events
        self.thread = threading.Thread(target=self.appliance.run, name="counter", daemon=True)
        self.thread.start()
        self.settle()

    # --- the outside world ---

    def press(self, button: str) -> None:
        """Press and release ``button`` ("start", "mode", "cancel") as a finger would."""
        self.hardware.buttons.press(button)

    def put(self, *pages: np.ndarray | None) -> None:
        """Pages for the next scans; None is an empty glass. The last stays on the glass (a rescan
        reads it again) until the next ``put``."""
        self.hardware.scanner.load(pages)

    def show(self, *frames: np.ndarray) -> None:
        """What the camera sees from now on (the last frame stays, as a visitor standing still)."""
        self.hardware.camera.load(frames)

    def unplug(self, device: str) -> None:
        """Pull the cable of the "camera", "scanner", "printer" or "chip" (the IC reader)."""
        self._double(device).unplug()

    def plug(self, device: str) -> None:
        self._double(device).plug()

    def tap(self, card: MyNumberCard | ResidenceCard) -> None:
        """Put an emulated card on the IC reader (it stays until :meth:`remove_card`)."""
        self._reader().tap(card)

    def remove_card(self) -> None:
        self._reader().remove()

    def enter_code(self, digits: str, *, confirm: bool = True) -> None:
        """Key in ``digits`` at the code screen as staff would: for each digit MODE until it shows,
        then START; START again sends (unless ``confirm`` is False). The events go straight to the
        counter, as the buttons' callbacks post them: :meth:`press` holds each mock pin past the
        debounce time, which for some eighty presses is needless seconds. It waits for the code
        screen first, as staff do: a press while the card's front is read is answered as busy."""
        self.wait_for(State.ENTERING_CODE)
        for digit in digits:
            for _ in range(int(digit) + 1):  # blank → 0 → 1 …
                self.counter.submit(Event.MODE)
            self.counter.submit(Event.START)
        if confirm:
            self.counter.submit(Event.START)

    def paper(self, *, out: bool) -> None:
        """Empty or refill the printer's paper roll."""
        self._double("printer").paper = "out" if out else "ok"

    # --- what the counter did ---

    @property
    def frames(self) -> list[Image.Image]:
        """Every LCD frame shown, oldest first."""
        return self.display.frames

    @property
    def slips(self) -> list[Image.Image]:
        """Every slip image printed, oldest first."""
        return self.printer.slips

    @property
    def printed(self) -> list[bytes]:
        """The ESC/POS bytes of each print job the printer received."""
        return self._double("printer").slips

    def next_report(self, timeout: float = TIMEOUT_S) -> Report:
        return self.reports.get(timeout=timeout)

    def settle(self, timeout: float = TIMEOUT_S) -> None:
        """Wait until the counter has acted on or answered every press and no transaction runs."""
        if not self.events.wait_settled(timeout):
            raise TimeoutError(f"the counter did not settle within {timeout} s")

    def wait_for(self, states: State | Collection[State], timeout: float = TIMEOUT_S) -> None:
        """Wait until the counter is in ``states`` (e.g. CAPTURING, to cancel mid-capture)."""
        wanted = {states} if isinstance(states, State) else set(states)
        if not self.events.wait_for_state(wanted, timeout):
            raise TimeoutError(f"the counter did not reach {sorted(state.value for state in wanted)}")

    def close(self) -> None:
        self.counter.submit(Event.STOP)
        self.thread.join(timeout=TIMEOUT_S)
        if self._owns_hardware:
            self.hardware.close()
        self.audit.close()

    def _reader(self) -> EmulatedDesk:
        chip = self.appliance.sources.get("chip")
        transport = getattr(getattr(chip, "reader", None), "transport", None)
        if not isinstance(transport, EmulatedDesk):
            raise RuntimeError("no emulated IC reader: set [chip] enabled = true on simulated hardware")
        return transport

    def _double(self, device: str) -> Any:
        if device == "chip":
            return self._reader()
        doubles = {
            "camera": self.hardware.camera,
            "scanner": self.hardware.scanner,
            "printer": self.printer.printer.printer,  # RecordingPrinter > SlipPrinter > VirtualPrinter
        }
        return doubles[device]
