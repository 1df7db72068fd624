"""The counter's states and the events that move it, as small string enums with named groups.

Like OctoPrint's connection states, each state is listed once and checks read as group membership
("state in BUSY_STATES"): a state added later joins a group instead of every check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class State(str, enum.Enum):
    IDLE = "idle"
    """Ready for START; the last result may still be on the screen."""
    ENTERING_CODE = "entering_code"
    """Staff key in an access code with the buttons: every press is acted on."""
    READING = "reading"
    """A reference source reads its photo from a device other than the scanner (the IC chip)."""
    SCANNING = "scanning"
    LOCATING = "locating"
    CAPTURING = "capturing"
    SCORING = "scoring"
    WIPING = "wiping"
    REPORTING = "reporting"
    OUT_OF_SERVICE = "out_of_service"
    """No transaction can start: no audit record can be kept now (a full disk). Resumes by itself."""
    STOPPED = "stopped"


BUSY_STATES = frozenset(
    {
        State.ENTERING_CODE,
        State.READING,
        State.SCANNING,
        State.LOCATING,
        State.CAPTURING,
        State.SCORING,
        State.WIPING,
        State.REPORTING,
    }
)
"""A visitor's transaction is under way: START and MODE are answered, not acted on (except while
staff key in an access code, ENTERING_CODE, where they are the keypad)."""
IDLE_STATES = frozenset({State.IDLE})
"""Waiting for staff."""
STOPPED_STATES = frozenset({State.OUT_OF_SERVICE, State.STOPPED})
"""Serving no one."""


class Event(str, enum.Enum):
    START = "start"
    MODE = "mode"
    CANCEL = "cancel"
    STOP = "stop"


@dataclass(frozen=True)
class KeyPress:
    """A key of the USB keypad: "0"-"9", "enter", "backspace" or "escape". Only a code being keyed
    in takes it (anywhere else it is ignored); a digit is personal data, so it is never shown."""

    key: str = field(repr=False)
