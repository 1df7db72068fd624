"""``madoguchi show lcd --out FILE.png``: the screen a simulated counter shows now, written to a PNG,
for a newcomer driving a daemon on a PC (``madoguchi run --simulated``). Simulated hardware only:
a real box's screen is looked at, not fetched. It is the last screen the counter drew: words and a
score, never the camera check's view (which is not drawn by the counter)."""

from __future__ import annotations

import argparse
import base64
import binascii
import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from madoguchi.cli.core import emit, language
from madoguchi.errors import ExitCode, ProtocolError, Refused, Unavailable
from madoguchi.language import Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer, refused, unavailable
from madoguchi.ops.control.protocol import Answer, NoArguments

WRITTEN = Text("液晶画面の表示を保存しました", "the LCD's screen was written to")


class ShowLcdAnswer(Answer):
    width_px: int
    height_px: int
    png_base64: str
    """The screen as a PNG (base64); a screen holds words and a score only."""


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> ShowLcdAnswer:
    if appliance.config_file.config.hardware.kind != "simulated":
        raise ProtocolError("not_allowed", 'show lcd works only with hardware.kind = "simulated"')
    screen = appliance.screen()
    if screen is None:
        raise ProtocolError("failed", "the counter has drawn nothing yet")
    encoded = io.BytesIO()
    screen.save(encoded, "PNG")
    return ShowLcdAnswer(
        width_px=screen.width,
        height_px=screen.height,
        png_base64=base64.b64encode(encoded.getvalue()).decode(),
    )


def run(args: argparse.Namespace) -> ExitCode:
    try:
        answer, _ = SHOW_LCD.ask(args)
    except Unavailable as error:
        return unavailable(args, SHOW_LCD, error)
    except Refused as error:
        return refused(args, SHOW_LCD, error)
    assert isinstance(answer, ShowLcdAnswer)
    try:
        with Image.open(io.BytesIO(base64.b64decode(answer.png_base64, validate=True))) as screen:
            screen.save(args.out)
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError) as error:
        return emit(args, SHOW_LCD.name, ExitCode.FAILED, {"error": str(error)}, [f"{args.out}: {error}"])
    line = f"{WRITTEN(language(args))} {args.out} ({answer.width_px}x{answer.height_px})"
    data = {"out": str(args.out), "width_px": answer.width_px, "height_px": answer.height_px}
    return emit(args, SHOW_LCD.name, ExitCode.OK, data, [line])


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=Path("lcd.png"), help="the PNG to write (default lcd.png)"
    )


SHOW_LCD = Command(
    name="show lcd",
    help="simulated hardware only: write what the LCD shows now to a PNG",
    request="show_lcd",
    answer=ShowLcdAnswer,
    handle=handle,
    options=options,
    run=run,
)
