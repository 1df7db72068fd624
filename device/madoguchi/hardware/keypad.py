"""A USB numeric keypad, read through evdev: the second way for staff to key in 照合番号B.

The card face's OCR comes first (:mod:`madoguchi.document.card_code`), the keypad second, and the
three staff buttons stay as the last resort. A keypad is an input device like any keyboard; it is
found by its name, or as the first input device with a numeric keypad's keys and no letter keys (a
keyboard plugged in by a technician is not taken), and grabbed, so the digits it sends reach no
console and no other reader: they are personal data.

    keypad = Keypad.open(name="USB Keypad")           # the real device, through evdev
    keypad.when_key = lambda key: events.put(key)     # "0"-"9", "enter", "backspace", "escape"

    keypad = Keypad(MockKeypadDevice())               # the double, in tests and the simulator
    keypad.device.press("7")                          # as a finger on the key would

One thread reads the device and calls ``when_key`` with each key pressed (not held: a key's
auto-repeat is dropped, so a digit held down is one digit); the callback should only queue an
event. If the keypad is unplugged, the thread logs it and stops; the buttons still work.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import ClassVar, Protocol

from madoguchi.config.devices import KeypadSection
from madoguchi.errors import DeviceNotFound, HardwareError
from madoguchi.hardware.base import Opened

log = logging.getLogger(__name__)

# evdev's key codes (linux/input-event-codes.h), named here so the double needs no evdev.
EV_KEY = 1
KEYPAD_CODES = (82, 79, 80, 81, 75, 76, 77, 71, 72, 73)
"""KEY_KP0 to KEY_KP9."""
KEY_KPENTER = 96
KEY_CODES = {
    **{code: str(digit) for digit, code in enumerate(KEYPAD_CODES)},
    **{
        code: str(digit) for digit, code in zip((1, 2, 3, 4, 5, 6, 7, 8, 9, 0), range(2, 12), strict=True)
    },  # KEY_1-0
    KEY_KPENTER: "enter",
    28: "enter",  # KEY_ENTER
    14: "backspace",  # KEY_BACKSPACE
    1: "escape",  # KEY_ESC
}
"""The keys staff use, by evdev code: the keypad's digits (and the number row's, which some keypads
send), ENTER, BACKSPACE and ESC."""
KEYPAD_KEYS = frozenset((*KEYPAD_CODES, KEY_KPENTER))
"""What an input device must have to be taken for a keypad."""
LETTERS = frozenset(range(16, 26)) | frozenset(range(30, 39)) | frozenset(range(44, 51))
"""KEY_Q-KEY_P, KEY_A-KEY_L, KEY_Z-KEY_M: a device with these is a keyboard, not a keypad."""
KEYS = frozenset(KEY_CODES.values())
PRESSED, RELEASED, REPEATED = 1, 0, 2
POLL_S = 0.2


class KeypadEvent(Protocol):
    """What the keypad reads of an evdev ``InputEvent``."""

    type: int
    code: int
    value: int


class KeypadDevice(Protocol):
    """The part of an evdev ``InputDevice`` the keypad uses (the double implements the same)."""

    name: str
    path: str

    def fileno(self) -> int: ...
    def read(self) -> Iterator[KeypadEvent]: ...
    def close(self) -> None: ...


class Keypad:
    """Keys pressed on ``device`` (an evdev ``InputDevice``, or :class:`MockKeypadDevice`), passed
    to ``when_key`` from a reader thread. Use :meth:`open` for a real keypad.

    :param device: the input device, already opened (and grabbed, if real).
    """

    def __init__(self, device: KeypadDevice) -> None:
        self.device = device
        self.when_key: Callable[[str], None] | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="madoguchi-keypad", daemon=True)
        self._thread.start()

    @classmethod
    def open(cls, *, name: str | None = None) -> Keypad:
        """The keypad whose evdev name contains ``name`` (None: the first input device with a
        numeric keypad's keys and no letter keys), grabbed for this process alone. Raises
        DeviceNotFound when evdev is missing or no such device can be opened."""
        try:
            import evdev
        except ImportError as e:
            raise DeviceNotFound(
                f"Python module evdev is missing ({e}): pip install evdev", device="keypad"
            ) from e
        for path in sorted(evdev.list_devices()):
            try:
                device = evdev.InputDevice(path)
            except OSError as e:  # unplugged meanwhile, or not ours to read
                log.debug("keypad: %s: %s", path, e)
                continue
            keys = set(device.capabilities().get(EV_KEY, ()))
            wanted = name in device.name if name else keys >= KEYPAD_KEYS and not keys & LETTERS
            if not wanted:
                device.close()
                continue
            try:
                device.grab()
            except OSError as e:
                device.close()
                raise DeviceNotFound(
                    f"keypad {device.name!r} at {path} is in use: {e}", device="keypad"
                ) from e
            log.info("keypad: %r at %s", device.name, path)
            return cls(device)
        looked_for = f"an input device named like {name!r}" if name else "an input device with keypad keys"
        raise DeviceNotFound(f"no keypad: {looked_for} (none readable in /dev/input)", device="keypad")

    @property
    def watching(self) -> bool:
        """Whether keys are still read (False once closed, or after the keypad was unplugged)."""
        return self._thread.is_alive()

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        self._thread.join()
        try:
            self.device.close()
        except OSError as e:
            raise HardwareError(f"keypad: closing {self.device.path}: {e}") from e

    def __enter__(self) -> Keypad:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _watch(self) -> None:
        while not self._closing.is_set():
            try:
                ready, _, _ = select.select([self.device], [], [], POLL_S)
                if not ready:
                    continue
                events = list(self.device.read())
            except BlockingIOError:
                continue
            except OSError as e:  # unplugged: the buttons stay, and the journal says why
                if e.errno != errno.EAGAIN:
                    log.error("keypad: reading %s failed (%s); no more keys from it", self.device.path, e)
                    return
                continue
            for event in events:
                key = KEY_CODES.get(event.code) if event.type == EV_KEY else None
                if key is not None and event.value == PRESSED and self.when_key is not None:
                    self.when_key(key)


class _Event:
    """An ``InputEvent`` as the kernel sends it: type, code, value."""

    __slots__ = ("code", "type", "value")

    def __init__(self, type_: int, code: int, value: int) -> None:
        self.type, self.code, self.value = type_, code, value


class MockKeypadDevice:
    """A keypad no one plugged in: :meth:`press` puts a key's events where the kernel would, and a
    pipe wakes the reader as the device's file descriptor would. Tests and the simulator use it.

    :param name: the name it reports.
    """

    CODES: ClassVar[dict[str, int]] = {
        **{str(digit): code for digit, code in enumerate(KEYPAD_CODES)},
        "enter": KEY_KPENTER,
        "backspace": 14,
        "escape": 1,
    }

    def __init__(self, name: str = "madoguchi simulated keypad") -> None:
        self.name = name
        self.path = "simulated:keypad"
        self._pending: deque[_Event] = deque()
        self._lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        self._gone = False

    def press(self, key: str, *, repeats: int = 0, hold_s: float = 0.02) -> None:
        """Press ``key`` ("0"-"9", "enter", "backspace", "escape"), hold it through ``repeats``
        auto-repeats, and release it."""
        if key not in self.CODES:
            raise ValueError(f"no {key!r} key; the keys are {', '.join(self.CODES)}")
        code = self.CODES[key]
        self.send(EV_KEY, code, PRESSED)
        for _ in range(repeats):
            self.send(EV_KEY, code, REPEATED)
        time.sleep(hold_s)
        self.send(EV_KEY, code, RELEASED)

    def send(self, type_: int, code: int, value: int) -> None:
        """One raw event followed by the kernel's EV_SYN report."""
        with self._lock:
            self._pending.extend((_Event(type_, code, value), _Event(0, 0, 0)))
        os.write(self._wake_write, b"\0")

    def unplug(self) -> None:
        """The keypad leaves: the next read fails as the kernel's does (ENODEV)."""
        self._gone = True
        os.write(self._wake_write, b"\0")

    def fileno(self) -> int:
        return self._wake_read

    def read(self) -> Iterator[_Event]:
        if self._gone:
            raise OSError(errno.ENODEV, "No such device")
        os.read(self._wake_read, 4096)
        with self._lock:
            events = list(self._pending)
            self._pending.clear()
        if not events:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        return iter(events)

    def close(self) -> None:
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):  # closed already
                os.close(fd)


# --- opening the keypad a [hardware.keypad] section names (madoguchi.hardware.factory) ----------------


def open_evdev_keypad(section: KeypadSection) -> Opened:
    keypad = Keypad.open(name=section.name)
    return keypad, f"evdev:{keypad.device.path}"


def open_mock_keypad(_section: KeypadSection) -> Opened:
    return Keypad(MockKeypadDevice()), "simulated:MockKeypadDevice"
