"""The devices one daemon drives, chosen once at start by :func:`make_hardware`.

Like gpiozero's choice of pin factory, each device's real drivers are tried in a fixed order, each
fallback is logged with its reason, and the simulated double comes last:

    camera   picamera2, OpenCV (V4L2/GStreamer)  ->  FileCamera
    scanner  SANE (not its test backend)         ->  SimulatedScanner (through SANE test:0 if listed)
    display  ST7789 on SPI                       ->  luma dummy
    printer  escpos Usb or File                  ->  escpos Dummy (VirtualPrinter)
    buttons  gpiozero's default pin factory      ->  gpiozero MockFactory
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from madoguchi.errors import ConfigError, DeviceNotFound, HardwareError
from madoguchi.hardware.base import Buttons, Camera, Display, Hardware, Printer, Scanner
from madoguchi.hardware.settings import HardwareSettings

log = logging.getLogger(__name__)

__all__ = [
    "Buttons",
    "Camera",
    "Display",
    "Hardware",
    "HardwareSettings",
    "Printer",
    "Scanner",
    "make_hardware",
]

Build = Callable[[HardwareSettings], tuple[Any, str]]
"""Opens a device and returns it with its origin, e.g. "sane:epson2:libusb:001:004"."""
Candidate = tuple[str, Build]
"""A driver's name in log messages, and its Build."""


def make_hardware(
    settings: HardwareSettings | None = None, *, opened: dict[str, tuple[Any, str]] | None = None
) -> Hardware:
    """Open every device as ``settings.kind`` says; ``Hardware.origin`` records which driver each uses.

    ``opened`` holds devices the caller has open already, by name, with their origin: they are used
    as they are (and left open if another device is missing). Raises DeviceNotFound (kind "real")
    naming the device and every driver tried and why it failed.
    """
    settings = settings or HardwareSettings()
    if settings.kind not in ("auto", "real", "simulated"):
        raise ConfigError(f"hardware.kind must be auto, real or simulated, not {settings.kind!r}")
    opened = opened or {}
    devices: dict[str, Any] = {}
    origin: dict[str, str] = {}
    try:
        for name, candidates, simulated in _CHOICES:
            chosen = opened.get(name) or _choose(name, settings, candidates(settings), simulated)
            devices[name], origin[name] = chosen
    except BaseException:
        for name, device in devices.items():
            if name not in opened:
                device.close()
        raise
    return Hardware(**devices, origin=origin)


def make_display(settings: HardwareSettings) -> tuple[Display, str]:
    """The display alone, and its origin, as ``settings.kind`` says: to name a missing device on it."""
    return _choose("display", settings, _displays(settings), _simulated_display)


def _choose(
    name: str,
    settings: HardwareSettings,
    candidates: list[Candidate],
    simulated: Build,
) -> tuple[Any, str]:
    if settings.kind != "simulated":
        reasons = []
        for label, build in candidates:
            try:
                return build(settings)
            except HardwareError as e:
                reasons.append(f"{label}: {e}")
                if settings.kind == "auto":
                    log.warning("%s: falling back from %s: %s", name, label, e)
        if settings.kind == "real":
            raise DeviceNotFound(f"no {name}: " + "; ".join(reasons), device=name)
    device, where = simulated(settings)
    log.info("%s: using %s", name, where)
    return device, where


def _cameras(s: HardwareSettings) -> list[Candidate]:
    from madoguchi.hardware.camera import OpenCVCamera, PiCamera

    size = (s.camera_width, s.camera_height)

    def picamera2(s: HardwareSettings) -> tuple[PiCamera, str]:
        camera = PiCamera(number=s.camera_number, size=size, timeout=s.camera_timeout_s)
        return camera, f"picamera2:{s.camera_number}"

    def opencv(s: HardwareSettings) -> tuple[OpenCVCamera, str]:
        return OpenCVCamera(source=s.camera_source, size=size), f"opencv:{s.camera_source}"

    candidates: list[Candidate] = [("picamera2", picamera2), ("opencv", opencv)]
    return [c for c in candidates if s.camera_driver in ("auto", c[0])]


def _simulated_camera(s: HardwareSettings) -> tuple[Any, str]:
    from madoguchi.hardware.camera import FileCamera

    return FileCamera(size=(s.camera_width, s.camera_height)), "simulated:FileCamera"


