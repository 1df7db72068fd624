"""Synthetic pages and frames: deterministic scans of the right size, with or without ../shared;
the simulator's sample pages and the still frames the benchmarks and tests draw."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from madoguchi import paths
from madoguchi.synthetic import cards, forms, frames, people, scans
from madoguchi.units import A5_MM, mm_to_px

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """scikit-image's astronaut, framed as LFW frames faces (250x250, face centred)."""
    return cv2.resize(skdata.astronaut()[14:229, 112:327], (250, 250), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def synthetic() -> cards.CardTemplate:
    (template,) = cards.load_templates(Path("/nonexistent"))
    return template


def test_same_seed_same_page(face):
    first = scans.scan_pair_left(face, 7)
    assert np.array_equal(first, scans.scan_pair_left(face, 7))
    assert not np.array_equal(first, scans.scan_pair_left(face, 8))


def test_card_page_is_a4_at_the_asked_dpi(face, synthetic):
    page = scans.scan_card(face, 1, template=synthetic)
    assert page.shape == (3508, 2480, 3) and page.dtype == np.uint8
    assert scans.scan_card(face, 1, template=synthetic, dpi=600).shape == (7016, 4961, 3)


def test_card_lies_wholly_on_the_page_at_card_size(face, synthetic):
    page = scans.scan_card(face, 3, template=synthetic, angle=0.0)
    grey = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY)
    ys, xs = np.nonzero(
        cv2.absdiff(grey, grey[0:1, 0:1].repeat(grey.shape[0], 0).repeat(grey.shape[1], 1)) > 30
    )
    assert xs.min() > 0 and ys.min() > 0
    assert xs.max() < page.shape[1] - 1 and ys.max() < page.shape[0] - 1
    assert xs.max() - xs.min() == pytest.approx(1011, abs=15)
    assert ys.max() - ys.min() == pytest.approx(638, abs=15)


def test_without_templates_a_card_is_drawn_in_code(synthetic):
    assert synthetic.name == "synthetic"
    assert synthetic.image.shape == (631, 1000, 4)
    assert synthetic.image[0, 0, 3] == 0 and synthetic.image[300, 500, 3] == 255


def test_templates_from_shared_are_used_when_present():
    templates = cards.load_templates()
    if templates[0].name == "synthetic":
        pytest.skip(f"no card templates in {paths.card_templates()}")
    assert {t.name for t in templates} == {"id_card_td1_a", "id_card_td1_b"}


def test_shared_data_follows_its_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.SHARED_ENV, str(tmp_path))
    assert paths.lfw() == tmp_path / "data" / "lfw"
    assert paths.card_templates() == tmp_path / "data" / "id-card-templates"


def test_form_is_an_a4_page_with_the_photo_glued_on(face):
    page = scans.scan_form(face, 2)
    assert page.shape == (3508, 2480, 3)
    assert np.median(page) > 200  # mostly paper


def test_pair_left_gives_both_cards_and_forms(face):
    shares = [np.random.default_rng([seed, 1]).random() < scans.FORM_SHARE for seed in range(50)]
    assert 0 < sum(shares) < 50
    form_seed = shares.index(True)
    page = scans.scan_pair_left(face, form_seed)
    assert np.array_equal(page, scans.scan_form(face, form_seed))


def test_id_photo_keeps_id_photo_framing(face):
    photo = people.id_photo(face, (308, 396))
    assert photo.shape == (396, 308, 3)


def test_still_frame_puts_each_patch_in_its_box(face):
    frame = frames.camera_frame((face, (10, 20, 110, 220)), ((200, 7, 50), (300, 100, 400, 200)), grey=100)
    assert frame.shape == (480, 640, 3) and frame[0, 0].tolist() == [100, 100, 100]
    assert np.array_equal(frame[20:220, 10:110], cv2.resize(face, (100, 200), interpolation=cv2.INTER_AREA))
    assert (frame[100:200, 300:400] == (200, 7, 50)).all() and frame[99, 300].tolist() == [100, 100, 100]


def test_plain_card_with_and_without_a_photo():
    empty, marked = cards.plain_card(None), cards.plain_card((200, 9, 50))
    assert empty.shape == marked.shape == (638, 1011, 3)
    x0, y0, x1, y1 = cards.PLAIN_CARD_PHOTO
    assert (marked[y0:y1, x0:x1] == (200, 9, 50)).all() and (empty[y0:y1, x0:x1] == 235).all()
    marked[y0:y1, x0:x1] = 235
    assert np.array_equal(empty, marked)


def test_sample_pages_for_the_simulator():
    genuine, impostor = people.package_people()
    card = cards.sample_card_page(genuine)
    assert card.shape == (mm_to_px(70, 300), mm_to_px(100, 300), 3)
    form = forms.sample_form(impostor)
    assert form.shape == (mm_to_px(A5_MM[1], 300), mm_to_px(A5_MM[0], 300), 3)
    swaying = frames.swaying_frames(genuine, impostor, count=3)
    assert len(swaying) == 3 and not np.array_equal(swaying[0], swaying[1])
    assert all(f.shape == (480, 640, 3) for f in swaying)
