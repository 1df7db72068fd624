"""SlipPrinter over escpos's Dummy transport (VirtualPrinter): the bytes sent, and injected faults."""

from __future__ import annotations

import errno

import pytest
import usb.core
from escpos.constants import PAPER_FULL_CUT, RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from madoguchi.errors import DeviceClosed, DeviceNotFound, PrinterError, PrinterOutOfPaper
from madoguchi.hardware.printer import SlipPrinter, VirtualPrinter

GS_V_0 = b"\x1dv0"
ESC_AT = b"\x1b@"


def slip(width: int = 576, height: int = 200) -> Image.Image:
    image = Image.new("L", (width, height), 255)
    ImageDraw.Draw(image).rectangle((0, 0, 15, 7), fill=0)  # the first 16 dots of 8 rows are black
    return image


@pytest.fixture
def virtual():
    return VirtualPrinter(profile="TM-T20II")


@pytest.fixture
def printer(virtual):
    with SlipPrinter(virtual, width_px=576) as printer:
        yield printer


def test_slip_is_sent_as_a_raster_image_then_cut(printer, virtual):
    printer.print_slip(slip())

    out = virtual.output
    assert out.startswith(RT_STATUS_PAPER + RT_STATUS_ONLINE + ESC_AT)
    header = out.index(GS_V_0)
    # GS v 0, density 0, width in bytes (576 / 8 = 72) and height (200), little-endian.
    assert out[header : header + 8] == GS_V_0 + bytes([0, 72, 0, 200, 0])
    raster = out[header + 8 : header + 8 + 72 * 200]
    assert raster[:3] == b"\xff\xff\x00"  # black is a set bit
    assert raster[72 * 8 : 72 * 8 + 2] == b"\x00\x00"  # row 8 is white again
    assert out.endswith(PAPER_FULL_CUT)
    assert out.index(PAPER_FULL_CUT) > header


def test_each_slip_is_kept_apart(printer, virtual):
    printer.print_slip(slip(height=10))
    printer.print_slip(slip(height=20))

    first, second = virtual.slips
    assert first.endswith(PAPER_FULL_CUT) and second.endswith(PAPER_FULL_CUT)
    assert GS_V_0 + bytes([0, 72, 0, 10, 0]) in first
    assert GS_V_0 + bytes([0, 72, 0, 20, 0]) in second


def test_out_of_paper_is_raised_before_anything_prints(printer, virtual):
    virtual.paper = "out"

    with pytest.raises(PrinterOutOfPaper):
        printer.print_slip(slip())
    assert GS_V_0 not in virtual.output

    virtual.paper = "ok"  # staff load a new roll
    printer.print_slip(slip())
    assert GS_V_0 in virtual.output


def test_paper_near_end_prints_and_warns(printer, virtual, caplog):
    virtual.paper = "low"

    printer.print_slip(slip())

    assert GS_V_0 in virtual.output
    assert "near its end" in caplog.text


def test_offline_printer_is_a_printer_error(printer, virtual):
    virtual.online = False

    with pytest.raises(PrinterError, match="offline") as raised:
        printer.print_slip(slip())
    assert not isinstance(raised.value, PrinterOutOfPaper)


def test_unplugged_printer_is_a_printer_error_until_plugged_back(printer, virtual):
    virtual.unplug()
    with pytest.raises(PrinterError, match="No such device"):
        printer.print_slip(slip())

    virtual.plug()
    printer.print_slip(slip())
    assert len(virtual.slips) == 1


def test_transport_without_status_prints_without_checking():
    dummy = Dummy(profile="TM-T20II")  # its _read() is not implemented, as with File
    with SlipPrinter(dummy, width_px=576) as printer:
        printer.print_slip(slip())
    assert GS_V_0 in dummy.output
    assert dummy.output.endswith(PAPER_FULL_CUT)


def test_too_wide_slip_is_refused(printer, virtual):
    with pytest.raises(ValueError, match="577"):
        printer.print_slip(slip(width=577))
    assert virtual.output == b""


def test_missing_device_file_is_not_found(tmp_path):
    with pytest.raises(DeviceNotFound):
        SlipPrinter.file(str(tmp_path / "no" / "lp0"), profile="TM-T20II", width_px=576)


def test_close_is_idempotent_and_final(printer):
    printer.close()
    printer.close()
    with pytest.raises(DeviceClosed):
        printer.print_slip(slip())


class UnreachablePrinter(VirtualPrinter):
    """A printer whose USB claim fails, as pyusb's does when another driver (usblp) holds it."""

    def open(self) -> None:
        raise usb.core.USBError("Resource busy", errno.EBUSY, errno.EBUSY)


def test_usb_error_when_opening_is_a_named_device_fault():
    with pytest.raises(DeviceNotFound, match="Resource busy") as raised:
        SlipPrinter(UnreachablePrinter())
    assert raised.value.device == "printer"
