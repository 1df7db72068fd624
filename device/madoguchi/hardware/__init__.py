"""The devices one daemon drives, chosen once at start by :func:`make_hardware`.

Like gpiozero's choice of pin factory, each device's configured drivers are tried in a fixed order,
each fallback is logged with its reason, and the device's double comes last (see
:mod:`madoguchi.hardware.config` for the drivers and their sections):

    camera   picamera2, OpenCV (V4L2/GStreamer)  ->  FileCamera
    scanner  SANE (not its test backend)         ->  SimulatedScanner (through SANE test:0 if listed)
    display  ST7789 on SPI                       ->  luma dummy
    printer  escpos Usb or File                  ->  escpos Dummy (VirtualPrinter)
    buttons  gpiozero's default pin factory      ->  gpiozero MockFactory
"""

from __future__ import annotations

import logging
from typing import Any

from madoguchi.errors import DeviceNotFound, HardwareError
from madoguchi.hardware.base import (
    DEVICES,
    Buttons,
    Camera,
    DeviceSection,
    Display,
    Hardware,
    Opened,
    Printer,
    Scanner,
    close_logged,
)
from madoguchi.hardware.config import HardwareConfig, Kind

log = logging.getLogger(__name__)

__all__ = [
    "Buttons",
    "Camera",
    "Display",
    "Hardware",
    "HardwareConfig",
    "Printer",
    "Scanner",
    "make_display",
    "make_hardware",
    "make_printer",
]


def make_hardware(hardware: HardwareConfig, *, opened: dict[str, Opened] | None = None) -> Hardware:
    """Open every device as ``hardware.kind`` says; ``Hardware.origin`` records which driver each uses.

    ``opened`` holds devices the caller has open already, by name, with their origin: they are used
    as they are (and left open if another device is missing). Raises DeviceNotFound (kind "real")
    naming the device and every driver tried and why it failed.
    """
    opened = opened or {}
    devices: dict[str, Any] = {}
    origin: dict[str, str] = {}
    try:
        for name in DEVICES:
            devices[name], origin[name] = opened.get(name) or _choose(
                name, hardware.kind, getattr(hardware, name)
            )
    except BaseException:
        for name, device in devices.items():
            if name not in opened:
                close_logged(name, device, origin[name])
        raise
    return Hardware(**devices, origin=origin)


def make_display(hardware: HardwareConfig) -> Opened:
    """The display alone, and its origin, as ``hardware.kind`` says: to name a missing device on it."""
    return _choose("display", hardware.kind, hardware.display)


def make_printer(hardware: HardwareConfig) -> Opened:
    """The printer alone, and its origin: to print the audit record's setup slip at install."""
    return _choose("printer", hardware.kind, hardware.printer)


def _choose(name: str, kind: Kind, section: DeviceSection) -> Opened:
    if kind != "simulated" and not section.double:
        reasons = []
        for label, build in section.drivers():
            try:
                return build()
            except HardwareError as e:
                reasons.append(f"{label}: {e}")
                if kind == "auto":
                    log.warning("%s: falling back from %s: %s", name, label, e)
        if kind == "real":
            raise DeviceNotFound(f"no {name}: " + "; ".join(reasons), device=name)
    device, where = section.open_double()
    log.info("%s: using %s", name, where)
    return device, where
