"""Faces for synthetic pictures: who (package sample images, LFW), and how a face goes into a box.

A face stands in a picture either as an image (resized into its box) or, in tests that need no face
engine, as a solid RGB colour: a :data:`Patch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from madoguchi.errors import MadoguchiError

Patch = np.ndarray | tuple[int, int, int]
"""An RGB image, or a solid colour."""
Box = tuple[int, int, int, int]
"""x0, y0, x1, y1 in pixels."""

# Share of ID-photo width the portrait's crop takes of an LFW-like image (face centred, about
# 40 % of the width): gives an ICAO-like framing, head about 3/4 of the photo height.
PORTRAIT_CROP = 0.6


@dataclass(frozen=True)
class Person:
    """A face image and the box (x0, y0, x1, y1) of the head and shoulders in it."""

    image: Image.Image
    portrait: Box

    def head(self) -> Image.Image:
        return self.image.crop(self.portrait)


def astronaut() -> np.ndarray:
    """NASA's public-domain portrait of Eileen Collins (512x512 RGB), shipped with scikit-image."""
    from skimage import data

    return data.astronaut()


def package_people() -> tuple[Person, Person]:
    """The genuine visitor and the impostor, from scikit-image and matplotlib's sample data."""
    try:
        from matplotlib import cbook

        collins = astronaut()
    except ImportError as error:
        raise MadoguchiError(
            f"madoguchi simulate takes its faces from scikit-image and matplotlib ({error}); "
            "pip install scikit-image matplotlib, or pass --lfw"
        ) from error

    genuine = Person(Image.fromarray(collins), (130, 0, 320, 243))
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as opened:
        hopper = Person(opened.convert("RGB"), (120, 0, 420, 384))
    return genuine, hopper


def lfw_people(root: Path) -> tuple[Person, Person, Person]:
    """From LFW's pairs.txt: the first same-person pair (card, camera) and another person."""
    lines = (root / "pairs.txt").read_text().splitlines()
    name, first, second = lines[1].split()
    other = lines[1 + int(lines[0].split()[1])].split()[2]  # from the first different-person pair

    def load(person: str, number: str | int) -> Person:
        path = root / "images" / person / f"{person}_{int(number):04d}.jpg"
        with Image.open(path) as opened:
            return Person(opened.convert("RGB"), (55, 35, 195, 215))

    return load(name, first), load(name, second), load(other, 1)


def id_photo(face_rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop an LFW-like image (face centred) to ID-photo framing and resize it to ``size`` (w, h)."""
    h, w = face_rgb.shape[:2]
    cw = w * PORTRAIT_CROP
    ch = min(h, cw * size[1] / size[0])
    cw = ch * size[0] / size[1]
    x0, y0 = (w - cw) / 2, (h - ch) / 2
    crop = face_rgb[round(y0) : round(y0 + ch), round(x0) : round(x0 + cw)]
    return cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)


def paste(image: np.ndarray, patch: Patch, box: Box) -> np.ndarray:
    """Put ``patch`` into ``image`` at ``box``: a colour fills it, an image is resized to fit."""
    x0, y0, x1, y1 = box
    if isinstance(patch, np.ndarray):
        patch = cv2.resize(patch, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    image[y0:y1, x0:x1] = patch
    return image
