"""StaffButtons on gpiozero's mock pins, driven from outside as gpiozero's own tests do; GpiodButtons
on the kernel's gpio-sim where it exists."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from time import monotonic

import pytest
from gpiozero import Button
from gpiozero.pins.mock import MockPin
from pydantic import ValidationError

from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import DeviceNotFound
from madoguchi.hardware.buttons import GpiodButtons, StaffButtons
from madoguchi.hardware.factory import make_hardware
from madoguchi.hardware.gpio import prepare_lgpio

PINS = {"start": 5, "mode": 6, "cancel": 13}


class Events:
    """Records callbacks by name; ``wait_for`` lets a test wait for gpiozero's hold thread."""

    def __init__(self, buttons: StaffButtons) -> None:
        self.names: list[str] = []
        self._changed = threading.Condition()
        for name in ("start", "mode", "cancel"):
            setattr(buttons, f"when_{name}", lambda name=name: self._add(name))

    def _add(self, name: str) -> None:
        with self._changed:
            self.names.append(name)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 2.0) -> list[str]:
        with self._changed:
            self._changed.wait_for(lambda: len(self.names) >= count, timeout)
            return list(self.names)


@pytest.fixture
def buttons(mock_factory):
    with StaffButtons(**PINS, bounce_time=0.05, hold_cancel=None, pin_factory=mock_factory) as buttons:
        yield buttons


def test_each_press_calls_its_callback_once(buttons):
    events = Events(buttons)

    buttons.press("start")
    buttons.press("mode")
    buttons.press("cancel")
    buttons.press("start")

    assert events.names == ["start", "mode", "cancel", "start"]


def test_buttons_use_pull_ups_and_the_bounce_time(buttons, mock_factory):
    for name, number in PINS.items():
        pin = getattr(buttons, f"{name}_button").pin
        assert pin is mock_factory.pin(number)
        assert pin.pull == "up"
        assert pin.bounce == pytest.approx(0.05)


def test_no_callback_set_is_fine(buttons):
    buttons.press("start")  # nothing listens yet: nothing happens, nothing raises


class DebouncingPin(MockPin):
    """A mock pin that drops edges within ``bounce`` seconds of the last one, as the GPIO drivers do."""

    def _change_state(self, value):
        now = monotonic()
        if self.bounce and self._state != value and now - self._last_change < self.bounce:
            return False
        return super()._change_state(value)


def test_contact_bounce_gives_one_press(mock_factory):
    mock_factory.pin_class = DebouncingPin
    with StaffButtons(**PINS, bounce_time=0.05, hold_cancel=None, pin_factory=mock_factory) as buttons:
        events = Events(buttons)
        pin = buttons.start_button.pin
        time.sleep(0.06)
        for _ in range(3):  # a bouncing contact: low, high, low within a few ms
            pin.drive_low()
            pin.drive_high()
        time.sleep(0.06)
        pin.drive_high()

    assert events.names == ["start"]


@pytest.fixture
def holding(mock_factory):
    with StaffButtons(**PINS, bounce_time=None, hold_cancel=0.1, pin_factory=mock_factory) as buttons:
        yield buttons


def test_short_press_of_start_starts_on_release(holding):
    events = Events(holding)
    pin = holding.start_button.pin

    pin.drive_low()
    assert events.names == []
    pin.drive_high()

    assert events.names == ["start"]
    holding.press("start", hold_s=0)
    assert events.names == ["start", "start"]


def test_held_start_cancels_and_does_not_start(holding):
    events = Events(holding)
    pin = holding.start_button.pin

    pin.drive_low()
    assert events.wait_for(1) == ["cancel"]
    pin.drive_high()
    time.sleep(0.05)

    assert events.names == ["cancel"]


def test_close_is_idempotent_and_releases_the_pins(mock_factory):
    buttons = StaffButtons(**PINS, pin_factory=mock_factory)
    buttons.close()
    buttons.close()
    with StaffButtons(**PINS, pin_factory=mock_factory):  # the pins are free again
        pass


def test_press_names_a_button(buttons):
    with pytest.raises(ValueError, match="start, mode, cancel"):
        buttons.press("begin")


