"""The slip printer: python-escpos over USB or a device file, and a virtual printer for simulation.

:class:`SlipPrinter` is the same code in both cases; only the escpos transport differs. The virtual
printer is an escpos ``Dummy`` that keeps every byte and answers real-time status queries the way an
Epson TM printer does, so paper and connection faults can be injected below SlipPrinter, as
OctoPrint's virtual printer does below its serial protocol.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, Literal

from escpos.capabilities import CAPABILITIES
from escpos.constants import PAPER_FULL_CUT, PAPER_PART_CUT, RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy
from PIL import Image
from pydantic import Field, field_validator

from madoguchi.errors import DeviceClosed, DeviceNotFound, HardwareError, PrinterError, PrinterOutOfPaper
from madoguchi.hardware.base import DeviceSection, Opened
from madoguchi.section import AbsolutePath, by_driver

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
        if profile not in CAPABILITIES["profiles"]:
            raise ValueError(f"python-escpos has no printer profile {profile!r}")
        return profile

    def open_double(self) -> Opened:
        printer = SlipPrinter(VirtualPrinter(profile=self.profile), width_px=self.width_px)
        return printer, "simulated:VirtualPrinter"


class UsbPrinterConfig(PrinterSection):
    """driver = "usb": python-escpos over pyusb (the default)."""

    driver: Literal["usb"] = Field(
        default="usb", title="Driver", description="python-escpos over pyusb (the default)."
    )
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

    @property
    def where(self) -> str:
        return f"usb:{self.usb_vendor:04x}:{self.usb_product:04x}"

    def drivers(self) -> list[tuple[str, Callable[[], Opened]]]:
        return [(self.where, self._open)]

    def _open(self) -> Opened:
        printer = SlipPrinter.usb(
            vendor=self.usb_vendor, product=self.usb_product, profile=self.profile, width_px=self.width_px
        )
        return printer, self.where


class FilePrinterConfig(PrinterSection):
    """driver = "file": a device node such as the kernel usblp driver's /dev/usb/lp0."""

    driver: Literal["file"] = Field(
        default="file",
        title="Driver",
        description="A device node such as the kernel usblp driver's /dev/usb/lp0.",
    )
    file: AbsolutePath = Field(
        default=Path("/dev/usb/lp0"), title="Device node", description="Written to as raw ESC/POS bytes."
    )

    @property
    def where(self) -> str:
        return f"file:{self.file}"

    def drivers(self) -> list[tuple[str, Callable[[], Opened]]]:
        return [(self.where, self._open)]

    def _open(self) -> Opened:
        return SlipPrinter.file(str(self.file), profile=self.profile, width_px=self.width_px), self.where


class VirtualPrinterConfig(PrinterSection):
    """driver = "virtual": escpos's Dummy (VirtualPrinter), whatever ``hardware.kind`` says."""

    driver: Literal["virtual"] = Field(
        default="virtual",
        title="Driver",
        description="escpos's Dummy (VirtualPrinter), whatever ``hardware.kind`` says.",
    )
    double: ClassVar[bool] = True


PrinterConfig = by_driver(UsbPrinterConfig | FilePrinterConfig | VirtualPrinterConfig, "usb")
