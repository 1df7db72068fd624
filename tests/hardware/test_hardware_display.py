"""LcdDisplay on luma's dummy device, and its ST7789 path over luma's noop interface."""

from __future__ import annotations

import errno
import sys

import pytest
from luma.core.interface.serial import noop
from PIL import Image, ImageChops, ImageDraw

from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import ConfigError, DeviceClosed, DeviceNotFound, HardwareError
from madoguchi.hardware.display import LcdDisplay
from madoguchi.hardware.factory import make_display


def frame(size=(240, 320)) -> Image.Image:
    image = Image.new("RGB", size, (10, 20, 30))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 59, 39), fill=(255, 0, 0))
    draw.text((20, 150), "madoguchi", fill=(255, 255, 255))
    return image


def test_dummy_gets_exactly_the_frame():
    sent = frame()
    with LcdDisplay.dummy() as display:
        assert display.size == (240, 320)
        display.show(sent)
        shown = display.device.image

    assert shown.mode == "RGB" and shown.size == (240, 320)
    assert ImageChops.difference(shown, sent).getbbox() is None


def test_rotation_keeps_the_drawing_size_and_turns_the_panel_image():
    with LcdDisplay.dummy(size=(240, 320), rotation=1) as display:
        assert display.size == (240, 320)
        display.show(frame())
        shown = display.device.image

    assert shown.size == (320, 240)
    assert shown.getpixel((319, 0)) == (255, 0, 0)  # the top-left corner, turned a quarter clockwise


@pytest.mark.parametrize("bad", [frame((320, 240)), frame().convert("L"), frame().convert("RGBA")])
def test_wrong_size_or_mode_is_refused(bad):
    with LcdDisplay.dummy() as display:
        with pytest.raises(ValueError, match="display needs RGB"):
            display.show(bad)
        assert display.device.image is None


def test_close_is_idempotent_and_final():
    display = LcdDisplay.dummy()
    display.close()
    display.close()
    with pytest.raises(DeviceClosed):
        display.show(frame())


def test_st7789_without_spi_is_not_found():
    with pytest.raises(DeviceNotFound, match=r"spidev9\.9"):
        LcdDisplay.st7789(port=9, device=9)


# --- the ST7789 path, over luma's noop interface ------------------------------------------------


class RecordingSerial(noop):
    """luma's ``noop`` interface, keeping each command and data write the device makes."""

    def __init__(self) -> None:
        object.__setattr__(self, "sent", [])

    def command(self, *cmd: int) -> None:
        self.sent.append(("command", bytes(cmd)))

    def data(self, data) -> None:
        self.sent.append(("data", bytes(data)))


class FailingSerial(RecordingSerial):
    """An interface whose SPI writes fail, as spidev's do when the bus goes away."""

    def __init__(self, *, after: int) -> None:
        super().__init__()
        object.__setattr__(self, "after", after)

    def data(self, data) -> None:
        if len(self.sent) >= self.after:
            raise OSError(errno.EIO, "Input/output error")
        super().data(data)


class RecordingGPIO:
    """Enough of RPi.GPIO for luma's backlight: the level each pin was last set to."""

    OUT, LOW, HIGH = "out", 0, 1

    def __init__(self) -> None:
        self.levels: dict[int, int | None] = {}

    def setup(self, pin: int, mode: str) -> None:
        self.levels[pin] = None

    def output(self, pin: int, level: int) -> None:
        self.levels[pin] = level


# Each way an ST7789 (240 x 320 upright) can be mounted: a portrait or a landscape screen.
MOUNTINGS = [((240, 320), 0), ((240, 320), 2), ((320, 240), 1), ((320, 240), 3)]


@pytest.mark.parametrize(("size", "rotation"), MOUNTINGS)
def test_st7789_has_the_dummys_geometry_and_sends_its_frame(size, rotation):
    serial, gpio = RecordingSerial(), RecordingGPIO()
    lcd = LcdDisplay.st7789(size=size, rotation=rotation, gpio_backlight=18, serial=serial, gpio=gpio)
    dummy = LcdDisplay.dummy(size=size, rotation=rotation)
    assert lcd.size == dummy.size == size
    assert gpio.levels[18] == gpio.HIGH  # backlight on

    sent = frame(size)
    del serial.sent[:]
    lcd.show(sent)
    dummy.show(sent)

    # One window of 320 columns x 240 rows, then the pixels: luma's st7789 drives the panel as
    # landscape, so its frame is the dummy's turned one more quarter clockwise.
    assert serial.sent[:5] == [
        ("command", b"\x2a"),
        ("data", bytes([0, 0, 319 >> 8, 319 & 0xFF])),
        ("command", b"\x2b"),
        ("data", bytes([0, 0, 0, 239])),
        ("command", b"\x2c"),
    ]
    (kind, pixels), *rest = serial.sent[5:]
    assert kind == "data" and rest == []
    panel = Image.frombytes("RGB", (320, 240), pixels)
    expected = dummy.device.image.rotate(-90, expand=True)
    assert ImageChops.difference(panel, expected).getbbox() is None

    lcd.close()
    assert gpio.levels[18] == gpio.LOW  # backlight off


@pytest.mark.parametrize(("size", "rotation"), [((240, 320), 1), ((320, 240), 0), ((480, 320), 0)])
def test_st7789_refuses_what_the_panel_cannot_show(size, rotation):
    with pytest.raises(ConfigError, match="at most 240 x 320 upright"):
        LcdDisplay.st7789(size=size, rotation=rotation, serial=noop(), gpio=noop())


def test_st7789_write_errors_are_hardware_errors():
    with pytest.raises(DeviceNotFound, match="Input/output error") as raised:
        LcdDisplay.st7789(serial=FailingSerial(after=0), gpio=noop())
    assert raised.value.device == "display"

    serial = FailingSerial(after=10**6)
    lcd = LcdDisplay.st7789(serial=serial, gpio=noop())
    object.__setattr__(serial, "after", 0)
    with pytest.raises(HardwareError, match="Input/output error"):
        lcd.show(frame())


def test_missing_spidev_is_a_named_fault_not_a_module_error(monkeypatch):
    """With SPI enabled but python3-spidev missing, luma's lazy ``import spidev`` would escape."""
    monkeypatch.setitem(sys.modules, "spidev", None)
    with pytest.raises(DeviceNotFound, match=r"module spidev is missing \(pip install 'madoguchi\[pi\]'"):
        LcdDisplay.st7789(gpio=noop())
    with pytest.raises(DeviceNotFound, match=r"Python module (spidev|RPi) is missing") as raised:
        make_display(HardwareConfig(kind="real"))  # RPi.GPIO, if this machine lacks it, is asked first
    assert raised.value.device == "display"


def test_missing_rpi_gpio_is_a_named_fault_not_a_module_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "RPi", None)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    with pytest.raises(DeviceNotFound, match=r"module RPi(\.GPIO)? is missing .*python3-rpi-lgpio"):
        LcdDisplay.st7789(serial=RecordingSerial())
