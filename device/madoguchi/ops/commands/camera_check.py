"""``madoguchi camera-check``: the camera's view, the face box and the quality figures, on the LCD
only, to aim the camera. Every frame is wiped once shown; the answer carries figures, no image."""

from __future__ import annotations

import argparse
import time

import numpy as np
from PIL import Image, ImageDraw
from pydantic import Field

from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, Arguments
from madoguchi.privacy import wipe

LONGEST_S = 120

WORDS = {
    "frames": Text("フレーム数（顔あり）", "frames (with a face)"),
    "figures": Text(
        "最良フレーム：目の間隔 px／鮮鋭度／明るさ", "best frame: eye distance px / sharpness / brightness"
    ),
    "lcd_only": Text(
        "映像と顔の枠は液晶画面にのみ表示しました", "the view and the face box were shown on the LCD only"
    ),
}


class CameraCheckArguments(Arguments):
    seconds: int = Field(default=10, ge=1, le=LONGEST_S)


class CameraCheckAnswer(Answer):
    seconds: int
    frames: int
    frames_with_face: int
    frame_size: str
    eye_distance_px: float | None
    sharpness: float | None
    brightness: float | None
    """Of the best frame, as the capture step measures them; the face box is shown on the LCD only."""


def camera_view(
    frame: np.ndarray, size: tuple[int, int], box: tuple[float, ...] | None, text: str
) -> Image.Image:
    """The frame scaled to the LCD, the face's box on it, the figures underneath."""
    view = Image.fromarray(frame).convert("RGB")
    scale = min(size[0] / view.width, size[1] / view.height)
    view = view.resize((max(1, int(view.width * scale)), max(1, int(view.height * scale))))
    screen = Image.new("RGB", size, "black")
    screen.paste(view, (0, 0))
    draw = ImageDraw.Draw(screen)
    if box is not None:
        draw.rectangle([value * scale for value in box], outline="lime", width=2)
    draw.text((4, size[1] - 14), text, fill="yellow")
    return screen


def _camera_check(appliance: Appliance, seconds: int) -> CameraCheckAnswer:
    camera, display, engine = appliance.hardware.camera, appliance.hardware.display, appliance.engine
    frames = with_face = 0
    best: dict[str, float] | None = None
    size = "-"
    camera.start()
    try:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            appliance.notifier.watchdog()
            frame = camera.read()
            frames += 1
            size = f"{frame.shape[1]}x{frame.shape[0]}"
            box, text = None, "no face"
            try:
                faces = engine.find_faces(frame)
                if faces:
                    with_face += 1
                    face = max(faces, key=lambda found: found.box.width)
                    figures = appliance.measure(frame, face)
                    if best is None or figures["sharpness"] > best["sharpness"]:
                        best = {key: figures[key] for key in ("eye_distance", "sharpness", "brightness")}
                    box = (face.box.x0, face.box.y0, face.box.x1, face.box.y1)
                    text = "eyes {eye_distance:.0f}px sharp {sharpness:.0f} light {brightness:.0f}".format(
                        **figures
                    )
                display.show(camera_view(frame, display.size, box, text))
            finally:
                wipe(frame)
                engine.forget()
    finally:
        camera.stop()

    def figure(name: str) -> float | None:
        return None if best is None else round(best[name], 1)

    return CameraCheckAnswer(
        seconds=seconds,
        frames=frames,
        frames_with_face=with_face,
        frame_size=size,
        eye_distance_px=figure("eye_distance"),
        sharpness=figure("sharpness"),
        brightness=figure("brightness"),
    )


def handle(appliance: Appliance, arguments: CameraCheckArguments, _peer: Peer) -> Call:
    return Call(lambda: _camera_check(appliance, arguments.seconds), redraw=True)


def render(data: CameraCheckAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    figures = " / ".join(
        "-" if value is None else f"{value:g}"
        for value in (data.eye_distance_px, data.sharpness, data.brightness)
    )
    lines = [
        f"{WORDS['frames'](language)}: {data.frames} ({data.frames_with_face}), {data.frame_size}",
        f"{WORDS['figures'](language)}: {figures}",
        WORDS["lcd_only"](language),
    ]
    return (ExitCode.OK if data.frames else ExitCode.FAILED), lines


def seconds(value: str) -> int:
    """``--seconds``: a whole number of seconds, 1 to LONGEST_S."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of seconds") from None
    if not 1 <= number <= LONGEST_S:
        raise argparse.ArgumentTypeError(f"{number} is not between 1 and {LONGEST_S}")
    return number


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds", type=seconds, default=10, metavar="N", help=f"1-{LONGEST_S} (default 10)"
    )


CAMERA_CHECK = Command(
    name="camera-check",
    help="show the camera's view, face box and quality figures on the LCD only",
    request="camera_check",
    arguments=CameraCheckArguments,
    answer=CameraCheckAnswer,
    handle=handle,
    render=render,
    options=options,
)
