"""``madoguchi press start|mode|cancel``: simulated hardware only: press a button of the simulated desk,
after laying a page on the scanner and putting frames before the camera (image files), as
gpiozero's mock pins would. ``--sample genuine`` (or ``impostor``) brings a visitor from the package's
sample images (public-domain photographs), written for the daemon into a private temporary directory
and removed after the press.

Newcomers drive a daemon started with ``madoguchi run --simulated`` this way, and so do the tests; a
daemon on real devices refuses it (``not_allowed``).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Literal

from PIL import Image
from pydantic import Field

from madoguchi.counter.calls import Call
from madoguchi.counter.state import Event
from madoguchi.errors import ExitCode, ProtocolError
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer, through_daemon
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
    score: int | None = None
    """As staff see it (rounded down), None when there was none."""
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
        score=last.shown_score if last else None,
        threshold=last.threshold if last else None,
    )


WORDS = {
    "pressed": Text("ボタンを押しました", "pressed"),
    "last": Text("最後の照合", "last transaction"),
    "none": Text("まだありません", "none yet"),
    "score": Text("スコア", "score"),
    "threshold": Text("基準値", "threshold"),
}


def render(data: PressAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    words = {key: text(language) for key, text in WORDS.items()}
    score = "" if data.score is None else f" {words['score']} {data.score}"
    last = (
        f"#{data.last_transaction} {data.outcome}{score}, {words['threshold']} {data.threshold}"
        if data.last_transaction
        else words["none"]
    )
    return ExitCode.OK, [
        f"{WORDS['pressed'](language)}: {data.button.upper()}; {WORDS['last'](language)}: {last}"
    ]


def sample_visitor(kind: str, directory: Path) -> dict[str, object]:
    """A card page and camera frames for ``kind`` ("genuine": the card's holder at the camera;
    "impostor": someone else), as PNG files in ``directory``."""
    # The sample images' libraries (OpenCV, scikit-image) load only for a sample press: the other
    # commands start at once.
    from madoguchi.synthetic.cards import sample_card_page
    from madoguchi.synthetic.frames import swaying_frames
    from madoguchi.synthetic.people import another_day, package_people

    genuine, impostor = package_people()
    page = directory / "card.png"
    Image.fromarray(sample_card_page(genuine)).save(page)
    frames = []
    for index, frame in enumerate(swaying_frames(another_day(genuine) if kind == "genuine" else impostor)):
        frames.append(str(directory / f"frame-{index}.png"))
        Image.fromarray(frame).save(frames[-1])
    return {"page": str(page), "frames": frames}


def run(args: argparse.Namespace) -> ExitCode:
    if args.sample is None:
        return through_daemon(PRESS, args)
    with tempfile.TemporaryDirectory(prefix="madoguchi-press-") as directory:
        Path(directory).chmod(0o700)
        vars(args).update(sample_visitor(args.sample, Path(directory)))
        return through_daemon(PRESS, args)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("button", choices=("start", "mode", "cancel"))
    parser.add_argument("--page", help='an image file laid on the scanner first ("": an empty glass)')
    parser.add_argument(
        "--frame", dest="frames", action="append", default=[], help="an image the camera sees"
    )
    parser.add_argument("--sample", choices=("genuine", "impostor"), help="a sample visitor and their card")
    parser.add_argument("--wait", action="store_true", help="answer once the counter has acted on it")


PRESS = Command(
    name="press",
    help="simulated hardware only: press START, MODE or CANCEL",
    request="press",
    arguments=PressArguments,
    answer=PressAnswer,
    handle=handle,
    render=render,
    options=options,
    run=run,
)
