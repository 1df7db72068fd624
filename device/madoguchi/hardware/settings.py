"""Device settings: one flat, frozen record with a default for every field.

Field names are ``<section>_<key>``, matching ``[hardware.<section>] <key> = ...`` in config.toml, so
:meth:`HardwareSettings.from_sections` can build one from the config's sub-tables. The defaults fit the
reference build: a Raspberry Pi 5, a 2" ST7789 240x320 on SPI0, an Epson TM-T20II on USB.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from madoguchi.errors import ConfigError

Kind = Literal["auto", "real", "simulated"]


@dataclass(frozen=True)
class HardwareSettings:
    kind: Kind = "auto"
    """auto: real devices where found, else simulated, logging why; real: fail when one is missing;
    simulated: doubles only."""

    camera_driver: Literal["auto", "picamera2", "opencv"] = "auto"
    """Which real camera to try; auto tries picamera2, then OpenCV."""
    camera_number: int = 0
    """picamera2's camera number (0 is the first CSI camera)."""
    camera_source: str = "0"
    """OpenCV: a V4L2 index ("0"), a device path ("/dev/video0"), or a GStreamer pipeline (any string
    with "!", ending in appsink; it then sets the resolution itself)."""
    camera_width: int = 1280
    camera_height: int = 960
    camera_timeout_s: float = 2.0
    """How long read() waits for a frame before the camera counts as gone."""

    scanner_device: str = ""
    """SANE device name, e.g. "epson2:libusb:001:004" (see ``scanimage -L``); "" takes the first device
    found that is not SANE's own ``test`` backend."""
    scanner_options: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    """Extra SANE options set once when the scanner opens, e.g. {"source": "Flatbed"}."""

    display_spi_port: int = 0
    display_spi_device: int = 0
    display_spi_speed_hz: int = 32_000_000
    """One of the speeds luma accepts (0.5-52 MHz); 32 MHz sends a 240x320 frame in about 60 ms."""
    display_gpio_dc: int = 25
    display_gpio_rst: int = 27
    display_gpio_backlight: int = 18
    display_width: int = 240
    display_height: int = 320
    """The size screens are drawn at; 240x320 is portrait."""
    display_rotation: Literal[0, 1, 2, 3] = 0
    """Quarter turns clockwise, for a panel mounted the other way round."""

    printer_driver: Literal["usb", "file"] = "usb"
    """usb: python-escpos over pyusb; file: a device node such as the kernel's usblp /dev/usb/lp0."""
    printer_usb_vendor: int = 0x04B8
    """USB ids from ``lsusb``; the defaults are Epson's TM-T20II."""
    printer_usb_product: int = 0x0E15
    printer_file: str = "/dev/usb/lp0"
    printer_profile: str = "TM-T20II"
    """A python-escpos printer profile (``python-escpos`` lists them); sets the cut and paper width."""
    printer_width_px: int = 576
    """Printable width in dots: 576 for 80 mm paper, 384 for 58 mm."""

    buttons_start: int = 5
    """BCM GPIO numbers; each button connects its pin to ground (internal pull-ups are used)."""
    buttons_mode: int = 6
    buttons_cancel: int = 13
    buttons_bounce_s: float = 0.05
    buttons_hold_cancel_s: float | None = 2.0
    """Holding START this long cancels, and START then acts on release; None: START acts on press."""

    @classmethod
    def from_sections(cls, kind: Kind = "auto", **sections: Mapping[str, Any]) -> HardwareSettings:
        """Build from config sub-tables: ``from_sections("auto", camera={"source": "1"})``.

        Raises ConfigError naming any unknown section or key.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {"kind": kind}
        for section, table in sections.items():
            for key, value in table.items():
                name = f"{section}_{key}"
                if name == "kind" or name not in names:
                    raise ConfigError(f"hardware.{section}.{key}: unknown setting")
                values[name] = value
        return cls(**values)
