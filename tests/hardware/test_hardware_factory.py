"""make_hardware's choice of drivers, from the [hardware] config and its device sections."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from madoguchi.config.hardware import HardwareConfig
from madoguchi.errors import DeviceClosed, DeviceNotFound, ScannerGone
from madoguchi.hardware.base import Buttons, Camera, Display, Printer, Scanner
from madoguchi.hardware.camera import FileCamera
from madoguchi.hardware.display import LcdDisplay
from madoguchi.hardware.factory import make_hardware
from madoguchi.hardware.printer import SlipPrinter, VirtualPrinter
from madoguchi.hardware.scanner import SimulatedScanner


def absent(kind: str, camera: str = "auto") -> HardwareConfig:
    """Sections naming devices no test machine has, so "auto" must fall back for each."""
    return HardwareConfig(
        kind=kind,
        camera={"driver": camera, "source": "/nonexistent/video0"},
        display={"spi_port": 6},
        printer={"driver": "file", "file": "/nonexistent/lp0"},
    )


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_auto_on_a_pc_without_any_real_device_simulates_every_one_and_says_why(caplog):
    caplog.set_level(logging.INFO, logger="madoguchi.hardware")

    hardware = make_hardware(absent("auto", camera="opencv"))
    hardware.close()

    assert all(where.startswith("simulated:") for where in hardware.origin.values()), hardware.origin
    (said,) = [r.getMessage() for r in caplog.records if "every device is simulated" in r.getMessage()]
    for reason in ("/nonexistent/video0", "SANE", "spidev6.0", "/nonexistent/lp0", "pin factory"):
        assert reason in said, (reason, said)


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_auto_on_a_box_with_a_real_device_never_stands_a_double_in_for_a_missing_one(tmp_path):
    """The printer is there (a device node); the camera is not: that is a counter missing its camera,
    named (the daemon waits for it, saying so on the LCD), not a PC to simulate."""
    node = tmp_path / "lp0"
    node.write_bytes(b"")
    config = HardwareConfig(
        kind="auto",
        camera={"driver": "opencv", "source": "/nonexistent/video0"},
        display={"spi_port": 6},
        printer={"driver": "file", "file": str(node)},
    )
    with pytest.raises(DeviceNotFound, match="no camera") as missing:
        make_hardware(config)
    assert missing.value.device == "camera"


@pytest.mark.filterwarnings("ignore::gpiozero.exc.PinFactoryFallback")
def test_auto_tries_picamera2_before_opencv(caplog):
    caplog.set_level(logging.WARNING, logger="madoguchi.hardware")

    make_hardware(absent("auto")).close()

    (said,) = [r.getMessage() for r in caplog.records if "every device is simulated" in r.getMessage()]
    assert said.index("picamera2:") < said.index("opencv:")


def test_real_fails_naming_every_driver_tried():
    with pytest.raises(DeviceNotFound, match=r"no camera: picamera2: .*; opencv: .*video0"):
        make_hardware(absent("real"))


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
    hw.buttons.press("mode")
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


def test_sections_take_their_drivers_defaults():
    hardware = HardwareConfig.model_validate(
        {
            "kind": "simulated",
            "camera": {"driver": "opencv", "source": "/dev/video2"},
            "buttons": {"hold_cancel_s": 0},
        }
    )
    assert hardware.kind == "simulated"
    assert hardware.camera.driver == "opencv" and hardware.camera.source == "/dev/video2"
    assert hardware.buttons.driver == "gpio" and hardware.buttons.hold_cancel_s == 0
    assert hardware.printer.width_px == HardwareConfig().printer.width_px == 576

    with pytest.raises(ValidationError, match=r"camera\.auto\.sorce"):
        HardwareConfig.model_validate({"camera": {"sorce": "1"}})


def test_unknown_kind_is_refused():
    with pytest.raises(ValidationError, match="kind"):
        HardwareConfig(kind="sometimes")  # type: ignore[arg-type]


class StuckScanner:
    """A scanner whose driver fails to let go of it."""

    def close(self) -> None:
        raise ScannerGone("the USB device did not answer the release")


def test_close_reaches_every_device_and_logs_what_failed(simulated_hardware, caplog):
    hw = simulated_hardware
    scanner, hw.scanner = hw.scanner, StuckScanner()
    try:
        hw.close()
    finally:
        scanner.close()  # it holds SANE's test:0, which other tests open

    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        warning.startswith("closing the scanner (simulated:SimulatedScanner") and "did not answer" in warning
    )
    with pytest.raises(DeviceClosed):  # the devices after it were closed all the same
        hw.display.show(Image.new("RGB", hw.display.size))
    with pytest.raises(DeviceClosed):
        hw.printer.print_slip(Image.new("1", (576, 8), 1))
