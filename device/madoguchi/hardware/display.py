"""The staff LCD: a luma device that receives frames already rendered by screens.py."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from madoguchi.errors import DeviceClosed, DeviceNotFound, HardwareError


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
    ) -> LcdDisplay:
        """An ST7789 on SPI ``port``.``device``, showing frames of ``size`` turned by ``rotation``
        quarter turns. Raises DeviceNotFound when SPI or GPIO is unavailable."""
        node = Path(f"/dev/spidev{port}.{device}")
        if not node.exists():
            raise DeviceNotFound(f"no {node} (is SPI enabled?)")
        try:
            from luma.core.error import Error as LumaError
            from luma.core.interface.serial import spi
            from luma.lcd.device import st7789
        except ImportError as e:
            raise DeviceNotFound(f"luma.lcd is not installed ({e})") from e
        # luma's st7789 sets MADCTL's row/column exchange, so the panel is driven as landscape; a
        # portrait size is reached by one more quarter turn.
        width, height = max(size), min(size)
        rotate = (rotation + (1 if size[1] > size[0] else 0)) % 4
        try:
            serial = spi(port=port, device=device, bus_speed_hz=speed_hz, gpio_DC=gpio_dc, gpio_RST=gpio_rst)
            lcd = st7789(serial, width=width, height=height, rotate=rotate, gpio_LIGHT=gpio_backlight)
        except (LumaError, OSError, RuntimeError) as e:
            raise DeviceNotFound(f"ST7789 on {node}: {e}") from e
        return cls(lcd)

    @classmethod
    def dummy(cls, *, size: tuple[int, int] = (240, 320), rotation: int = 0) -> LcdDisplay:
        """luma's ``dummy`` device, which keeps the last frame shown (turned by ``rotation``) as
        ``device.image``."""
        from luma.core.device import dummy

        width, height = size if rotation % 2 == 0 else size[::-1]
        return cls(dummy(width=width, height=height, rotate=rotation, mode="RGB"))

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
        except OSError as e:
            raise HardwareError(f"display: {e}") from e

    def close(self) -> None:
        """Blank the panel, switch off the backlight and release SPI/GPIO."""
        if not self._closed:
            self._closed = True
            self.device.cleanup()

    def __enter__(self) -> LcdDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
