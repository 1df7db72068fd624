"""The staff buttons: on gpiozero (Raspberry Pi, and its mock pins), or on libgpiod (Jetson)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from gpiozero import Button
from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory, MockPin

from madoguchi.config.devices import ButtonsSection, GpiodButtonsConfig, MockButtonsConfig
from madoguchi.errors import DeviceNotFound, HardwareError
from madoguchi.hardware.base import Opened
from madoguchi.hardware.gpio import prepare_lgpio

log = logging.getLogger(__name__)

NAMES = ("start", "mode", "cancel")


class _Callbacks:
    """What every buttons driver does with a press: call ``when_start``, ``when_mode`` or
    ``when_cancel``; with a hold time, START acts on release, and holding it cancels instead."""

    def __init__(self) -> None:
        self.when_start: Callable[[], None] | None = None
        self.when_mode: Callable[[], None] | None = None
        self.when_cancel: Callable[[], None] | None = None
        self._start_held = False

    def _start(self) -> None:
        if self.when_start is not None:
            self.when_start()

    def _mode(self) -> None:
        if self.when_mode is not None:
            self.when_mode()

    def _cancel(self) -> None:
        if self.when_cancel is not None:
            self.when_cancel()

    def _start_pressed(self) -> None:
        self._start_held = False

    def _start_held_down(self) -> None:
        self._start_held = True
        self._cancel()

    def _start_released(self) -> None:
        if not self._start_held:
            self._start()


class StaffButtons(_Callbacks):
    """START, MODE and CANCEL buttons, each wired from a GPIO pin to ground.

        buttons = StaffButtons(start=5, mode=6, cancel=13, pin_factory=MockFactory())
        buttons.when_start = lambda: events.put("start")
        buttons.press("start")  # in a test or the simulator, on mock pins only

    The ``when_*`` callbacks run on gpiozero's threads and should only queue an event. When
    ``hold_cancel`` is set, holding START that long calls ``when_cancel`` instead, so START is reported
    on release (a short press) rather than on press.

    :param start, mode, cancel: GPIO pins, in gpiozero's naming (5, "GPIO5", "BOARD29").
    :param bounce_time: seconds of contact bounce to ignore after each edge; None for none.
    :param hold_cancel: seconds START must be held to cancel; None disables the long press.
    :param pin_factory: gpiozero pin factory; None lets gpiozero choose (lgpio on a Pi 5).

    Raises DeviceNotFound when a pin cannot be had (no GPIO, a pin in use, an invalid pin).
    """

    def __init__(
        self,
        *,
        start: int | str,
        mode: int | str,
        cancel: int | str,
        bounce_time: float | None = 0.05,
        hold_cancel: float | None = 2.0,
        pin_factory: Factory | None = None,
    ) -> None:
        super().__init__()
        buttons: list[Button] = []
        if pin_factory is None:
            prepare_lgpio()  # before gpiozero picks (and loads) lgpio
        try:
            for name, pin, hold_time in (
                ("start", start, hold_cancel),
                ("mode", mode, None),
                ("cancel", cancel, None),
            ):
                try:
                    button = Button(
                        pin, bounce_time=bounce_time, hold_time=hold_time or 1.0, pin_factory=pin_factory
                    )
                except Exception as e:  # gpiozero's BadPinFactory, GPIOPinInUse, PinInvalidPin; lgpio.error
                    raise DeviceNotFound(
                        f"{name} button on GPIO {pin}: {type(e).__name__}: {e}", device="buttons"
                    ) from e
                buttons.append(button)
        except BaseException:
            for button in buttons:
                button.close()
            raise
        self.start_button, self.mode_button, self.cancel_button = buttons
        if hold_cancel is None:
            self.start_button.when_pressed = self._start
        else:
            self.start_button.when_pressed = self._start_pressed
            self.start_button.when_held = self._start_held_down
            self.start_button.when_released = self._start_released
        self.mode_button.when_pressed = self._mode
        self.cancel_button.when_pressed = self._cancel

    @property
    def pin_factory(self) -> Factory:
        return self.start_button.pin_factory

    def press(self, name: str, *, hold_s: float = 0.08) -> None:
        """Press button ``name`` ("start", "mode" or "cancel") for ``hold_s`` seconds: its mock pin is
        driven low, then high again. Only on mock pins; real ones are pressed by a finger."""
        if name not in NAMES:
            raise ValueError(f"no {name!r} button; the buttons are {', '.join(NAMES)}")
        pin = getattr(self, f"{name}_button").pin
        if not isinstance(pin, MockPin):
            raise TypeError(f"press() drives gpiozero mock pins only; the {name} button is on {pin!r}")
        pin.drive_low()
        time.sleep(hold_s)
        pin.drive_high()
        time.sleep(hold_s)  # a finger is off the button longer than its bounce time before the next press

    def close(self) -> None:
        for button in (self.start_button, self.mode_button, self.cancel_button):
            try:
                button.close()
            except Exception as e:  # lgpio.error, OSError while releasing a pin
                raise HardwareError(f"buttons: closing GPIO {button.pin}: {e}") from e

    def __enter__(self) -> StaffButtons:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GpiodButtons(_Callbacks):
    """START, MODE and CANCEL buttons on lines of a GPIO chip, through libgpiod (the Jetson's buttons:
    gpiozero finds no pin factory there). Each line is pulled up and active low, as on the Pi.

        buttons = GpiodButtons(chip="/dev/gpiochip0", start=105, mode=106, cancel=43)
        buttons.when_start = lambda: events.put("start")

    One thread waits for the lines' edges and calls the ``when_*`` callbacks, which should only queue
    an event. ``bounce_time`` and ``hold_cancel`` are as for :class:`StaffButtons`.

    :param chip: the GPIO chip's device node (``gpiodetect`` lists them).
    :param start, mode, cancel: line offsets on that chip (``gpioinfo`` lists them).

    Raises DeviceNotFound when the gpiod module, the chip or a line cannot be had.
    """

    def __init__(
        self,
        *,
        chip: str,
        start: int,
        mode: int,
        cancel: int,
        bounce_time: float | None = 0.05,
        hold_cancel: float | None = 2.0,
    ) -> None:
        super().__init__()
        try:
            import gpiod
            from gpiod.line import Bias, Direction, Edge
        except ImportError as e:
            raise DeviceNotFound(
                f"Python module gpiod is missing ({e}): pip install 'madoguchi[jetson]'", device="buttons"
            ) from e
        self._names = {start: "start", mode: "mode", cancel: "cancel"}
        self._hold_cancel = hold_cancel
        self._hold: threading.Timer | None = None
        settings = gpiod.LineSettings(
            direction=Direction.INPUT,
            edge_detection=Edge.BOTH,
            bias=Bias.PULL_UP,
            active_low=True,
            debounce_period=timedelta(seconds=bounce_time or 0),
        )
        try:
            self._request = gpiod.request_lines(
                chip, consumer="madoguchi", config={tuple(self._names): settings}
            )
        except (OSError, ValueError) as e:  # no such chip or line, or a line in use
            raise DeviceNotFound(
                f"buttons on {chip} lines {start}, {mode}, {cancel}: {e}", device="buttons"
            ) from e
        self._rising = gpiod.EdgeEvent.Type.RISING_EDGE  # active low: a press is a logical rise
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="madoguchi-buttons", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._closing.is_set():
            return
        self._closing.set()
        self._thread.join()
        if self._hold is not None:
            self._hold.cancel()
        try:
            self._request.release()
        except OSError as e:
            raise HardwareError(f"buttons: releasing the GPIO lines: {e}") from e

    def __enter__(self) -> GpiodButtons:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _watch(self) -> None:
        while not self._closing.is_set():
            try:
                if not self._request.wait_edge_events(timedelta(milliseconds=200)):
                    continue
                events = self._request.read_edge_events()
            except OSError as e:  # the chip went away: the buttons stay silent, and say why
                log.error("buttons: reading the GPIO lines failed: %s", e)
                return
            for event in events:
                self._edge(self._names[event.line_offset], pressed=event.event_type == self._rising)

    def _edge(self, name: str, *, pressed: bool) -> None:
        if name != "start" or self._hold_cancel is None:
            if pressed:
                {"start": self._start, "mode": self._mode, "cancel": self._cancel}[name]()
        elif pressed:
            if self._hold is not None:  # a second press edge without a release between
                self._hold.cancel()
            self._start_pressed()
            self._hold = threading.Timer(self._hold_cancel, self._start_held_down)
            self._hold.daemon = True
            self._hold.start()
        elif self._hold is not None:
            self._hold.cancel()
            self._hold.join()
            self._start_released()


# --- opening the buttons a [hardware.buttons] section names (madoguchi.hardware.factory) --------------


def staff_buttons(section: ButtonsSection, pin_factory: Factory | None = None) -> StaffButtons:
    """The three buttons on the section's BCM pins, through ``pin_factory`` (None: gpiozero picks)."""
    return StaffButtons(
        start=section.start,
        mode=section.mode,
        cancel=section.cancel,
        bounce_time=section.bounce_s or None,
        hold_cancel=section.hold_cancel_s or None,
        pin_factory=pin_factory,
    )


def open_gpio_buttons(section: ButtonsSection) -> Opened:
    buttons = staff_buttons(section)  # gpiozero picks its factory, warning per fallback
    return buttons, f"gpio:{type(buttons.pin_factory).__name__}"


def open_gpiod_buttons(section: GpiodButtonsConfig) -> Opened:
    buttons = GpiodButtons(
        chip=section.chip,
        start=section.start,
        mode=section.mode,
        cancel=section.cancel,
        bounce_time=section.bounce_s or None,
        hold_cancel=section.hold_cancel_s or None,
    )
    return buttons, f"gpiod:{section.chip}"


def open_mock_buttons(section: ButtonsSection) -> Opened:
    """gpiozero's mock pins; a gpiod section's lines are no BCM pins, so its double keeps BCM 5, 6, 13."""
    if isinstance(section, GpiodButtonsConfig):
        section = MockButtonsConfig(bounce_s=section.bounce_s, hold_cancel_s=section.hold_cancel_s)
    return staff_buttons(section, MockFactory()), "simulated:MockFactory"
