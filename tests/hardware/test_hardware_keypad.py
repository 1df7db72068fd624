"""The USB keypad: its reader thread driven through the double's device, as the kernel would drive
a real one; the real evdev path where no keypad exists; its optional config section."""

from __future__ import annotations

import logging
import queue

import pytest
from pydantic import ValidationError

from madoguchi.config.devices import EvdevKeypadConfig, MockKeypadConfig
from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import DeviceNotFound
from madoguchi.hardware.factory import make_hardware, open_device
from madoguchi.hardware.keypad import EV_KEY, Keypad, MockKeypadDevice


@pytest.fixture
def keypad():
    pad = Keypad(MockKeypadDevice())
    keys: queue.SimpleQueue[str] = queue.SimpleQueue()
    pad.when_key = keys.put
    pad.keys = keys  # type: ignore[attr-defined]
    yield pad
    pad.close()


def taken(pad: Keypad, count: int) -> list[str]:
    return [pad.keys.get(timeout=2.0) for _ in range(count)]  # type: ignore[attr-defined]


def test_digits_and_editing_keys_arrive_in_order(keypad):
    for key in ("8", "0", "0", "1", "backspace", "1", "enter", "escape"):
        keypad.device.press(key)
    assert taken(keypad, 8) == ["8", "0", "0", "1", "backspace", "1", "enter", "escape"]
    assert keypad.keys.empty()


def test_a_held_key_is_one_key_and_releases_and_other_keys_are_not_keys(keypad):
    keypad.device.press("7", repeats=5)
    keypad.device.send(EV_KEY, 69, 1)  # NUM LOCK
    keypad.device.send(EV_KEY, 30, 1)  # A: not on a keypad
    keypad.device.send(4, 4, 458849)  # EV_MSC scan code, sent before each key by USB keyboards
    keypad.device.press("3")
    assert taken(keypad, 2) == ["7", "3"]
    assert keypad.keys.empty()


def test_the_number_row_counts_as_digits(keypad):
    keypad.device.send(EV_KEY, 11, 1)  # KEY_0, as some keypads send
    keypad.device.send(EV_KEY, 2, 1)  # KEY_1
    assert taken(keypad, 2) == ["0", "1"]


def test_an_unplugged_keypad_stops_reading_and_says_so(keypad, caplog):
    with caplog.at_level(logging.ERROR, logger="madoguchi.hardware.keypad"):
        keypad.device.unplug()
        keypad._thread.join(timeout=2.0)
    assert not keypad.watching
    assert "no more keys" in caplog.text


def test_close_stops_the_thread_and_is_safe_twice():
    pad = Keypad(MockKeypadDevice())
    assert pad.watching
    pad.close()
    pad.close()
    assert not pad.watching


def test_the_double_refuses_a_key_it_does_not_have():
    device = MockKeypadDevice()
    with pytest.raises(ValueError, match="no 'a' key"):
        device.press("a")
    device.close()


def test_no_keypad_is_a_clear_device_not_found():
    with pytest.raises(DeviceNotFound, match="no keypad"):
        Keypad.open(name="madoguchi-test-no-such-keypad")


def test_the_keypad_section_is_optional_and_strict():
    assert HardwareConfig().keypad is None
    assert isinstance(HardwareConfig(keypad={}).keypad, EvdevKeypadConfig)
    section = HardwareConfig(keypad={"driver": "mock"}).keypad
    assert isinstance(section, MockKeypadConfig) and section.double
    pad, origin = open_device("keypad", "auto", section)
    try:
        assert isinstance(pad, Keypad) and origin.startswith("simulated:")
    finally:
        pad.close()
    with pytest.raises(ValidationError):
        HardwareConfig(keypad={"nmae": "USB Keypad"})


def test_the_keypad_is_one_of_the_devices_only_when_configured():
    without = make_hardware(HardwareConfig(kind="simulated"))
    try:
        assert without.keypad is None and "keypad" not in without.origin
    finally:
        without.close()
    hardware = make_hardware(HardwareConfig(kind="simulated", keypad={}))
    try:
        assert isinstance(hardware.keypad, Keypad) and hardware.origin["keypad"].startswith("simulated:")
    finally:
        hardware.close()