def test_a_pin_in_use_is_a_named_device_fault(mock_factory):
    """gpiozero's GPIOPinInUse (here: another holder of GPIO 6) becomes DeviceNotFound, and the
    pins already taken are given back."""
    with Button(6, pin_factory=mock_factory):
        with pytest.raises(DeviceNotFound, match="mode button on GPIO 6: GPIOPinInUse") as raised:
            StaffButtons(**PINS, pin_factory=mock_factory)
        assert raised.value.device == "buttons"
    with StaffButtons(**PINS, pin_factory=mock_factory):  # GPIO 5 was released
        pass


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_no_gpio_is_a_named_device_fault_with_kind_real():
    hardware = HardwareConfig(
        kind="real",
        camera={"driver": "file"},
        scanner={"driver": "file"},
        display={"driver": "dummy"},
        printer={"driver": "virtual"},
    )
    with pytest.raises(
        DeviceNotFound, match=r"no buttons: gpio: start button on GPIO 5: BadPinFactory"
    ) as raised:
        make_hardware(hardware)
    assert raised.value.device == "buttons"


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_lgpio_gets_a_writable_directory_when_the_working_one_is_not(tmp_path, monkeypatch):
    """lgpio makes its notification pipe in the working directory; under systemd that is "/", read-only
    (gpiozero #1106). /proc stands in for it here: not even root can create a file there."""
    monkeypatch.setenv("LG_WD", "unset by the test")
    monkeypatch.delenv("LG_WD")
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path))
    monkeypatch.chdir("/proc")
    hardware = HardwareConfig(
        kind="auto",
        camera={"driver": "file"},
        scanner={"driver": "file"},
        display={"driver": "dummy"},
        printer={"driver": "virtual"},
    )
    make_hardware(hardware).close()  # gpio buttons tried (and, on a PC, fallen back from)

    assert os.environ["LG_WD"] == str(tmp_path)


def test_lgpio_working_directory_is_left_alone_where_writable(tmp_path, monkeypatch):
    monkeypatch.setenv("LG_WD", "unset by the test")
    monkeypatch.delenv("LG_WD")
    monkeypatch.chdir(tmp_path)
    prepare_lgpio()
    assert "LG_WD" not in os.environ


def test_lgpio_falls_back_to_a_private_directory(monkeypatch):
    monkeypatch.setenv("LG_WD", "unset by the test")
    monkeypatch.delenv("LG_WD")
    monkeypatch.delenv("RUNTIME_DIRECTORY", raising=False)
    monkeypatch.chdir("/proc")
    prepare_lgpio()
    chosen = Path(os.environ["LG_WD"])
    if chosen != Path("/run/madoguchi"):
        assert chosen.name.startswith("madoguchi-lgpio-") and (chosen.stat().st_mode & 0o777) == 0o700
        chosen.rmdir()


# --- libgpiod (Jetson) ------------------------------------------------------------------------------

GPIO_SIM = Path("/sys/kernel/config/gpio-sim")


def test_gpiod_buttons_on_a_missing_chip_are_a_named_device_fault():
    pytest.importorskip("gpiod")
    with pytest.raises(DeviceNotFound, match="/dev/gpiochip999") as raised:
        GpiodButtons(chip="/dev/gpiochip999", start=1, mode=2, cancel=3)
    assert raised.value.device == "buttons"


def test_gpiod_lines_must_be_given():
    with pytest.raises(ValidationError, match=r"buttons\.gpiod\.start\n  Field required"):
        HardwareConfig.model_validate({"buttons": {"driver": "gpiod", "mode": 2, "cancel": 3}})


@pytest.fixture
def simulated_chip():
    """A gpio-sim chip of 8 lines (the kernel's GPIO simulator, set up through configfs), and a hand
    that presses a line by pulling it down as a button to ground does."""
    pytest.importorskip("gpiod")
    if not GPIO_SIM.is_dir() or os.geteuid() != 0:
        pytest.skip("gpio-sim is not available (needs configfs, the gpio-sim module and root)")
    chip = GPIO_SIM / f"madoguchi-{os.getpid()}"
    bank = chip / "gpio-bank0"
    bank.mkdir(parents=True)
    (bank / "num_lines").write_text("8")
    (chip / "live").write_text("1")
    try:
        name = (bank / "chip_name").read_text().strip()
        lines = Path("/sys/devices/platform") / (chip / "dev_name").read_text().strip() / name

        def press(offset: int, *, down: bool) -> None:
            (lines / f"sim_gpio{offset}" / "pull").write_text("pull-down" if down else "pull-up")

        for offset in range(8):  # every button up (gpio-sim's lines start pulled down)
            press(offset, down=False)
        yield f"/dev/{name}", press
    finally:
        (chip / "live").write_text("0")
        bank.rmdir()
        chip.rmdir()


def test_gpiod_buttons_on_the_kernels_gpio_simulator(simulated_chip):
    chip, press = simulated_chip
    with GpiodButtons(chip=chip, start=1, mode=2, cancel=3, bounce_time=None, hold_cancel=None) as buttons:
        events = Events(buttons)
        for offset in (1, 2, 3, 1):
            press(offset, down=True)
            press(offset, down=False)
        assert events.wait_for(4) == ["start", "mode", "cancel", "start"]


def test_gpiod_held_start_cancels(simulated_chip):
    chip, press = simulated_chip
    with GpiodButtons(chip=chip, start=1, mode=2, cancel=3, bounce_time=None, hold_cancel=0.1) as buttons:
        events = Events(buttons)
        press(1, down=True)
        assert events.wait_for(1) == ["cancel"]
        press(1, down=False)
        press(1, down=True)
        press(1, down=False)
        assert events.wait_for(2) == ["cancel", "start"]