def _scanners(s: HardwareSettings) -> list[Candidate]:
    from madoguchi.hardware.scanner import SaneScanner, sane_devices

    def build(s: HardwareSettings) -> tuple[SaneScanner, str]:
        device = s.scanner_device
        if not device:
            real = [name for name in sane_devices() if not name.startswith("test:")]
            if not real:
                raise DeviceNotFound("SANE finds no scanner (its test backend does not count)")
            device = real[0]
        return SaneScanner(device=device, options=s.scanner_options), f"sane:{device}"

    return [("sane", build)]


def _simulated_scanner(s: HardwareSettings) -> tuple[Any, str]:
    from madoguchi.hardware.scanner import SaneScanner, SimulatedScanner, sane_devices

    try:
        if "test:0" in sane_devices():
            return SimulatedScanner(
                sane=SaneScanner(device="test:0")
            ), "simulated:SimulatedScanner(sane test:0)"
        reason = "SANE does not list test:0"
    except HardwareError as e:
        reason = str(e)
    log.info("scanner: simulating without SANE: %s", reason)
    return SimulatedScanner(), "simulated:SimulatedScanner"


def _displays(s: HardwareSettings) -> list[Candidate]:
    from madoguchi.hardware.display import LcdDisplay

    where = f"st7789:spi{s.display_spi_port}.{s.display_spi_device}"

    def build(s: HardwareSettings) -> tuple[LcdDisplay, str]:
        display = LcdDisplay.st7789(
            port=s.display_spi_port,
            device=s.display_spi_device,
            speed_hz=s.display_spi_speed_hz,
            gpio_dc=s.display_gpio_dc,
            gpio_rst=s.display_gpio_rst,
            gpio_backlight=s.display_gpio_backlight,
            size=(s.display_width, s.display_height),
            rotation=s.display_rotation,
        )
        return display, where

    return [(where, build)]


def _simulated_display(s: HardwareSettings) -> tuple[Any, str]:
    from madoguchi.hardware.display import LcdDisplay

    display = LcdDisplay.dummy(size=(s.display_width, s.display_height), rotation=s.display_rotation)
    return display, "simulated:luma dummy"


def _printers(s: HardwareSettings) -> list[Candidate]:
    from madoguchi.hardware.printer import SlipPrinter

    if s.printer_driver == "file":
        where = f"file:{s.printer_file}"

        def build(s: HardwareSettings) -> tuple[SlipPrinter, str]:
            printer = SlipPrinter.file(s.printer_file, profile=s.printer_profile, width_px=s.printer_width_px)
            return printer, where

    else:
        where = f"usb:{s.printer_usb_vendor:04x}:{s.printer_usb_product:04x}"

        def build(s: HardwareSettings) -> tuple[SlipPrinter, str]:
            printer = SlipPrinter.usb(
                vendor=s.printer_usb_vendor,
                product=s.printer_usb_product,
                profile=s.printer_profile,
                width_px=s.printer_width_px,
            )
            return printer, where

    return [(where, build)]


def _simulated_printer(s: HardwareSettings) -> tuple[Any, str]:
    from madoguchi.hardware.printer import SlipPrinter, VirtualPrinter

    printer = SlipPrinter(VirtualPrinter(profile=s.printer_profile), width_px=s.printer_width_px)
    return printer, "simulated:VirtualPrinter"


def _button_kwargs(s: HardwareSettings) -> dict[str, Any]:
    return {
        "start": s.buttons_start,
        "mode": s.buttons_mode,
        "cancel": s.buttons_cancel,
        "bounce_time": s.buttons_bounce_s or None,
        "hold_cancel": s.buttons_hold_cancel_s,
    }


def _buttons(s: HardwareSettings) -> list[Candidate]:
    from gpiozero.exc import BadPinFactory

    from madoguchi.hardware.buttons import StaffButtons

    def build(s: HardwareSettings) -> tuple[StaffButtons, str]:
        try:
            buttons = StaffButtons(**_button_kwargs(s))  # gpiozero picks its factory, warning per fallback
        except BadPinFactory as e:
            raise DeviceNotFound(str(e)) from e
        return buttons, f"gpio:{type(buttons.pin_factory).__name__}"

    return [("gpio", build)]


def _simulated_buttons(s: HardwareSettings) -> tuple[Any, str]:
    from gpiozero.pins.mock import MockFactory

    from madoguchi.hardware.buttons import StaffButtons

    return StaffButtons(**_button_kwargs(s), pin_factory=MockFactory()), "simulated:MockFactory"


_CHOICES = (
    ("camera", _cameras, _simulated_camera),
    ("scanner", _scanners, _simulated_scanner),
    ("display", _displays, _simulated_display),
    ("printer", _printers, _simulated_printer),
    ("buttons", _buttons, _simulated_buttons),
)
