"""Staff key in digits (a chip's access code) with a USB keypad, or with the three buttons.

With the buttons, MODE steps the digit under the cursor (blank, 0 … 9, 0 …) and START moves to the
next digit; with the USB keypad (:class:`~madoguchi.counter.state.KeyPress`), a digit key sets the
digit under the cursor and moves on, BACKSPACE goes back and blanks it, ENTER is START and ESC is
CANCEL. After the last digit comes a confirmation: START (ENTER) returns the digits, MODE (or
BACKSPACE) goes back to correct them; CANCEL raises Cancelled, as do ``code_seconds`` without a
press, so a half-entered code never waits for the next visitor. The entry may start prefilled (the
code read from the card face: the cursor then stands on the first blank, or on the confirmation
when none is left); a blank digit is never passed by START, so no code goes out unless every digit
was read or keyed. Every press is acted on here (nothing else could take it, and answering it as
"busy" would make the code unenterable); a technician's call waits as during any transaction.
The digits are never logged, and their buffer is zeroed however the entry ends.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable

from madoguchi.counter.calls import Call, Calls
from madoguchi.counter.events import EventQueue
from madoguchi.counter.lcd import Lcd
from madoguchi.counter.state import Event, KeyPress
from madoguchi.errors import Cancelled

log = logging.getLogger(__name__)

BLANK = ord("_")
KEYS = {"enter": Event.START, "escape": Event.CANCEL}
"""The keypad's keys that do what a button does."""


class Keypad:
    """The three buttons as a keypad, on the LCD.

    :param events: the counter's inbox, where the presses arrive.
    :param calls: where a technician's call arriving meanwhile is put off.
    :param lcd: shows the digits.
    :param clock: monotonic seconds.
    :param heartbeat: called at least once a second (systemd's watchdog).
    :param seconds: the ``code_seconds`` in force: how long without a press ends the entry.
    """

    def __init__(
        self,
        events: EventQueue,
        calls: Calls,
        lcd: Lcd,
        *,
        clock: Callable[[], float],
        heartbeat: Callable[[], None],
        seconds: Callable[[], float],
    ) -> None:
        self.events = events
        self.calls = calls
        self.lcd = lcd
        self.clock = clock
        self.heartbeat = heartbeat
        self.seconds = seconds

    def ask(
        self,
        prompt: str,
        length: int,
        *,
        groups: tuple[int, ...],
        hint: str | None = None,
        prefill: bytes | bytearray | None = None,
        notice: str | None = None,
    ) -> str:
        """``length`` digits, shown in ``groups`` under message ``prompt`` (and ``hint``), starting
        from ``prefill`` ("_" for a blank) with ``notice`` shown until the first press."""
        digits = bytearray(prefill if prefill is not None and len(prefill) == length else b"_" * length)
        cursor, changed = digits.find(b"_") % (length + 1), True
        last_press = self.clock()
        self.lcd.saw(prompt, *([notice] if notice else []))
        self.lcd.forget()  # not kept to be drawn again: it shows the code
        self.events.keys_wanted = True
        try:
            while True:
                self.heartbeat()
                if changed:
                    shown = digits.decode()
                    self.lcd.show(
                        self.lcd.presenter.digits(
                            prompt, shown, cursor=cursor, groups=groups, hint=hint, notice=notice
                        )
                    )
                try:
                    event = self.events.get(timeout=1.0)
                except queue.Empty:
                    if self.clock() - last_press >= self.seconds():
                        log.info("no press for %g s: the access code was wiped", self.seconds())
                        raise Cancelled from None
                    changed = False
                    continue
                try:
                    if isinstance(event, Call):
                        self.calls.take(event)
                        changed = False
                        continue
                    changed, last_press, notice = True, self.clock(), None
                    if isinstance(event, KeyPress) and event.key.isdigit():
                        if cursor < length:
                            digits[cursor], cursor = ord(event.key), cursor + 1
                        continue
                    if isinstance(event, KeyPress) and event.key == "backspace":
                        cursor = max(cursor - 1, 0)
                        digits[cursor] = BLANK
                        continue
                    button = KEYS.get(event.key) if isinstance(event, KeyPress) else event
                    if button is None:
                        continue
                    if button in (Event.STOP, Event.CANCEL):
                        raise Cancelled
                    if button is Event.MODE:
                        if cursor == length:
                            cursor = 0
                        else:
                            digits[cursor] = (
                                ord("0") if digits[cursor] in (BLANK, ord("9")) else digits[cursor] + 1
                            )
                    elif cursor == length:
                        return digits.decode()
                    elif digits[cursor] == BLANK:
                        notice = "digit_blank"
                        self.lcd.saw(notice)
                    else:
                        cursor += 1
                finally:
                    self.events.handled()
        finally:
            self.events.keys_wanted = False
            digits[:] = bytes(length)
