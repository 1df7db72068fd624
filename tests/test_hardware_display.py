"""LcdDisplay on luma's dummy device."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageDraw

from madoguchi.errors import DeviceClosed, DeviceNotFound
from madoguchi.hardware.display import LcdDisplay


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
