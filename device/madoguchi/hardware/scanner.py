"""The document scanner: SANE through python-sane, and the simulator's pages.

SANE can be initialised only once per process, so :func:`sane_devices` and :class:`SaneScanner` share
one lazy ``sane.init()`` and never call ``sane.exit()``. Set ``SANE_CONFIG_DIR`` before the first call
to choose the backends (tests point it at a ``dll.conf`` naming only ``test``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

from madoguchi.config.devices import SaneScannerConfig, ScannerSection
from madoguchi.errors import ConfigError, DeviceClosed, DeviceNotFound, HardwareError, ScannerGone
from madoguchi.hardware.base import Opened
from madoguchi.units import ID1_MM, MM_PER_INCH

log = logging.getLogger(__name__)

_init_lock = threading.Lock()
_sane_module: ModuleType | None = None


def _sane() -> ModuleType:
    """python-sane, initialised once for the whole process; DeviceNotFound if it cannot be."""
    global _sane_module
    with _init_lock:
        if _sane_module is None:
            try:
                import sane

                sane.init()
            except ImportError as e:
                raise DeviceNotFound(f"python-sane is not installed ({e})") from e
            except Exception as e:  # _sane.error
                raise DeviceNotFound(f"SANE failed to initialise: {e}") from e
            _sane_module = sane
        return _sane_module


KEPT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGPIPE)


@contextlib.contextmanager
def _signal_handlers_kept() -> Iterator[None]:
    """Put the process's signal handlers back after a SANE call that replaced them.

    libsane's reader (sanei_thread) sets SIGTERM and SIGPIPE to its own handlers while it scans;
    left so, the daemon's next SIGTERM would kill it outright instead of stopping it cleanly.
    Python installs handlers from the main thread only, which is where the daemon's counter runs.
    """
    kept = {number: signal.getsignal(number) for number in KEPT_SIGNALS}
    try:
        yield
    finally:
        if threading.current_thread() is threading.main_thread():
            for number, handler in kept.items():
                if handler is not None:
                    signal.signal(number, handler)


def use_sane_test_backend(config_dir: Path) -> None:
    """Make SANE see only its ``test`` backend (``test:0`` scans 300-dpi test patterns).

    SANE reads its configuration once, at the process's first ``sane.init()``, so this must come
    before any scanner is opened. Used by the simulator and the tests: no real scanner is probed.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "dll.conf").write_text("test\n")
    os.environ["SANE_CONFIG_DIR"] = str(config_dir)


def sane_devices() -> list[str]:
    """Names of the SANE devices found now, e.g. ["epson2:libusb:001:004", "test:0"]."""
    sane = _sane()
    try:
        return [device[0] for device in sane.get_devices()]
    except Exception as e:  # _sane.error
        raise DeviceNotFound(f"SANE cannot list devices: {e}") from e


class SaneScanner:
    """A scanner driven through SANE, in colour.

        with SaneScanner(device="epson2:libusb:001:004") as scanner:
            page = scanner.scan(dpi=300)  # RGB uint8 (H, W, 3)

    A failed scan raises ScannerGone and closes the SANE handle; the next scan reopens the device, so
    a scanner plugged back in works again without restarting the daemon.

    :param device: a SANE device name; "" takes the first device SANE lists.
    :param options: SANE options to set on opening, by SANE name ("source") or python-sane's
        ("test_picture"); the mode is always Color.

    Raises DeviceNotFound when no such device answers, ConfigError when an option is refused.
    """

    def __init__(self, *, device: str = "", options: Mapping[str, Any] | None = None) -> None:
        self._sane = _sane()
        if not device:
            found = sane_devices()
            if not found:
                raise DeviceNotFound("SANE finds no scanner")
            device = found[0]
        self.device = device
        self._options = {"mode": "Color", **(options or {})}
        self._handle: Any = None
        self._dpi: int | None = None
        self._scan_open = False  # the last scan is read but not yet cancelled (see _end_last_scan)
        self._closed = False
        try:
            self._open()
        except ScannerGone as e:
            raise DeviceNotFound(str(e)) from e

    def scan(self, *, dpi: int) -> np.ndarray:
        """Scan one page at ``dpi`` and return it as an RGB uint8 array."""
        if self._closed:
            raise DeviceClosed(f"scanner {self.device} is closed")
        if self._handle is None:
            self._open()
        try:
            self._end_last_scan()
            if dpi != self._dpi:
                self._handle.resolution = dpi
                self._dpi = dpi
            with _signal_handlers_kept():
                self._handle.start()
                image = self._handle.snap(no_cancel=True)
            self._scan_open = True
        except (AttributeError, RuntimeError, self._sane._sane.error) as e:
            self._drop_handle()
            raise ScannerGone(f"scan failed on {self.device}: {e}") from e
        return np.array(image.convert("RGB"))

    def _end_last_scan(self) -> None:
        """``sane_cancel`` the last scan now, long after its last byte was read, not right after it.

        libsane's reader (sanei_thread, pthreads) is cancelled asynchronously by ``sane_cancel``; a
        cancel that lands while the reader is still freeing its buffers on the way out leaves its
        malloc arena locked, and the scanner's process hangs for good (seen with the ``test``
        backend). The SANE standard allows the cancel at any time after the image is read.
        """
        if self._scan_open:
            self._scan_open = False
            self._handle.cancel()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._drop_handle()

    def __enter__(self) -> SaneScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self) -> None:
        try:
            handle = self._sane.open(self.device)
        except Exception as e:  # _sane.error, e.g. "Invalid argument" for an unknown name
            raise ScannerGone(f"SANE cannot open {self.device}: {e}") from e
        try:
            for name, value in self._options.items():
                option = name.replace("-", "_")
                if option not in handle.opt:  # python-sane would silently keep it as a plain attribute
                    raise AttributeError("no such option")
                setattr(handle, option, value)
        except (AttributeError, self._sane._sane.error) as e:
            handle.close()
            raise ConfigError(f"scanner {self.device} refuses option {name}={value!r}: {e}") from e
        self._handle = handle
        self._dpi = None

    def _drop_handle(self) -> None:
        handle, self._handle = self._handle, None
        self._scan_open = False
        if handle is not None:
            with contextlib.suppress(Exception):  # the device may be gone; the handle is dropped anyway
                handle.close()


