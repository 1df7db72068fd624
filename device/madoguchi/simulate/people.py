"""The simulator's people, cards, forms and camera frames, drawn in code.

Faces come from packages, so this runs on any machine: the genuine visitor is NASA astronaut Eileen
Collins (``skimage.data.astronaut()``, public domain), the impostor is Grace Hopper (matplotlib's
sample ``grace_hopper.jpg``, a U.S. Navy photograph, public domain); or both from LFW.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from madoguchi.errors import MadoguchiError
from madoguchi.fonts import find_font, load_font

DPI = 300
CAMERA_SIZE = (640, 480)


@dataclass(frozen=True)
class Person:
    """A face image and the box (x0, y0, x1, y1) of the head and shoulders in it."""

    image: Image.Image
    portrait: tuple[int, int, int, int]

    def head(self) -> Image.Image:
        return self.image.crop(self.portrait)


def package_people() -> tuple[Person, Person]:
    """The genuine visitor and the impostor, from scikit-image and matplotlib's sample data."""
    try:
        from matplotlib import cbook
        from skimage import data
    except ImportError as error:
        raise MadoguchiError(
            f"madoguchi simulate takes its faces from scikit-image and matplotlib ({error}); "
            "pip install scikit-image matplotlib, or pass --lfw"
        ) from error

    astronaut = Person(Image.fromarray(data.astronaut()), (130, 0, 320, 243))
    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as opened:
        hopper = Person(opened.convert("RGB"), (120, 0, 420, 384))
    return astronaut, hopper


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


# --- pages and frames, drawn in code ---


def mm(value: float) -> int:
    return round(value / 25.4 * DPI)


def _printed(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A photo as it looks printed and scanned: resized, slightly soft and flat."""
    photo = photo.resize(size, Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(0.8))
    return Image.blend(photo, Image.new("RGB", size, (235, 232, 228)), 0.08)


def card_page(person: Person) -> np.ndarray:
    """A synthetic My Number-style card (photo on the left) lying on the scanner glass."""
    glass = Image.new("RGB", (mm(100), mm(70)), (246, 246, 244))
    card = Image.new("RGB", (mm(85.6), mm(54)), (226, 236, 242))
    draw = ImageDraw.Draw(card)
    font = load_font(find_font(), mm(3.2))
    draw.rectangle((0, 0, card.width, mm(9)), fill=(196, 62, 92))
    draw.text((mm(4), mm(2.2)), "個人番号カード（見本）", font=font, fill=(255, 255, 255))
    card.paste(_printed(person.head(), (mm(25), mm(32))), (mm(4), mm(15)))
    for row, label in enumerate(("氏名", "住所", "生年月日", "有効期限")):
        y = mm(15 + 8 * row)
        draw.text((mm(33), y), label, font=font, fill=(60, 60, 70))
        draw.rectangle((mm(33), y + mm(4.5), mm(33 + 30 + 6 * (row % 3)), y + mm(5.5)), fill=(120, 120, 130))
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, card.width - 1, card.height - 1), radius=mm(3), fill=255)
    glass.paste(card, (mm(6), mm(7)), mask)
    return np.array(glass)


def form_page(person: Person) -> np.ndarray:
    """A synthetic application form (A5, to keep scans quick) with the photo glued top right."""
    page = Image.new("RGB", (mm(148), mm(210)), (250, 250, 248))
    draw = ImageDraw.Draw(page)
    title, body = load_font(find_font(), mm(6)), load_font(find_font(), mm(3.5))
    draw.text((mm(10), mm(10)), "交付申請書（見本）", font=title, fill=(30, 30, 30))
    for row in range(12):
        y = mm(60 + 11 * row)
        draw.rectangle((mm(10), y, mm(138), y + mm(9)), outline=(90, 90, 95), width=2)
        draw.text((mm(12), y + mm(2.5)), "記入欄", font=body, fill=(90, 90, 95))
    page.paste(_printed(person.head(), (mm(35), mm(45))), (mm(100), mm(10)))
    return np.array(page)


def _background() -> Image.Image:
    """An empty counter as the camera sees it: a wall and a partition, no one there."""
    room = Image.new("RGB", CAMERA_SIZE, (188, 182, 170))
    draw = ImageDraw.Draw(room)
    draw.rectangle((0, 330, CAMERA_SIZE[0], CAMERA_SIZE[1]), fill=(120, 110, 100))
    draw.rectangle((470, 60, 600, 330), fill=(160, 150, 140))
    return room


def camera_frames(*people: Person, count: int = 6) -> list[np.ndarray]:
    """Frames of ``people`` side by side, each slightly moved and scaled, as a visitor sways."""
    rng = np.random.default_rng(len(people))
    frames = []
    for _ in range(count):
        frame = _background()
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
