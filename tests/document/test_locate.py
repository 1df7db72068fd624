"""Locating the ID photo on scanned pages built in code, and each reason it can fail.

Pages come from the card-scan simulator (its drawn card when ../shared is absent); the face is
scikit-image's astronaut. Needs the face engine's models; skips when they cannot load.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from madoguchi.document.locate import LocatedPhoto, locate_photo
from madoguchi.errors import (
    BlankPage,
    PhotoCutOff,
    PhotoNotFound,
    PhotoRotated,
    PhotoTooSmall,
    SeveralPhotos,
)
from madoguchi.synthetic.cards import load_templates, render_card
from madoguchi.synthetic.families import SQUARE, Conditions, card_front
from madoguchi.synthetic.printscan import place
from madoguchi.synthetic.scans import scan_card, scan_form, scan_pair_left
from madoguchi.units import mm_to_px

skdata = pytest.importorskip("skimage.data")
A4 = (3508, 2480)


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """scikit-image's astronaut, framed as LFW frames faces (250x250, face centred)."""
    return cv2.resize(skdata.astronaut()[14:229, 112:327], (250, 250), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def card(face) -> np.ndarray:
    """A printed card (RGBA, 300 dpi) with the drawn template, which carries a ghost portrait."""
    (template,) = load_templates(Path("/nonexistent"))
    rgba = render_card(face, np.random.default_rng(0), template)
    return cv2.resize(rgba, (1011, 638), interpolation=cv2.INTER_AREA)


def blank_page() -> np.ndarray:
    return np.full((*A4, 3), 244, np.uint8)


def page_with(card: np.ndarray, *placements: tuple[float, tuple[int, int]]) -> np.ndarray:
    page = blank_page()
    for angle, origin in placements:
        place(page, card, angle, origin)
    return page


def assert_upright_face(engine, photo: LocatedPhoto) -> None:
    found = engine.find_one_face(photo.image)
    right, left = found.points[0:2].mean(0), found.points[2:4].mean(0)
    assert abs(np.degrees(np.arctan2(*(right - left)[::-1]))) < 10
    assert found.points[4, 1] > right[1]  # the nose below the eyes


@pytest.mark.parametrize("angle", [0.0, 90.0, 180.0, 270.0, 3.0, 184.0, -97.0, 10.0, 260.0])
def test_card_at_any_quarter_turn_and_small_skew(engine, face, angle):
    page = scan_card(face, 5, angle=angle)
    photo = locate_photo(page, engine)
    assert photo.kind == "card"
    assert (photo.angle + angle + 2) % 360 == pytest.approx(2, abs=3)
    assert_upright_face(engine, photo)


def test_form_with_a_glued_photo(engine, face):
    photo = locate_photo(scan_form(face, 4), engine)
    assert photo.kind == "form"
    assert_upright_face(engine, photo)


def test_grey_page_at_600_dpi(engine, face):
    page = cv2.cvtColor(scan_card(face, 6, dpi=600, angle=90.0), cv2.COLOR_RGB2GRAY)
    photo = locate_photo(page, engine, dpi=600)
    assert photo.image.ndim == 3 and photo.kind == "card"
    assert_upright_face(engine, photo)


def test_glass_sized_page(engine, face):
    page = scan_card(face, 9, angle=90.0, page_mm=(100.0, 100.0))
    assert page.shape == (1181, 1181, 3)
    assert_upright_face(engine, locate_photo(page, engine))


def test_box_is_on_the_page_around_the_portrait(engine, card):
    photo = locate_photo(page_with(card, (0.0, (600, 900))), engine)
    x0, y0, x1, y1 = photo.box
    # The drawn card's photo area is x 25-333, y 157-553 of 1000x631 (x1.011), placed at (600, 900).
    assert 600 + 25 < (x0 + x1) / 2 < 600 + 337 and 900 + 159 < (y0 + y1) / 2 < 900 + 559
    assert photo.image.shape[:2] == (y1 - y0, x1 - x0)


def test_ghost_portrait_is_not_a_second_photo(engine, card):
    photo = locate_photo(page_with(card, (180.0, (900, 1500))), engine)
    assert photo.kind == "card"
    assert photo.image.shape[0] > 300  # the portrait (a ~400 px window), not the ~100 px ghost


def test_blank_page(engine):
    with pytest.raises(BlankPage):
        locate_photo(blank_page(), engine)


def test_page_without_a_face(engine):
    (template,) = load_templates(Path("/nonexistent"))
    flat = np.full((250, 250, 3), 128, np.uint8)
    card = cv2.resize(render_card(flat, np.random.default_rng(0), template), (1011, 638))
    with pytest.raises(PhotoNotFound) as caught:
        locate_photo(page_with(card, (0.0, (700, 1200))), engine)
    assert type(caught.value) is PhotoNotFound


def loose_card(face: np.ndarray, framing: float) -> np.ndarray:
    """An ID card at 400 dpi whose 20.5 mm window the face fills only ``framing`` of: its face box
    is then about 0.09 of the card's height (a tight portrait's is 0.3-0.4)."""
    conditions = Conditions(
        family="id-card", layout="photo-left", framing=framing, window_mm=20.5, print_type="dye-sub",
        dpi=400, glare=0.0, scratches=0, blur_px=0.5, jpeg_quality=95, cast=(1.0, 1.0, 1.0),
    )  # fmt: skip
    return card_front(face, conditions, SQUARE, np.random.default_rng(0))


def test_a_loosely_framed_portrait_in_a_small_window_is_found(engine, face):
    page = np.full((mm_to_px(100, 400), mm_to_px(125, 400), 3), 240, np.uint8)
    place(page, loose_card(face, 0.47), 92.0, (400, 150))
    photo = locate_photo(page, engine, dpi=400)
    assert photo.kind == "card"
    assert_upright_face(engine, photo)


class TilingOnlyFinder:
    """The real engine, blind unless asked to tile: as the detector is to a portrait too small at
    the card's scale."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.asked: list[int | None] = []

    def find_faces(self, rgb, *, min_face=None):
        self.asked.append(min_face)
        return self.engine.find_faces(rgb, min_face=min_face) if min_face else []


def test_a_card_where_no_face_convinced_is_searched_again_closer_and_tiled(engine, card):
    finder = TilingOnlyFinder(engine)
    photo = locate_photo(page_with(card, (90.0, (700, 1200))), finder)
    assert photo.kind == "card" and finder.asked[0] is None and finder.asked[-1]
    assert_upright_face(engine, photo)


def test_a_form_photo_is_searched_before_rows_of_boxes_that_outnumber_the_regions_searched(engine, face):
    """Seven rows of boxes, each larger than the photo: the photo still reaches the detector."""
    page = blank_page()
    for row in range(7):
        top = 900 + row * 320
        cv2.rectangle(page, (180, top), (2300, top + 240), (90, 90, 95), 6)
        cv2.rectangle(page, (1200, top), (1206, top + 240), (90, 90, 95), -1)
    glued = cv2.resize(face, (413, 531), interpolation=cv2.INTER_AREA)
    place(page, np.dstack([glued, np.full(glued.shape[:2], 255, np.uint8)]), 0.0, (1700, 200))
    assert locate_photo(page, engine, dpi=300).kind == "form"


def test_two_cards(engine, card):
    with pytest.raises(SeveralPhotos):
        locate_photo(page_with(card, (0.0, (200, 300)), (180.0, (1200, 2400))), engine)


def test_tiny_photo(engine, card):
    tiny = cv2.resize(card, None, fx=0.4, fy=0.4, interpolation=cv2.INTER_AREA)
    with pytest.raises(PhotoTooSmall, match=r"px tall at 300 dpi .* at least 125 px"):
        locate_photo(page_with(tiny, (0.0, (1000, 1500))), engine)


def test_photo_cut_off_at_the_page_edge(engine, card):
    # The portrait sits at the card's left; with the card hanging off the left edge it is cut.
    with pytest.raises(PhotoCutOff):
        locate_photo(page_with(card, (0.0, (-120, 1500))), engine)


def test_card_rotated_beyond_recovery(engine, card):
    with pytest.raises(PhotoRotated, match="off square"):
        locate_photo(page_with(card, (30.0, (900, 1500))), engine)


class KeepingFinder:
    """The real engine, keeping every face it returned to the locator."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.faces: list = []

    def find_faces(self, rgb, *, min_face=None):
        faces = self.engine.find_faces(rgb, min_face=min_face)
        self.faces += faces
        return faces


def test_the_faces_seen_on_a_page_are_wiped_when_the_locator_returns(engine, face):
    page = scan_pair_left(face, 3)
    finder = KeepingFinder(engine)
    located = locate_photo(page, finder, dpi=300)
    assert finder.faces and located.image.any()  # the photo is the caller's, to wipe
    assert not any(f.points.any() or f.mesh.any() for f in finder.faces)


def test_a_page_that_is_not_an_image_is_unreadable(engine):
    from madoguchi.errors import UnreadableImage

    page = np.zeros((600, 800, 3), np.uint8)
    for bad in (page[:5, :5], np.dstack([page, page[..., :1]]), page.astype(np.float32), None):
        with pytest.raises(UnreadableImage):
            locate_photo(bad, engine, dpi=300)
    with pytest.raises(UnreadableImage):
        locate_photo(page, engine, dpi=0)
    with pytest.raises(BlankPage):  # grey and mirrored pages are taken
        locate_photo(page[::-1, :, 0], engine, dpi=300)