PageSource = str | PathLike[str] | np.ndarray | None
"""An image file, an RGB array, or None for an empty glass (a blank page)."""


class SimulatedScanner:
    """The simulator's scanner: pages come from files, but each scan runs the real SANE path first.

    SANE's ``test`` backend cannot show a card, so when ``sane`` is given (a SaneScanner on
    ``test:0``) every scan goes through it exactly as on the Pi, its pixels are discarded, and the
    next loaded page is returned instead, scaled from ``page_dpi`` to the requested dpi. The last
    page stays on the glass for every later scan until :meth:`load`, as a page does until staff
    lift it: a rescan reads the same page again. With no page loaded, or for a None page, the scan
    is blank: white, the size of an ID-1 card.

        scanner = SimulatedScanner(["card.png", None], sane=SaneScanner(device="test:0"))
        scanner.scan(dpi=300)  # card.png
        scanner.scan(dpi=300)  # blank page, and so is every scan after it
        scanner.unplug()
        scanner.scan(dpi=300)  # raises ScannerGone

    :param pages: pages for the next scans, in order.
    :param sane: a scanner to run before each simulated scan; None skips SANE.
    :param page_dpi: the resolution the page images were made at.
    """

    def __init__(
        self, pages: Iterable[PageSource] = (), *, sane: SaneScanner | None = None, page_dpi: int = 300
    ) -> None:
        self.sane = sane
        self.page_dpi = page_dpi
        self._pages: deque[PageSource] = deque()
        self._unplugged = False
        self._closed = False
        self.load(pages)

    def load(self, pages: Iterable[PageSource]) -> None:
        """Replace the pages waiting to be scanned (and the one on the glass)."""
        pages = list(pages)
        for page in pages:
            if isinstance(page, (str, PathLike)) and not Path(page).is_file():
                raise FileNotFoundError(f"no page file {page}")
        self._pages = deque(pages)

    def unplug(self) -> None:
        """Simulate the scanner's cable being pulled: scans raise ScannerGone until plug()."""
        self._unplugged = True

    def plug(self) -> None:
        self._unplugged = False

    def scan(self, *, dpi: int) -> np.ndarray:
        if self._closed:
            raise DeviceClosed("scanner is closed")
        if self._unplugged:
            raise ScannerGone("scanner unplugged (simulated)")
        if self.sane is not None:
            self.sane.scan(dpi=dpi)
        page = self._pages.popleft() if len(self._pages) > 1 else next(iter(self._pages), None)
        if page is None:
            width, height = (round(mm / MM_PER_INCH * dpi) for mm in ID1_MM)
            return np.full((height, width, 3), 255, np.uint8)
        if isinstance(page, np.ndarray):
            image = Image.fromarray(page).convert("RGB")
        else:
            with Image.open(page) as opened:
                image = opened.convert("RGB")
        if dpi != self.page_dpi:
            size = (round(image.width * dpi / self.page_dpi), round(image.height * dpi / self.page_dpi))
            image = image.resize(size, Image.Resampling.LANCZOS)
        return np.array(image)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self.sane is not None:
                self.sane.close()

    def __enter__(self) -> SimulatedScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- opening the scanner a [hardware.scanner] section names (madoguchi.hardware.factory) --------------


def open_sane(section: SaneScannerConfig) -> Opened:
    device = section.device
    if not device:
        real = [name for name in sane_devices() if not name.startswith("test:")]
        if not real:
            raise DeviceNotFound("SANE finds no scanner (its test backend does not count)")
        device = real[0]
    return SaneScanner(device=device, options=section.options), f"sane:{device}"


def open_simulated_scanner(_section: ScannerSection) -> Opened:
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
