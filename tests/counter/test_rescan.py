"""A photo too small at the configured resolution is scanned again at the resolution it needs.

The real photo locator and face engine on a page whose card is printed small; the scanner is the
simulator's, which scales its page to the resolution asked for (the page is laid once and stays on
the glass for the rescan, as the card does).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from madoguchi.counter.sources.scanned import ScannedPhoto
from madoguchi.document.locate import MIN_FACE_HEIGHT_PX, locate_photo
from madoguchi.errors import PhotoTooSmall
from madoguchi.hardware.scanner import SimulatedScanner
from madoguchi.privacy import TransactionMemory
from madoguchi.synthetic.cards import load_templates, render_card
from madoguchi.synthetic.printscan import place

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def small_card_page() -> np.ndarray:
    """An A4-sized page at 300 dpi with a card printed at 40 %: its face is under 125 px tall."""
    face = cv2.resize(skdata.astronaut()[14:229, 112:327], (250, 250), interpolation=cv2.INTER_AREA)
    (template,) = load_templates(Path("/nonexistent"))
    card = cv2.resize(render_card(face, np.random.default_rng(0), template), (404, 255))
    page = np.full((1754, 1240, 3), 244, np.uint8)
    place(page, card, 0.0, (400, 600))
    return page


class Steps:
    """The Progress the source reports to: the step codes, in order."""

    def __init__(self) -> None:
        self.codes: list[str] = []

    def step(self, state, code: str, hint: str | None = None) -> None:
        self.codes.append(code)


class CountingScanner(SimulatedScanner):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dpis: list[int] = []

    def scan(self, *, dpi: int) -> np.ndarray:
        self.dpis.append(dpi)
        return super().scan(dpi=dpi)


def test_locator_names_the_resolution_that_would_do(engine, small_card_page):
    with pytest.raises(PhotoTooSmall) as small:
        locate_photo(small_card_page, engine, dpi=300)
    needed = small.value.needed_dpi
    assert 300 < needed <= 1200 and needed % 100 == 0
    assert f"rescan at {needed} dpi" in str(small.value)
    # at the resolution named, the same face is tall enough
    scale = needed / 300
    bigger = cv2.resize(small_card_page, None, fx=scale, fy=scale, interpolation=cv2.INTER_LANCZOS4)
    photo = locate_photo(bigger, engine, dpi=needed)
    assert engine.find_one_face(photo.image).box.height >= 0.9 * MIN_FACE_HEIGHT_PX


def test_a_small_photo_is_rescanned_once_at_the_resolution_it_needs(engine, small_card_page):
    scanner = CountingScanner([small_card_page])
    source = ScannedPhoto("card", scanner=scanner, engine=engine, locate=locate_photo, dpi=300, max_dpi=1200)
    steps = Steps()
    with TransactionMemory() as memory:
        photo = source.acquire(memory, steps)
        assert engine.find_one_face(photo).box.score > 0.5
        assert len(memory) == 1  # only the photo: both pages were wiped and let go
    assert scanner.dpis[0] == 300 and 300 < scanner.dpis[1] <= 1200 and len(scanner.dpis) == 2
    assert steps.codes == ["scanning", "locating", "rescanning", "locating"]


def test_no_rescan_above_the_configured_highest_resolution(engine, small_card_page):
    scanner = CountingScanner([small_card_page])
    source = ScannedPhoto("card", scanner=scanner, engine=engine, locate=locate_photo, dpi=300, max_dpi=300)
    with TransactionMemory() as memory, pytest.raises(PhotoTooSmall):
        source.acquire(memory, Steps())
    assert scanner.dpis == [300]


def test_a_face_that_needs_more_is_rescanned_at_the_highest_configured_resolution(engine, small_card_page):
    with pytest.raises(PhotoTooSmall) as small:
        locate_photo(small_card_page, engine, dpi=300)
    highest = small.value.needed_dpi - 100
    assert highest > 300
    scanner = CountingScanner([small_card_page])
    source = ScannedPhoto(
        "card", scanner=scanner, engine=engine, locate=locate_photo, dpi=300, max_dpi=highest
    )
    with TransactionMemory() as memory, contextlib.suppress(PhotoTooSmall):
        source.acquire(memory, Steps())
    assert scanner.dpis == [300, highest]
