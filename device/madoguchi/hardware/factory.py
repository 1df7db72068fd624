"""The devices one daemon drives, chosen once at start by :func:`make_hardware`.

Like gpiozero's choice of pin factory, each device's configured drivers are tried in a fixed order,
each fallback is logged with its reason, and the device's double comes last (see
:mod:`madoguchi.config.devices` for the drivers and their sections):

    camera   picamera2, OpenCV (V4L2/GStreamer)  ->  FileCamera
    scanner  SANE (not its test backend)         ->  SimulatedScanner (through SANE test:0 if listed)
    display  ST7789 on SPI                       ->  luma dummy
    printer  escpos Usb or File                  ->  escpos Dummy (VirtualPrinter)
    buttons  gpiozero's default pin factory      ->  gpiozero MockFactory
    keypad   evdev (only with [hardware.keypad]) ->  MockKeypadDevice
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from madoguchi.config.devices import DeviceSection
from madoguchi.config.hardware import HardwareConfig, Kind
from madoguchi.errors import DeviceNotFound, HardwareError
from madoguchi.hardware.base import DEVICES, Hardware, Opened, close_logged
from madoguchi.hardware.buttons import open_gpio_buttons, open_gpiod_buttons, open_mock_buttons
from madoguchi.hardware.camera import open_file_camera, open_opencv, open_picamera2
from madoguchi.hardware.display import open_dummy_display, open_st7789
from madoguchi.hardware.keypad import open_evdev_keypad, open_mock_keypad
from madoguchi.hardware.printer import open_file_printer, open_usb_printer, open_virtual_printer
from madoguchi.hardware.scanner import open_sane, open_simulated_scanner

log = logging.getLogger(__name__)

SIMULATED = "simulated:"
"""How a double's origin begins."""

Opener = Callable[[Any], Opened]

OPENERS: dict[str, dict[str, Opener]] = {
    "camera": {"picamera2": open_picamera2, "opencv": open_opencv},
    "scanner": {"sane": open_sane},
    "display": {"st7789": open_st7789},
    "printer": {"usb": open_usb_printer, "file": open_file_printer},
    "buttons": {"gpio": open_gpio_buttons, "gpiod": open_gpiod_buttons},
    "keypad": {"evdev": open_evdev_keypad},
}
"""Each device's real drivers by the name its section lists them under (``DeviceSection.drivers``)."""
DOUBLES: dict[str, Opener] = {
    "camera": open_file_camera,
    "scanner": open_simulated_scanner,
    "display": open_dummy_display,
    "printer": open_virtual_printer,
    "buttons": open_mock_buttons,
    "keypad": open_mock_keypad,
}
"""Each device's double, built from the same section."""


def make_hardware(hardware: HardwareConfig, *, opened: dict[str, Opened] | None = None) -> Hardware:
    """Open every device as ``hardware.kind`` says; ``Hardware.origin`` records which driver each uses.

    ``opened`` holds devices the caller has open already, by name, with their origin: they are used
    as they are (and left open if another device is missing). Raises DeviceNotFound naming a missing
    device and every driver tried and why it failed: with kind "real", and with kind "auto" on a box
    where some real device was found, so a double never stands in quietly for a counter's device.
    Kind "auto" where no real device is found at all (a PC) gives every device's double, and says so.
    The keypad, optional, is left out (None) where it is missing, with the reason logged.
    """
    opened = opened or {}
    trying = "real" if hardware.kind == "auto" else hardware.kind
    devices: dict[str, Any] = {}
    origin: dict[str, str] = {}
    missing: dict[str, DeviceNotFound] = {}
    for name in (*DEVICES, "keypad"):
        section = getattr(hardware, name)
        if section is None:
            continue
        try:
            devices[name], origin[name] = opened.get(name) or open_device(name, trying, section)
        except DeviceNotFound as error:
            missing[name] = error
        except BaseException:
            _close(devices, origin, opened)
            raise
    keypad = missing.pop("keypad", None)
    if keypad is not None:
        log.error("keypad: not found, staff key codes in with the buttons: %s", keypad)
    if not missing:
        return Hardware(**devices, origin=origin)
    _close(devices, origin, opened)
    real = [name for name, where in origin.items() if not where.startswith(SIMULATED)]
    if hardware.kind == "auto" and not real:
        reasons = "; ".join(str(error) for error in missing.values())
        log.warning("no real device found (%s): every device is simulated, as on a PC", reasons)
        return make_hardware(hardware.model_copy(update={"kind": "simulated"}), opened=opened)
    raise next(iter(missing.values()))


def _close(devices: dict[str, Any], origin: dict[str, str], opened: dict[str, Opened]) -> None:
    """Close the devices opened here (not those the caller handed in)."""
    for name, device in devices.items():
        if name not in opened:
            close_logged(name, device, origin[name])


def make_display(hardware: HardwareConfig) -> Opened:
    """The display alone, and its origin, as ``hardware.kind`` says: to name a missing device on it."""
    return open_device("display", hardware.kind, hardware.display)


def make_printer(hardware: HardwareConfig) -> Opened:
    """The printer alone, and its origin: to print the audit record's setup slip at install."""
    return open_device("printer", hardware.kind, hardware.printer)


def open_device(name: str, kind: Kind, section: DeviceSection) -> Opened:
    """Device ``name`` from its section: each real driver in turn, else (unless ``kind`` is "real")
    its double; a section that names the double (``driver = "file"``...) gets it whatever the kind."""
    if kind != "simulated" and not section.double:
        reasons = []
        for driver in section.drivers:
            try:
                return OPENERS[name][driver](section)
            except HardwareError as e:
                reasons.append(f"{driver}: {e}")
                if kind == "auto":
                    log.warning("%s: falling back from %s: %s", name, driver, e)
        if kind == "real":
            raise DeviceNotFound(f"no {name}: " + "; ".join(reasons), device=name)
    device, where = DOUBLES[name](section)
    log.info("%s: using %s", name, where)
    return device, where
