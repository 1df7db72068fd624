"""Simulated hardware only: press a button of the simulated desk over the socket, after laying a page
on the scanner and putting frames before the camera (image files), as gpiozero's mock pins would.

The tests and ``madoguchi simulate``'s users drive a daemon started on simulated hardware this way;
a daemon on real devices refuses it (``not_allowed``).
"""

from __future__ import annotations

from typing import Literal

from PIL import Image
from pydantic import Field

from madoguchi.counter.calls import Call
from madoguchi.counter.state import Event
from madoguchi.errors import ProtocolError
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, Arguments

WAIT_S = 300.0
"""How long ``press --wait`` waits for the simulated transaction (a slow machine, many faces)."""


class PressArguments(Arguments):
    """A button, and what the scanner and camera will see (image files).

    ``page`` is laid on the glass and stays there, as a page does until staff lift it; "" takes it
    away (an empty glass); None leaves the glass as it is."""

    button: Literal["start", "mode", "cancel"]
    page: str | None = Field(default=None, max_length=4096)
    frames: list[str] = Field(default_factory=list, max_length=30)
    wait: bool = False


class PressAnswer(Answer):
    button: str
    last_transaction: int
    outcome: str | None
    threshold: int | None


def image_file(path: str) -> str:
    """``path``, once it is known to name a readable image file; ProtocolError saying why not."""
    try:
        with Image.open(path) as image:
            image.verify()
    except Exception as error:  # Pillow raises many kinds for a file that is not an image: all one answer
        raise ProtocolError(
            "bad_request", f"not an image file: {path[:200]!r} ({type(error).__name__})"
        ) from None
    return path


def handle(appliance: Appliance, arguments: PressArguments, _peer: Peer) -> PressAnswer:
    """Load the devices, press; with ``wait``, answer once the counter has acted on the press."""
    if appliance.config_file.config.hardware.kind != "simulated":
        raise ProtocolError("not_allowed", 'press works only with hardware.kind = "simulated"')
    for path in (arguments.page or None, *arguments.frames):
        if path is not None:
            image_file(path)
    hardware = appliance.hardware

    def load() -> None:
        if arguments.page is not None:
            hardware.scanner.load([arguments.page or None])  # "": an empty glass
        if arguments.frames:
            hardware.camera.load(arguments.frames)

    loaded = Call(load)
    appliance.counter.submit(loaded)
    loaded.wait(WAIT_S)
    appliance.counter.submit(Event(arguments.button))
    last = appliance.tally.last
    if arguments.wait:
        after = Call(lambda: appliance.tally.last)  # queued behind the press: runs once it is acted on
        appliance.counter.submit(after)
        last = after.wait(WAIT_S)  # type: ignore[assignment]
    return PressAnswer(
        button=arguments.button,
        last_transaction=last.number if last else 0,
        outcome=last.code if last else None,
        threshold=last.threshold if last else None,
    )


PRESS = Command(
    name="press",
    help="simulated hardware only: press START, MODE or CANCEL",
    request="press",
    arguments=PressArguments,
    answer=PressAnswer,
    handle=handle,
)
