"""``[hardware]`` in config.toml: which devices (:mod:`.devices` has each one's section), and checks
across devices: the ``verify_*`` functions below, called from one validator, each naming its key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from madoguchi.config.devices import (
    PANEL,
    SPI_PINS,
    AutoCameraConfig,
    ButtonsConfig,
    ButtonsSection,
    CameraConfig,
    DisplayConfig,
    DisplaySection,
    GpioButtonsConfig,
    KeypadConfig,
    PrinterConfig,
    SaneScannerConfig,
    ScannerConfig,
    St7789Config,
    UsbPrinterConfig,
    as_mounted,
)
from madoguchi.section import Section

Kind = Literal["auto", "real", "simulated"]


class HardwareConfig(Section):
    kind: Kind = Field(
        default="auto",
        title="Devices",
        description="real: at start, a missing device is named on the LCD and waited for; auto: the "
        "same where any real device is found (a double never stands in for a counter's device), and "
        "every device's double where none is (a PC, said in the journal); simulated: doubles only.",
    )
    camera: CameraConfig = Field(
        default_factory=AutoCameraConfig, title="Camera", description="The camera that sees the visitor."
    )
    scanner: ScannerConfig = Field(
        default_factory=SaneScannerConfig, title="Scanner", description="The scanner for cards and forms."
    )
    display: DisplayConfig = Field(
        default_factory=St7789Config, title="Display", description="The staff-facing LCD."
    )
    printer: PrinterConfig = Field(
        default_factory=UsbPrinterConfig, title="Printer", description="The slip printer."
    )
    buttons: ButtonsConfig = Field(
        default_factory=GpioButtonsConfig, title="Buttons", description="The START, MODE and CANCEL buttons."
    )
    keypad: KeypadConfig | None = Field(
        default=None, title="Keypad", description="A USB numeric keypad to key in 照合番号B; none: no keypad."
    )

    @model_validator(mode="after")
    def _verify(self) -> HardwareConfig:
        problems = [
            *verify_panel_size(self.display),
            *verify_buttons_apart(self.buttons),
            *verify_display_pins(self.buttons, self.display),
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self


def verify_panel_size(display: DisplaySection) -> list[str]:
    """An ST7789 is 240 x 320 upright: a landscape screen is drawn 320 x 240 with rotation 1 or 3."""
    if not isinstance(display, St7789Config):
        return []
    across, down = as_mounted((display.width, display.height), display.rotation)
    if across <= PANEL[0] and down <= PANEL[1]:
        return []
    key = "rotation" if (down, across) == PANEL else "width" if across > PANEL[0] else "height"
    return [
        f"hardware.display.{key}: an ST7789 shows at most {PANEL[0]} x {PANEL[1]} upright; "
        f"{display.width} x {display.height} with rotation {display.rotation} is {across} x {down} on it"
    ]


def verify_buttons_apart(buttons: ButtonsSection) -> list[str]:
    """Each button has its own pin (mock pins too: gpiozero refuses a pin twice)."""
    problems, seen = [], {}
    for key in ("start", "mode", "cancel"):
        pin = getattr(buttons, key)
        if pin in seen:
            problems.append(f"hardware.buttons.{key}: GPIO {pin} is already the {seen[pin]} button")
        seen.setdefault(pin, key)
    return problems


def verify_display_pins(buttons: ButtonsSection, display: DisplaySection) -> list[str]:
    """The LCD's DC, reset and backlight pins, and its SPI bus's pins, have no other job."""
    if not isinstance(display, St7789Config):
        return []
    taken = {
        pin: f"LCD's SPI{display.spi_port} {role}" for pin, role in SPI_PINS.get(display.spi_port, {}).items()
    }
    problems = []
    for key in ("gpio_dc", "gpio_rst", "gpio_backlight"):
        pin = getattr(display, key)
        if pin in taken:
            problems.append(f"hardware.display.{key}: GPIO {pin} is already the {taken[pin]}")
        taken.setdefault(pin, f"LCD's {key.removeprefix('gpio_')} pin")
    if isinstance(buttons, GpioButtonsConfig):
        for key in ("start", "mode", "cancel"):
            pin = getattr(buttons, key)
            if pin in taken:
                problems.append(f"hardware.buttons.{key}: GPIO {pin} is already the {taken[pin]}")
    return problems
