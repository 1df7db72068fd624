"""Each device's ``[hardware.<device>]`` table: plain settings, told apart by their ``driver`` key.

    camera   auto (picamera2, then OpenCV) | picamera2 | opencv | file (FileCamera)
    scanner  sane | file (SimulatedScanner)
    display  st7789 | dummy (luma dummy)
    printer  usb | file (a device node such as /dev/usb/lp0) | virtual (escpos Dummy)
    buttons  gpio | gpiod | mock (gpiozero MockFactory)
    keypad   evdev | mock (MockKeypadDevice); optional: no table, no keypad

The last driver of each is the device's double. These classes only describe a device: which
drivers to try (``drivers``) and with what; opening it is :mod:`madoguchi.hardware.factory`'s,
so reading a config loads no camera, GPIO, LCD or printer library.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator

from madoguchi.section import AbsolutePath, Section, by_driver

Pin = Annotated[int, Field(ge=0, le=27)]
"""A BCM GPIO number on the 40-pin header (GPIO0-GPIO27)."""

SPI_PINS: dict[int, dict[int, str]] = {
    0: {7: "CE1", 8: "CE0", 9: "MISO", 10: "MOSI", 11: "SCLK"},
    1: {16: "CE2", 17: "CE1", 18: "CE0", 19: "MISO", 20: "MOSI", 21: "SCLK"},
}
"""The header pins each SPI bus takes when it is enabled (BCM numbers and their role)."""

SPI_SPEEDS_HZ = tuple(
    round(mhz * 1_000_000) for mhz in (0.5, 1, 2, 4, 8, 16, 20, 24, 28, 32, 36, 40, 44, 48, 50, 52)
)
"""The SPI clocks luma's spi interface accepts (it asserts on any other)."""

PANEL = (240, 320)
"""An ST7789's frame memory, upright: 240 pixels across, 320 down, at most."""


