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


def another_day(person: Person, seed: int = 0) -> Person:
    """``person`` as a camera sees them on another day than their ID photo was taken: turned a
    little the other way (mirrored, as a head's two sides differ), another light (brighter or
    dimmer, warmer or cooler, from one side), tilted and a little softer, so a genuine visitor of
    the package's samples scores as in the field, not a copy's 100."""
    rng = np.random.default_rng([seed, 31])
    rgb = np.asarray(person.image.convert("RGB"), dtype=np.float32)[:, ::-1] / 255.0
    height, width = rgb.shape[:2]
    gain = rng.uniform(0.75, 0.9) if rng.integers(2) else rng.uniform(1.1, 1.25)
    cast = np.array([1.0 + rng.uniform(0.04, 0.08), 1.0, 1.0 - rng.uniform(0.04, 0.08)])[
        :: rng.choice((1, -1))
    ]
    side = np.linspace(1.0 - rng.uniform(0.15, 0.25), 1.0, width)[:: rng.choice((1, -1))]
    lit = np.clip(rgb ** rng.uniform(0.85, 1.15) * gain * cast * side[None, :, None], 0.0, 1.0)
    near, far = rng.uniform(0.10, 0.16) * height, rng.uniform(0.12, 0.2) * width  # a head turned aside
    square = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    turned = np.float32([[far, near], [width, 0], [width, height], [far, height - near]])
    if rng.integers(2):
        turned = np.float32([[0, 0], [width - far, near], [width - far, height - near], [0, height]])
    turn = cv2.getPerspectiveTransform(square, turned)
    view = cv2.warpPerspective(
        (lit * 255).astype(np.uint8), turn, (width, height), borderMode=cv2.BORDER_REPLICATE
    )
    view = _another_expression(view, person.portrait, rng)
    view = cv2.GaussianBlur(view, (0, 0), rng.uniform(0.8, 1.4))
    x0, y0, x1, y1 = person.portrait
    return Person(Image.fromarray(view), (width - x1, y0, width - x0, y1))


def _another_expression(rgb: np.ndarray, portrait: Box, rng: np.random.Generator) -> np.ndarray:
    """A smooth, random displacement of the face's features (a few per cent of the head's width):
    another expression, another year, as a second photograph of the same face differs from the first."""
    height, width = rgb.shape[:2]
    head = portrait[2] - portrait[0]
    grid = rng.normal(0.0, 1.0, (2, 5, 5)).astype(np.float32)
    field = [cv2.resize(g, (width, height), interpolation=cv2.INTER_CUBIC) * 0.065 * head for g in grid]
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(rgb, xs + field[0], ys + field[1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


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
