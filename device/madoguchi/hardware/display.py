"""The staff LCD: a luma device that receives frames already rendered by screens.py.

luma is imported only when a display is made: luma.core.device starts a thread pool on import,
which loading the config should not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from PIL import Image
from pydantic import Field, field_validator

from madoguchi.errors import ConfigError, DeviceClosed, DeviceNotFound, HardwareError
from madoguchi.hardware.base import DeviceSection, Opened
from madoguchi.hardware.gpio import Pin, prepare_lgpio
from madoguchi.section import by_driver

SPI_SPEEDS_HZ = tuple(
    round(mhz * 1_000_000) for mhz in (0.5, 1, 2, 4, 8, 16, 20, 24, 28, 32, 36, 40, 44, 48, 50, 52)
)
"""The SPI clocks luma's spi interface accepts (it asserts on any other)."""

PANEL = (240, 320)
"""An ST7789's frame memory, upright: 240 pixels across, 320 down, at most."""


def as_mounted(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The size of a frame of ``size`` once turned by ``rotation`` quarter turns onto the panel."""
    return size if rotation % 2 == 0 else (size[1], size[0])


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

    def open_double(self) -> Opened:
        return LcdDisplay.dummy(
            size=(self.width, self.height), rotation=self.rotation
        ), "simulated:luma dummy"


class St7789Config(DisplaySection):
    """driver = "st7789": a 2" ST7789 LCD on SPI, with DC, reset and backlight on GPIO pins."""

    driver: Literal["st7789"] = Field(
        default="st7789",
        title="Driver",
        description='A 2" ST7789 LCD on SPI, with DC, reset and backlight on GPIO pins.',
    )
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

    @property
    def where(self) -> str:
        return f"st7789:spi{self.spi_port}.{self.spi_device}"

    def drivers(self) -> list[tuple[str, Callable[[], Opened]]]:
        return [(self.where, self._open)]

    def _open(self) -> Opened:
        display = LcdDisplay.st7789(
            port=self.spi_port,
            device=self.spi_device,
            speed_hz=self.spi_speed_hz,
            gpio_dc=self.gpio_dc,
            gpio_rst=self.gpio_rst,
            gpio_backlight=self.gpio_backlight,
            size=(self.width, self.height),
            rotation=self.rotation,
        )
        return display, self.where


class DummyDisplayConfig(DisplaySection):
    """driver = "dummy": luma's dummy device (keeps the last frame), whatever ``hardware.kind`` says."""

    driver: Literal["dummy"] = Field(
        default="dummy",
        title="Driver",
        description="luma's dummy device (keeps the last frame), whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


DisplayConfig = by_driver(St7789Config | DummyDisplayConfig, "st7789")
