"""The card-scan simulator: deterministic pages of the right size, with or without ../shared."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from madoguchi.document import cardscan

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    """scikit-image's astronaut, framed as LFW frames faces (250x250, face centred)."""
    return cv2.resize(skdata.astronaut()[14:229, 112:327], (250, 250), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def synthetic() -> cardscan.CardTemplate:
    (template,) = cardscan.load_templates(Path("/nonexistent"))
    return template


def test_same_seed_same_page(face):
    first = cardscan.scan_pair_left(face, 7)
    assert np.array_equal(first, cardscan.scan_pair_left(face, 7))
    assert not np.array_equal(first, cardscan.scan_pair_left(face, 8))


def test_card_page_is_a4_at_the_asked_dpi(face, synthetic):
    page = cardscan.scan_card(face, 1, template=synthetic)
    assert page.shape == (3508, 2480, 3) and page.dtype == np.uint8
    assert cardscan.scan_card(face, 1, template=synthetic, dpi=600).shape == (7016, 4961, 3)


def test_card_lies_wholly_on_the_page_at_card_size(face, synthetic):
    page = cardscan.scan_card(face, 3, template=synthetic, angle=0.0)
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
    templates = cardscan.load_templates()
    if templates[0].name == "synthetic":
        pytest.skip(f"no card templates in {cardscan.default_template_dir()}")
    assert {t.name for t in templates} == {"id_card_td1_a", "id_card_td1_b"}


def test_form_is_an_a4_page_with_the_photo_glued_on(face):
    page = cardscan.scan_form(face, 2)
    assert page.shape == (3508, 2480, 3)
    assert np.median(page) > 200  # mostly paper


def test_pair_left_gives_both_cards_and_forms(face):
    shares = [np.random.default_rng([seed, 1]).random() < cardscan.FORM_SHARE for seed in range(50)]
    assert 0 < sum(shares) < 50
    form_seed = shares.index(True)
    page = cardscan.scan_pair_left(face, form_seed)
    assert np.array_equal(page, cardscan.scan_form(face, form_seed))


def test_portrait_keeps_id_photo_framing(face):
    photo = cardscan.portrait(face, (308, 396))
    assert photo.shape == (396, 308, 3)
