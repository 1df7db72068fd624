"""Camera frames drawn in code: still frames with faces (or marker patches) in given boxes, and the
simulator's visitors swaying in front of an empty counter."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from madoguchi.synthetic.people import Box, Patch, Person, paste

CAMERA_SIZE = (640, 480)


def camera_frame(*placed: tuple[Patch, Box], grey: int = 90) -> np.ndarray:
    """A 640x480 frame of one ``grey`` level with each patch in its box."""
    frame = np.full((CAMERA_SIZE[1], CAMERA_SIZE[0], 3), grey, np.uint8)
    for patch, box in placed:
        paste(frame, patch, box)
    return frame


def _empty_counter() -> Image.Image:
    """An empty counter as the camera sees it: a wall and a partition, no one there."""
    room = Image.new("RGB", CAMERA_SIZE, (188, 182, 170))
    draw = ImageDraw.Draw(room)
    draw.rectangle((0, 330, CAMERA_SIZE[0], CAMERA_SIZE[1]), fill=(120, 110, 100))
    draw.rectangle((470, 60, 600, 330), fill=(160, 150, 140))
    return room


def swaying_frames(*people: Person, count: int = 6) -> list[np.ndarray]:
    """Frames of ``people`` side by side, each slightly moved and scaled, as a visitor sways."""
    rng = np.random.default_rng(len(people))
    frames = []
    for _ in range(count):
        frame = _empty_counter()
        slot = CAMERA_SIZE[0] // max(1, len(people))
        for index, person in enumerate(people):
            height = round((430 if len(people) == 1 else 300) * rng.uniform(0.92, 1.05))
            x0, y0, x1, y1 = person.portrait
            margin = (x1 - x0) // 3
            box = (max(0, x0 - margin), y0, min(person.image.width, x1 + margin), y1 + (y1 - y0) // 4)
            view = person.image.crop(box)
            view = view.resize((round(view.width * height / view.height), height), Image.Resampling.BILINEAR)
            left = slot * index + (slot - view.width) // 2 + int(rng.integers(-15, 16))
            frame.paste(view, (left, CAMERA_SIZE[1] - height + int(rng.integers(0, 20))))
        frames.append(np.array(frame))
    return frames
