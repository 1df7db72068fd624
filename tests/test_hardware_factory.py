"""make_hardware's choice of drivers, and HardwareSettings built from config sections."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from madoguchi.errors import ConfigError, DeviceNotFound
from madoguchi.hardware import HardwareSettings, make_hardware
from madoguchi.hardware.base import Buttons, Camera, Display, Printer, Scanner
from madoguchi.hardware.camera import FileCamera
from madoguchi.hardware.display import LcdDisplay
from madoguchi.hardware.printer import SlipPrinter, VirtualPrinter
from madoguchi.hardware.scanner import SimulatedScanner

# Settings naming devices no test machine has, so "auto" must fall back for each.
ABSENT = {
    "camera_source": "/nonexistent/video0",
    "display_spi_port": 9,
    "printer_driver": "file",
    "printer_file": "/nonexistent/lp0",
}


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_auto_falls_back_to_doubles_with_one_logged_reason_each(caplog):
    caplog.set_level(logging.INFO, logger="madoguchi.hardware")

    hardware = make_hardware(HardwareSettings(kind="auto", camera_driver="opencv", **ABSENT))
    hardware.close()

    assert all(where.startswith("simulated:") for where in hardware.origin.values()), hardware.origin
    fallbacks = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for name, reason in [
        ("camera", "/nonexistent/video0"),
        ("scanner", "SANE"),
        ("display", "spidev9.0"),
        ("printer", "/nonexistent/lp0"),
        ("buttons", "pin factory"),  # gpiozero finds no GPIO on a PC
    ]:
        assert any(m.startswith(f"{name}: falling back from") and reason in m for m in fallbacks), (
            name,
            fallbacks,
        )


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_auto_tries_picamera2_before_opencv(caplog):
    caplog.set_level(logging.WARNING, logger="madoguchi.hardware")

    make_hardware(HardwareSettings(kind="auto", **ABSENT)).close()

    camera = [r.getMessage() for r in caplog.records if r.getMessage().startswith("camera:")]
    assert [m.split(":")[1] for m in camera] == [" falling back from picamera2", " falling back from opencv"]


def test_real_fails_naming_every_driver_tried():
    with pytest.raises(DeviceNotFound, match=r"no camera: picamera2: .*; opencv: .*video0"):
        make_hardware(HardwareSettings(kind="real", **ABSENT))


def test_simulated_builds_the_doubles(simulated_hardware):
    hw = simulated_hardware
    assert isinstance(hw.camera, FileCamera) and isinstance(hw.camera, Camera)
    assert isinstance(hw.scanner, SimulatedScanner) and isinstance(hw.scanner, Scanner)
    assert isinstance(hw.display, LcdDisplay) and isinstance(hw.display, Display)
    assert isinstance(hw.printer, SlipPrinter) and isinstance(hw.printer.printer, VirtualPrinter)
    assert isinstance(hw.printer, Printer) and isinstance(hw.buttons, Buttons)
    assert hw.display.size == (240, 320) and hw.printer.width_px == 576


def test_simulated_devices_work_end_to_end(simulated_hardware):
    hw = simulated_hardware
    pressed = []
    hw.buttons.when_mode = lambda: pressed.append("mode")
    hw.buttons.mode_button.pin.drive_low()
    hw.buttons.mode_button.pin.drive_high()
    assert pressed == ["mode"]

    hw.camera.load([np.full((4, 4, 3), 9, np.uint8)])
    hw.camera.start()
    assert hw.camera.read()[0, 0, 0] == 9
    hw.camera.stop()

    assert (hw.scanner.scan(dpi=300) == 255).all()  # nothing on the glass

    hw.display.show(Image.new("RGB", hw.display.size, "white"))
    assert hw.display.device.image.getpixel((0, 0)) == (255, 255, 255)

    hw.printer.print_slip(Image.new("1", (576, 40), 1))
    assert len(hw.printer.printer.slips) == 1


def test_settings_from_config_sections():
    settings = HardwareSettings.from_sections(
        "simulated", camera={"driver": "opencv", "source": "/dev/video2"}, buttons={"hold_cancel_s": None}
    )
    assert settings.kind == "simulated"
    assert settings.camera_driver == "opencv" and settings.camera_source == "/dev/video2"
    assert settings.buttons_hold_cancel_s is None
    assert settings.printer_width_px == HardwareSettings().printer_width_px

    with pytest.raises(ConfigError, match=r"hardware\.camera\.sorce"):
        HardwareSettings.from_sections(camera={"sorce": "1"})


def test_unknown_kind_is_a_config_error():
    with pytest.raises(ConfigError):
        make_hardware(HardwareSettings(kind="sometimes"))  # type: ignore[arg-type]
