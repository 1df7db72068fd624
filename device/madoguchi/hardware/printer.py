"""The slip printer: python-escpos over USB or a device file, and a virtual printer for simulation.

:class:`SlipPrinter` is the same code in both cases; only the escpos transport differs. The virtual
printer is an escpos ``Dummy`` that keeps every byte and answers real-time status queries the way an
Epson TM printer does, so paper and connection faults can be injected below SlipPrinter, as
OctoPrint's virtual printer does below its serial protocol.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from escpos.constants import PAPER_FULL_CUT, PAPER_PART_CUT, RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy
from PIL import Image

from madoguchi.config.devices import FilePrinterConfig, PrinterSection, UsbPrinterConfig
from madoguchi.errors import DeviceClosed, DeviceNotFound, HardwareError, PrinterError, PrinterOutOfPaper
from madoguchi.hardware.base import Opened

log = logging.getLogger(__name__)

Paper = Literal["ok", "low", "out"]

# The bytes an Epson TM printer answers to DLE EOT 4 (paper sensor) and DLE EOT 1 (printer status).
_PAPER_STATUS: dict[Paper, int] = {"ok": 0x12, "low": 0x1E, "out": 0x72}
_ONLINE, _OFFLINE = 0x12, 0x1A


class SlipPrinter:
    """Prints rendered slips as raster images and cuts them.

        printer = SlipPrinter(VirtualPrinter(profile="TM-T20II"))
        printer.print_slip(slip_image)
        printer.printer.output  # the ESC/POS bytes sent

    Each slip is sent with ``GS v 0`` (raster bit image), which Epson TM printers and the common
    58/80 mm clones all accept, then fed and cut. Before printing, the paper sensor is read where the
    transport can answer (``DLE EOT``): no paper raises PrinterOutOfPaper, an offline printer (cover
    open) PrinterError. After a transport error the connection is reopened on the next slip, so a
    printer plugged back in works again.

    :param printer: an escpos printer: ``Usb``, ``File``, or :class:`VirtualPrinter`.
    :param width_px: the printable width in dots; wider slips are refused.

    Raises DeviceNotFound when the printer cannot be opened.
    """

    def __init__(self, printer: Escpos, *, width_px: int = 576) -> None:
        self.printer = printer
        self._width_px = width_px
        self._closed = False
        try:
            printer.open()
        except Exception as e:  # escpos's errors, pyusb's USBError (an OSError), RuntimeError without pyusb
            raise DeviceNotFound(f"printer: {e}", device="printer") from e
        self._reopen = False
        self._reports_status = True

    @classmethod
    def usb(
        cls, *, vendor: int, product: int, profile: str, width_px: int, timeout_ms: int = 3000
    ) -> SlipPrinter:
        """An escpos ``Usb`` printer (needs pyusb). The timeout also bounds a status read that a
        printer without real-time status never answers."""
        from escpos.printer import Usb

        if not Usb.is_usable():
            raise DeviceNotFound("pyusb is not installed (pip install python-escpos[usb])", device="printer")
        return cls(Usb(vendor, product, timeout=timeout_ms, profile=profile), width_px=width_px)

    @classmethod
    def file(cls, path: str, *, profile: str, width_px: int) -> SlipPrinter:
        """An escpos ``File`` printer on a device node such as ``/dev/usb/lp0`` (cannot report status)."""
        from escpos.printer import File

        return cls(File(path, profile=profile), width_px=width_px)

    @property
    def width_px(self) -> int:
        return self._width_px

    def print_slip(self, slip: Image.Image) -> None:
        """Print ``slip`` (any mode; dithered to black and white by escpos) and cut."""
        if self._closed:
            raise DeviceClosed("printer is closed")
        if slip.width > self._width_px:
            raise ValueError(f"slip is {slip.width} px wide, the paper {self._width_px}")
        with self._transport():
            if self._reopen:
                self.printer.close()
                self.printer.open()
                self._reopen = False
            self._check_ready()
            self.printer.hw("INIT")
            self.printer.image(slip, impl="bitImageRaster")
            self.printer.cut()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.printer.close()
            except (EscposError, OSError) as e:
                raise PrinterError(f"printer: closing failed: {e}") from e

    def __enter__(self) -> SlipPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_ready(self) -> None:
        if not self._reports_status:
            return
        try:
            paper = self.printer.paper_status()
            online = self.printer.is_online()
        except NotImplementedError:  # the transport cannot read (File, plain Dummy)
            self._reports_status = False
            return
        except OSError as e:
            if e.errno != errno.ETIMEDOUT:
                raise
            log.info("the printer does not answer status queries; printing without checking paper")
            self._reports_status = False  # a printer without real-time status stays silent each time
            return
        if paper == 0:
            raise PrinterOutOfPaper("the printer is out of paper")
        if not online:
            raise PrinterError("the printer is offline (cover open?)")
        if paper == 1:
            log.warning("printer paper is near its end")

    @contextmanager
    def _transport(self) -> Iterator[None]:
        """Turn escpos and USB errors into PrinterError, and reopen after one."""
        try:
            yield
        except HardwareError:
            raise
        except (EscposError, OSError) as e:
            self._reopen = True
            raise PrinterError(f"printer: {e}") from e


class VirtualPrinter(Dummy):
    """An escpos ``Dummy`` that answers status queries, and can be told to misbehave.

        printer = VirtualPrinter(profile="TM-T20II")
        printer.paper = "out"  # the next slip raises PrinterOutOfPaper
        printer.unplug()  # every write raises OSError(ENODEV), as pyusb does

    ``output`` holds the bytes of the last ``KEPT_JOBS`` jobs; ``slips`` splits them after each cut.
    (escpos's ``Dummy`` keeps every byte for ever, ~44 KiB a slip: a simulated counter left running
    for a day would grow by that much per visitor.)
    """

    KEPT_JOBS = 8

    def __init__(self, *, paper: Paper = "ok", online: bool = True, profile: str = "TM-T20II") -> None:
        super().__init__(profile=profile)
        self.paper: Paper = paper
        self.online = online
        self._unplugged = False
        self._query: bytes | None = None

    def unplug(self) -> None:
        self._unplugged = True

    def plug(self) -> None:
        self._unplugged = False

    @property
    def slips(self) -> list[bytes]:
        """The bytes of each job, each ending with its cut."""
        slips, current = [], []
        for chunk in self._output_list:
            current.append(chunk)
            if chunk in (PAPER_FULL_CUT, PAPER_PART_CUT):
                slips.append(b"".join(current))
                current = []
        return slips

    def _raw(self, msg: bytes) -> None:
        self._check_plugged()
        if msg in (RT_STATUS_PAPER, RT_STATUS_ONLINE):
            self._query = msg
        super()._raw(msg)
        if msg in (PAPER_FULL_CUT, PAPER_PART_CUT):
            self._forget_old_jobs()

    def _forget_old_jobs(self) -> None:
        cuts = [i for i, chunk in enumerate(self._output_list) if chunk in (PAPER_FULL_CUT, PAPER_PART_CUT)]
        if len(cuts) > self.KEPT_JOBS:
            del self._output_list[: cuts[-self.KEPT_JOBS - 1] + 1]

    def _read(self) -> bytes:
        self._check_plugged()
        query, self._query = self._query, None
        if query == RT_STATUS_PAPER:
            return bytes([_PAPER_STATUS[self.paper]])
        if query == RT_STATUS_ONLINE:
            return bytes([_ONLINE if self.online else _OFFLINE])
        return b""

    def _check_plugged(self) -> None:
        if self._unplugged:
            raise OSError(errno.ENODEV, "No such device (simulated unplug)")


# --- opening the printer a [hardware.printer] section names (madoguchi.hardware.factory) --------------


def open_usb_printer(section: UsbPrinterConfig) -> Opened:
    printer = SlipPrinter.usb(
        vendor=section.usb_vendor,
        product=section.usb_product,
        profile=section.profile,
        width_px=section.width_px,
    )
    return printer, f"usb:{section.usb_vendor:04x}:{section.usb_product:04x}"


def open_file_printer(section: FilePrinterConfig) -> Opened:
    printer = SlipPrinter.file(str(section.file), profile=section.profile, width_px=section.width_px)
    return printer, f"file:{section.file}"


def open_virtual_printer(section: PrinterSection) -> Opened:
    printer = SlipPrinter(VirtualPrinter(profile=section.profile), width_px=section.width_px)
    return printer, "simulated:VirtualPrinter"
