"""The staff LCD: a luma device that receives frames already rendered by screens.py.

luma is imported only when a display is made: luma.core.device starts a thread pool on import,
which loading the config should not.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from PIL import Image

from madoguchi.config.devices import PANEL, DisplaySection, St7789Config, as_mounted
from madoguchi.errors import ConfigError, DeviceClosed, DeviceNotFound, HardwareError
from madoguchi.hardware.base import Opened
from madoguchi.hardware.gpio import prepare_lgpio

_PI_EXTRA_HINT = "pip install 'madoguchi[pi]', or apt install python3-spidev python3-rpi-lgpio"


class LcdDisplay:
    """Sends whole frames to a luma device: an ST7789 on SPI, or luma's ``dummy`` in simulation.

        display = LcdDisplay.dummy()
        display.show(Image.new("RGB", display.size))
        display.device.image  # the last frame shown (dummy only)

    :param device: any luma device; it is exposed as ``device`` and cleaned up by ``close()``.
    """

    def __init__(self, device) -> None:
        self.device = device
        self._closed = False

    @classmethod
    def st7789(
        cls,
        *,
        port: int = 0,
        device: int = 0,
        speed_hz: int = 32_000_000,
        gpio_dc: int = 25,
        gpio_rst: int = 27,
        gpio_backlight: int = 18,
        size: tuple[int, int] = (240, 320),
        rotation: int = 0,
        serial: Any = None,
        gpio: Any = None,
    ) -> LcdDisplay:
        """An ST7789 on SPI ``port``.``device``, showing frames of ``size`` turned by ``rotation``
        quarter turns.

        ``serial`` replaces the SPI interface with any luma interface (``noop()``, or a recording one
        in tests), and ``gpio`` RPi.GPIO for the backlight (and DC/RST), so the whole device path runs
        without /dev/spidev. Raises DeviceNotFound when SPI, GPIO or their Python modules are missing.
        """
        from luma.core.error import DeviceNotFoundError
        from luma.core.interface.serial import spi
        from luma.lcd.device import st7789 as luma_st7789

        node = Path(f"/dev/spidev{port}.{device}")
        try:  # luma imports these lazily, inside spi() and st7789(): ask now, for a clear message
            if gpio is None:
                prepare_lgpio()  # rpi-lgpio's RPi.GPIO loads lgpio
                import RPi.GPIO  # noqa: F401
            if serial is None:
                import spidev  # noqa: F401
        except ImportError as e:
            also = "" if serial is not None or node.exists() else f"; there is no {node} either"
            raise DeviceNotFound(
                f"ST7789 on {node}: Python module {e.name} is missing ({_PI_EXTRA_HINT}){also}",
                device="display",
            ) from e
        except RuntimeError as e:  # RPi.GPIO on a board it does not know
            raise DeviceNotFound(f"ST7789 on {node}: RPi.GPIO cannot run here: {e}", device="display") from e
        if serial is None and not node.exists():
            raise DeviceNotFound(f"no {node} (is SPI enabled? dtparam=spi=on)", device="display")
        across, down = as_mounted(size, rotation)
        if across > PANEL[0] or down > PANEL[1]:
            raise ConfigError(
                f"an ST7789 shows at most {PANEL[0]} x {PANEL[1]} upright; {size[0]} x {size[1]} with "
                f"rotation {rotation} is {across} x {down} on it"
            )
        # Frames turn onto the panel as on luma's dummy. luma's st7789 then exchanges rows and columns
        # (MADCTL), driving the panel as landscape: one more quarter turn, on a frame memory that is
        # as wide as the panel is tall.
        width, height, rotate = down, across, (rotation + 1) % 4
        opened = None
        try:
            if serial is None:
                serial = opened = spi(
                    port=port,
                    device=device,
                    bus_speed_hz=speed_hz,
                    gpio_DC=gpio_dc,
                    gpio_RST=gpio_rst,
                    gpio=gpio,
                )
            lcd = luma_st7789(
                serial, width=width, height=height, rotate=rotate, gpio_LIGHT=gpio_backlight, gpio=gpio
            )
        except Exception as e:  # luma's errors, spidev's OSError, RPi.GPIO's RuntimeError or lgpio.error
            if opened is not None:
                with contextlib.suppress(Exception):  # release SPI and the DC/RST pins for a retry
                    opened.cleanup()
            if isinstance(e, DeviceNotFoundError):
                raise DeviceNotFound(f"no {node} (is SPI enabled? dtparam=spi=on)", device="display") from e
            raise DeviceNotFound(f"ST7789 on {node}: {e}", device="display") from e
        return cls(lcd)

    @classmethod
    def dummy(cls, *, size: tuple[int, int] = (240, 320), rotation: int = 0) -> LcdDisplay:
        """luma's ``dummy`` device, which keeps the last frame shown (turned by ``rotation``) as
        ``device.image``."""
        from luma.core.device import dummy as luma_dummy

        width, height = as_mounted(size, rotation)
        return cls(luma_dummy(width=width, height=height, rotate=rotation, mode="RGB"))

    @property
    def size(self) -> tuple[int, int]:
        return self.device.size

    def show(self, frame: Image.Image) -> None:
        """Send one frame; it must be exactly ``size`` and in the device's mode (RGB)."""
        if self._closed:
            raise DeviceClosed("display is closed")
        if frame.size != self.size or frame.mode != self.device.mode:
            raise ValueError(
                f"frame is {frame.mode} {frame.size}, display needs {self.device.mode} {self.size}"
            )
        try:
            self.device.display(frame)
        except Exception as e:  # luma's errors, spidev's OSError, RPi.GPIO's RuntimeError or lgpio.error
            raise HardwareError(f"display: {e}") from e

    def close(self) -> None:
        """Blank the panel, switch off the backlight and release SPI/GPIO."""
        if not self._closed:
            self._closed = True
            try:
                self.device.cleanup()
            except Exception as e:
                raise HardwareError(f"display: closing failed: {e}") from e

    def __enter__(self) -> LcdDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- opening the display a [hardware.display] section names (madoguchi.hardware.factory) --------------


def open_st7789(section: St7789Config) -> Opened:
    display = LcdDisplay.st7789(
        port=section.spi_port,
        device=section.spi_device,
        speed_hz=section.spi_speed_hz,
        gpio_dc=section.gpio_dc,
        gpio_rst=section.gpio_rst,
        gpio_backlight=section.gpio_backlight,
        size=(section.width, section.height),
        rotation=section.rotation,
    )
    return display, f"st7789:spi{section.spi_port}.{section.spi_device}"


def open_dummy_display(section: DisplaySection) -> Opened:
    return LcdDisplay.dummy(size=(section.width, section.height), rotation=section.rotation), (
        "simulated:luma dummy"
    )
