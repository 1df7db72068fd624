"""What the transaction asks of each device: small protocols, so real drivers and doubles are swappable,
and the set of devices one daemon drives.

Images cross these boundaries as RGB ``uint8`` arrays (H, W, 3) from the camera and scanner, and as
Pillow images to the display and printer, which only receive what was already rendered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

DEVICES = ("camera", "scanner", "display", "printer", "buttons")

Opened = tuple[Any, str]
"""An open device and its origin for the journal, e.g. "sane:epson2:libusb:001:004"."""


@runtime_checkable
class Camera(Protocol):
    """The visitor camera. ``read()`` returns the newest frame or raises CameraGone."""

    def start(self) -> None: ...
    def read(self) -> np.ndarray: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class Scanner(Protocol):
    """The document scanner. ``scan()`` returns one whole page or raises ScannerGone."""

    def scan(self, *, dpi: int) -> np.ndarray: ...
    def close(self) -> None: ...


@runtime_checkable
class Display(Protocol):
    """The staff-facing LCD. ``show()`` sends one fully rendered frame of exactly ``size``."""

    @property
    def size(self) -> tuple[int, int]: ...
    def show(self, frame: Image.Image) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class Printer(Protocol):
    """The slip printer. ``print_slip()`` prints one rendered slip and cuts, or raises PrinterError."""

    @property
    def width_px(self) -> int: ...
    def print_slip(self, slip: Image.Image) -> None: ...
    def close(self) -> None: ...


@runtime_checkable
class Buttons(Protocol):
    """Staff buttons. Callbacks run on a driver thread: they must only queue an event."""

    when_start: Callable[[], None] | None
    when_mode: Callable[[], None] | None
    when_cancel: Callable[[], None] | None

    def close(self) -> None: ...


@runtime_checkable
class Keypad(Protocol):
    """A numeric keypad (optional). Its callback runs on a driver thread: it must only queue an
    event. Keys: "0"-"9", "enter", "backspace", "escape"."""

    when_key: Callable[[str], None] | None

    def close(self) -> None: ...


@dataclass
class Hardware:
    """The set of devices one daemon drives, and where each came from (for the journal); the keypad
    is optional (None: staff key codes in with the buttons)."""

    camera: Camera
    scanner: Scanner
    display: Display
    printer: Printer
    buttons: Buttons
    origin: dict[str, str]
    keypad: Keypad | None = None

    def close(self) -> None:
        """Close every device; a failure is logged and the next device is still closed."""
        for name in (*DEVICES, "keypad"):
            device = getattr(self, name)
            if device is not None:
                close_logged(name, device, self.origin.get(name, "?"))


def close_logged(name: str, device: Any, origin: str) -> None:
    """Close ``device``, logging rather than raising a failure, so closing reaches every device."""
    try:
        device.close()
    except Exception as error:
        log.warning("closing the %s (%s) failed: %r", name, origin, error)
