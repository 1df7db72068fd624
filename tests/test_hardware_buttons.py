"""StaffButtons on gpiozero's mock pins, driven from outside as gpiozero's own tests do."""

from __future__ import annotations

import threading
import time
from time import monotonic

import pytest
from gpiozero.pins.mock import MockPin

from madoguchi.hardware.buttons import StaffButtons

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


def press(buttons: StaffButtons, name: str) -> None:
    pin = getattr(buttons, f"{name}_button").pin
    pin.drive_low()
    pin.drive_high()


@pytest.fixture
def buttons(mock_factory):
    with StaffButtons(**PINS, bounce_time=0.05, hold_cancel=None, pin_factory=mock_factory) as buttons:
        yield buttons


def test_each_press_calls_its_callback_once(buttons):
    events = Events(buttons)

    press(buttons, "start")
    press(buttons, "mode")
    press(buttons, "cancel")
    press(buttons, "start")

    assert events.names == ["start", "mode", "cancel", "start"]


def test_buttons_use_pull_ups_and_the_bounce_time(buttons, mock_factory):
    for name, number in PINS.items():
        pin = getattr(buttons, f"{name}_button").pin
        assert pin is mock_factory.pin(number)
        assert pin.pull == "up"
        assert pin.bounce == pytest.approx(0.05)


def test_no_callback_set_is_fine(buttons):
    press(buttons, "start")  # nothing listens yet: nothing happens, nothing raises


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