def as_mounted(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The size of a frame of ``size`` once turned by ``rotation`` quarter turns onto the panel."""
    return size if rotation % 2 == 0 else (size[1], size[0])


@functools.cache
def printer_profiles() -> frozenset[str]:
    """The printer profiles python-escpos knows, read from its ``capabilities.json`` without importing
    escpos (whose import starts work a config check does not need). Empty if escpos is absent."""
    configured = os.environ.get("ESCPOS_CAPABILITIES_FILE")
    spec = importlib.util.find_spec("escpos")
    if configured:
        path = Path(configured)
    elif spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "capabilities.json"
    else:
        return frozenset()
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8"))["profiles"])
    except (OSError, ValueError, KeyError, TypeError):
        return frozenset()


class DeviceSection(Section):
    """One device's table: its ``driver`` and how to reach it. A device's common keys (sizes, pins)
    live in a base class, since the double is built from them too."""

    double: ClassVar[bool] = False
    """Whether this driver is the device's double, used whatever ``hardware.kind`` says."""
    drivers: ClassVar[tuple[str, ...]] = ()
    """The real drivers to try, in order (names of :data:`madoguchi.hardware.factory.OPENERS`)."""


# --- [hardware.camera] ------------------------------------------------------------------------------


class CameraSection(DeviceSection):
    """Keys every camera driver has; the simulator's FileCamera uses them too."""

    width: int = Field(
        default=1280, title="Frame width", description="Pixels per frame row.", ge=320, le=4096
    )
    height: int = Field(
        default=960, title="Frame height", description="Pixel rows per frame.", ge=240, le=3072
    )


class PiCameraKeys(CameraSection):
    number: int = Field(
        default=0, title="CSI camera", description="picamera2's camera number (0 is the first).", ge=0, le=7
    )
    timeout_s: float = Field(
        default=2.0,
        title="Frame timeout",
        description="Seconds read() waits for a frame before the camera counts as gone.",
        gt=0,
        le=30,
    )


class OpenCVKeys(CameraSection):
    source: str = Field(
        default="0",
        title="OpenCV source",
        description='A V4L2 index ("0"), a device path ("/dev/video0"), or a GStreamer pipeline (any '
        'string with "!", ending in appsink; it then sets the resolution itself).',
        min_length=1,
        max_length=2000,
    )


class AutoCameraConfig(PiCameraKeys, OpenCVKeys):
    """driver = "auto": a CSI camera through picamera2, else ``source`` through OpenCV (the default)."""

    driver: Literal["auto"] = Field(
        default="auto",
        title="Driver",
        description="A CSI camera through picamera2, else ``source`` through OpenCV (the default).",
    )
    drivers: ClassVar[tuple[str, ...]] = ("picamera2", "opencv")


class PiCameraConfig(PiCameraKeys):
    """driver = "picamera2": a Raspberry Pi CSI camera only."""

    driver: Literal["picamera2"] = Field(
        default="picamera2", title="Driver", description="A Raspberry Pi CSI camera only."
    )
    drivers: ClassVar[tuple[str, ...]] = ("picamera2",)


class OpenCVCameraConfig(OpenCVKeys):
    """driver = "opencv": a USB/V4L2 camera or a GStreamer pipeline (Jetson, PC)."""

    driver: Literal["opencv"] = Field(
        default="opencv",
        title="Driver",
        description="A USB/V4L2 camera or a GStreamer pipeline (Jetson, PC).",
    )
    drivers: ClassVar[tuple[str, ...]] = ("opencv",)


class FileCameraConfig(CameraSection):
    """driver = "file": the simulator's FileCamera, whatever ``hardware.kind`` says."""

    driver: Literal["file"] = Field(
        default="file",
        title="Driver",
        description="The simulator's FileCamera, whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


CameraConfig = by_driver(AutoCameraConfig | PiCameraConfig | OpenCVCameraConfig | FileCameraConfig, "auto")


# --- [hardware.scanner] -----------------------------------------------------------------------------


class ScannerSection(DeviceSection):
    """The scanner; its double is SimulatedScanner, run through SANE's ``test:0`` where SANE lists it."""


SaneOption = Annotated[str, Field(max_length=200)] | int | float | bool


class SaneScannerConfig(ScannerSection):
    """driver = "sane": a scanner through SANE (the default)."""

    driver: Literal["sane"] = Field(
        default="sane", title="Driver", description="A scanner through SANE (the default)."
    )
    drivers: ClassVar[tuple[str, ...]] = ("sane",)
    device: str = Field(
        default="",
        title="SANE device",
        description='A SANE device name, e.g. "epson2:libusb:001:004" (see `scanimage -L`); "" takes the '
        "first device found that is not SANE's own test backend.",
        max_length=200,
        pattern=r"^[^\x00-\x1f]*$",
    )
    options: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")], SaneOption] = Field(
        default_factory=dict,
        title="SANE options",
        description='Extra SANE options set once when the scanner opens, e.g. {source = "Flatbed"}.',
        max_length=64,
    )


class FileScannerConfig(ScannerSection):
    """driver = "file": the simulator's scanner, whatever ``hardware.kind`` says."""

    driver: Literal["file"] = Field(
        default="file",
        title="Driver",
        description="The simulator's scanner, whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


ScannerConfig = by_driver(SaneScannerConfig | FileScannerConfig, "sane")


# --- [hardware.display] -----------------------------------------------------------------------------


class DisplaySection(DeviceSection):
    """Keys every display driver has; luma's dummy, the double, uses them too."""

    width: int = Field(
        default=240, title="Width", description="Pixels across the screens are drawn.", ge=128, le=1024
    )
    height: int = Field(
        default=320, title="Height", description="Pixels down; 240 x 320 is portrait.", ge=128, le=1024
    )
    rotation: int = Field(
        default=0,
        title="Rotation",
        description="Quarter turns clockwise, for a panel mounted the other way round.",
        ge=0,
        le=3,
    )


class St7789Config(DisplaySection):
    """driver = "st7789": a 2" ST7789 LCD on SPI, with DC, reset and backlight on GPIO pins."""

    driver: Literal["st7789"] = Field(
        default="st7789",
        title="Driver",
        description='A 2" ST7789 LCD on SPI, with DC, reset and backlight on GPIO pins.',
    )
    drivers: ClassVar[tuple[str, ...]] = ("st7789",)
    spi_port: int = Field(default=0, title="SPI bus", description="/dev/spidev<bus>.<device>.", ge=0, le=6)
    spi_device: int = Field(default=0, title="SPI chip select", description="The CE line.", ge=0, le=3)
    spi_speed_hz: int = Field(
        default=32_000_000,
        title="SPI clock",
        description="One of the clocks luma accepts (0.5-52 MHz); 32 MHz sends a 240x320 frame in about "
        "60 ms.",
    )
    gpio_dc: Pin = Field(default=25, title="DC pin", description="BCM GPIO of the data/command line.")
    gpio_rst: Pin = Field(default=27, title="Reset pin", description="BCM GPIO of the reset line.")
    gpio_backlight: Pin = Field(default=18, title="Backlight pin", description="BCM GPIO of the backlight.")

    @field_validator("spi_speed_hz")
    @classmethod
    def _luma_speed(cls, speed: int) -> int:
        if speed not in SPI_SPEEDS_HZ:
            mhz = ", ".join(f"{hz / 1e6:g}" for hz in SPI_SPEEDS_HZ)
            raise ValueError(f"must be one of {mhz} MHz (in Hz), not {speed}")
        return speed


class DummyDisplayConfig(DisplaySection):
    """driver = "dummy": luma's dummy device (keeps the last frame), whatever ``hardware.kind`` says."""

    driver: Literal["dummy"] = Field(
        default="dummy",
        title="Driver",
        description="luma's dummy device (keeps the last frame), whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


DisplayConfig = by_driver(St7789Config | DummyDisplayConfig, "st7789")


# --- [hardware.printer] -----------------------------------------------------------------------------


class PrinterSection(DeviceSection):
    """Keys every printer driver has; the VirtualPrinter, the double, uses them too."""

    profile: str = Field(
        default="TM-T20II",
        title="Printer profile",
        description="A python-escpos printer profile; it sets the cut and the code pages.",
        max_length=64,
    )
    width_px: int = Field(
        default=576,
        title="Printable width",
        description="In dots, a multiple of 8: 576 for 80 mm paper, 384 for 58 mm.",
        ge=192,
        le=1024,
    )

    @field_validator("width_px")
    @classmethod
    def _whole_bytes(cls, width: int) -> int:
        if width % 8:
            raise ValueError(f"must be a multiple of 8 (one byte per 8 dots), not {width}")
        return width

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, profile: str) -> str:
        known = printer_profiles()
        if known and profile not in known:
            raise ValueError(f"python-escpos has no printer profile {profile!r}")
        return profile


class UsbPrinterConfig(PrinterSection):
    """driver = "usb": python-escpos over pyusb (the default)."""

    driver: Literal["usb"] = Field(
        default="usb", title="Driver", description="python-escpos over pyusb (the default)."
    )
    drivers: ClassVar[tuple[str, ...]] = ("usb",)
    usb_vendor: int = Field(
        default=0x04B8, title="USB vendor id", description="From `lsusb`; Epson is 0x04B8.", ge=1, le=0xFFFF
    )
    usb_product: int = Field(
        default=0x0E15,
        title="USB product id",
        description="From `lsusb`; the TM-T20II is 0x0E15.",
        ge=1,
        le=0xFFFF,
    )


class FilePrinterConfig(PrinterSection):
    """driver = "file": a device node such as the kernel usblp driver's /dev/usb/lp0."""

    driver: Literal["file"] = Field(
        default="file",
        title="Driver",
        description="A device node such as the kernel usblp driver's /dev/usb/lp0.",
    )
    drivers: ClassVar[tuple[str, ...]] = ("file",)
    file: AbsolutePath = Field(
        default=Path("/dev/usb/lp0"), title="Device node", description="Written to as raw ESC/POS bytes."
    )


class VirtualPrinterConfig(PrinterSection):
    """driver = "virtual": escpos's Dummy (VirtualPrinter), whatever ``hardware.kind`` says."""

    driver: Literal["virtual"] = Field(
        default="virtual",
        title="Driver",
        description="escpos's Dummy (VirtualPrinter), whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


PrinterConfig = by_driver(UsbPrinterConfig | FilePrinterConfig | VirtualPrinterConfig, "usb")


# --- [hardware.buttons] -----------------------------------------------------------------------------


class ButtonsSection(DeviceSection):
    """Keys every buttons driver has; the double (gpiozero's mock pins) uses them too."""

    start: Pin = Field(
        default=5, title="START pin", description="BCM GPIO; each button connects its pin to ground."
    )
    mode: Pin = Field(default=6, title="MODE pin", description="BCM GPIO of the MODE button.")
    cancel: Pin = Field(default=13, title="CANCEL pin", description="BCM GPIO of the CANCEL button.")
    bounce_s: float = Field(
        default=0.05,
        title="Debounce",
        description="Seconds of contact bounce ignored after each edge; 0 for none.",
        ge=0,
        le=1,
    )
    hold_cancel_s: float = Field(
        default=2.0,
        title="Hold to cancel",
        description="Holding START this long cancels, and START then acts on release; 0: START acts on "
        "press and cannot cancel.",
        ge=0,
        le=10,
    )


class GpioButtonsConfig(ButtonsSection):
    """driver = "gpio": gpiozero's default pin factory (lgpio on a Pi 5; the default)."""

    driver: Literal["gpio"] = Field(
        default="gpio",
        title="Driver",
        description="gpiozero's default pin factory (lgpio on a Pi 5; the default).",
    )
    drivers: ClassVar[tuple[str, ...]] = ("gpio",)


class MockButtonsConfig(ButtonsSection):
    """driver = "mock": gpiozero's mock pins, whatever ``hardware.kind`` says."""

    driver: Literal["mock"] = Field(
        default="mock", title="Driver", description="gpiozero's mock pins, whatever ``hardware.kind`` says."
    )
    double: ClassVar[bool] = True


class GpiodButtonsConfig(ButtonsSection):
    """driver = "gpiod": lines of a GPIO chip through libgpiod (Jetson); the double keeps BCM 5, 6, 13."""

    driver: Literal["gpiod"] = Field(
        default="gpiod", title="Driver", description="Lines of a GPIO chip through libgpiod (Jetson)."
    )
    drivers: ClassVar[tuple[str, ...]] = ("gpiod",)
    chip: str = Field(
        default="/dev/gpiochip0",
        title="GPIO chip",
        description="The chip's device node (`gpiodetect` lists them).",
        pattern=r"^/dev/gpiochip[0-9]{1,3}$",
    )
    start: int = Field(title="START line", description="Line offset on the chip (`gpioinfo`).", ge=0, le=1023)
    mode: int = Field(title="MODE line", description="Line offset on the chip (`gpioinfo`).", ge=0, le=1023)
    cancel: int = Field(
        title="CANCEL line", description="Line offset on the chip (`gpioinfo`).", ge=0, le=1023
    )


ButtonsConfig = by_driver(GpioButtonsConfig | MockButtonsConfig | GpiodButtonsConfig, "gpio")


# --- [hardware.keypad] -------------------------------------------------------------------------------


class KeypadSection(DeviceSection):
    """An optional device: without a ``[hardware.keypad]`` table there is no keypad."""

    name: str | None = Field(
        default=None,
        title="Keypad name",
        description="Part of the keypad's input device name (`cat /proc/bus/input/devices`); none: the "
        "first input device with a numeric keypad's keys and no letter keys.",
        min_length=1,
        max_length=128,
    )


class EvdevKeypadConfig(KeypadSection):
    """driver = "evdev": a USB numeric keypad through the kernel's input layer."""

    driver: Literal["evdev"] = Field(
        default="evdev", title="Driver", description="A USB numeric keypad through evdev (/dev/input)."
    )
    drivers: ClassVar[tuple[str, ...]] = ("evdev",)


class MockKeypadConfig(KeypadSection):
    """driver = "mock": the simulated keypad, whatever ``hardware.kind`` says."""

    driver: Literal["mock"] = Field(
        default="mock", title="Driver", description="The simulated keypad, whatever hardware.kind says."
    )
    double: ClassVar[bool] = True


KeypadConfig = by_driver(EvdevKeypadConfig | MockKeypadConfig, "evdev")
"""``[hardware.keypad]``; absent (None) means no keypad."""
