"""The staff buttons, on gpiozero."""

from __future__ import annotations

import time
from collections.abc import Callable

from gpiozero import Button
from gpiozero.pins import Factory


class StaffButtons:
    """START, MODE and CANCEL buttons, each wired from a GPIO pin to ground.

        buttons = StaffButtons(start=5, mode=6, cancel=13, pin_factory=MockFactory())
        buttons.when_start = lambda: events.put("start")
        buttons.start_button.pin.drive_low()  # in a test or the simulator: press START

    The ``when_*`` callbacks run on gpiozero's threads and should only queue an event. When
    ``hold_cancel`` is set, holding START that long calls ``when_cancel`` instead, so START is reported
    on release (a short press) rather than on press.

    :param start, mode, cancel: GPIO pins, in gpiozero's naming (5, "GPIO5", "BOARD29").
    :param bounce_time: seconds of contact bounce to ignore after each edge; None for none.
    :param hold_cancel: seconds START must be held to cancel; None disables the long press.
    :param pin_factory: gpiozero pin factory; None lets gpiozero choose (lgpio on a Pi 5).
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
        self.when_start: Callable[[], None] | None = None
        self.when_mode: Callable[[], None] | None = None
        self.when_cancel: Callable[[], None] | None = None
        self._start_held = False
        buttons: list[Button] = []
        try:
            for pin, hold_time in ((start, hold_cancel), (mode, None), (cancel, None)):
                buttons.append(
                    Button(pin, bounce_time=bounce_time, hold_time=hold_time or 1.0, pin_factory=pin_factory)
                )
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

    def press(self, name: str, *, hold_s: float = 0.08) -> None:
        """Press and release button ``name`` on mock pins (tests, the simulator): ``hold_s`` is
        longer than the bounce time."""
        pin = getattr(self, f"{name}_button").pin
        pin.drive_low()
        time.sleep(hold_s)
        pin.drive_high()
        time.sleep(hold_s)  # so the next press's edge is not taken for contact bounce

    @property
    def pin_factory(self) -> Factory:
        return self.start_button.pin_factory

    def close(self) -> None:
        for button in (self.start_button, self.mode_button, self.cancel_button):
            button.close()

    def __enter__(self) -> StaffButtons:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
