"""Card-scan generator families: pure functions of their seed, parameters within the documented
ranges, pages of the right size, and a photo the locator finds; and the error breakdown."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from faces import LFW
from madoguchi.bench.breakdown import breakdown, threshold_at_far
from madoguchi.cli.main import main
from madoguchi.synthetic.families import (
    FAMILIES,
    HELD_OUT,
    SQUARE,
    TUNING,
    draw_conditions,
    draw_lie,
    family_scan,
)
from madoguchi.units import A4_MM, mm_to_px

LFW_FACE = LFW / "images" / "Abel_Pacheco" / "Abel_Pacheco_0001.jpg"


def lfw_like_face() -> np.ndarray:
    """A 250x250 stand-in for an LFW image (the generators frame LFW's geometry)."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (250, 250, 3), dtype=np.uint8)


def test_one_family_is_held_out_of_tuning():
    assert HELD_OUT in FAMILIES and HELD_OUT not in TUNING and len(TUNING) == len(FAMILIES) - 1


@pytest.mark.parametrize("family", list(FAMILIES))
def test_conditions_stay_in_the_documented_ranges(family):
    spec = FAMILIES[family]
    drawn = [draw_conditions(family, np.random.default_rng(seed), SQUARE) for seed in range(300)]
    assert all(spec.framing[0] <= c.framing <= spec.framing[1] for c in drawn)
    assert {c.print_type for c in drawn} == set(spec.prints)
    assert {c.dpi for c in drawn} == set(spec.dpi)
    assert all(0 <= c.scratches <= spec.scratches for c in drawn)
    glared = np.mean([draw_lie(family, np.random.default_rng(seed)).glare > 0 for seed in range(300)])
    assert abs(glared - spec.glare) < 0.1


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_page_is_a_pure_function_of_family_and_seed(family):
    face = lfw_like_face()
    page, conditions = family_scan(face, family, 3)
    again, _ = family_scan(face, family, 3)
    other, _ = family_scan(face, family, 4)
    assert np.array_equal(page, again) and not np.array_equal(page[:100, :100], other[:100, :100])
    if conditions.layout == "form":
        assert {page.shape[0], page.shape[1]} == {
            mm_to_px(A4_MM[0], conditions.dpi),
            mm_to_px(A4_MM[1], conditions.dpi),
        }
    else:
        assert page.shape[1] == mm_to_px(125, conditions.dpi)


def test_a_rescan_is_the_same_card_at_another_resolution():
    face = lfw_like_face()
    card_dpi = [draw_conditions("id-card", np.random.default_rng([s, 7]), SQUARE).dpi for s in range(100)]
    seed = card_dpi.index(200)
    _, first = family_scan(face, "id-card", seed)
    page, again = family_scan(face, "id-card", seed, rescan_dpi=400)
    assert (again.dpi, again.rescanned_from) == (400, 200)
    assert again == dataclasses.replace(first, dpi=400, rescanned_from=200)
    assert page.shape[1] == mm_to_px(125, 400)


def test_laying_the_card_again_is_the_same_card_with_another_lie():
    face = lfw_like_face()
    seed = next(s for s in range(100) if draw_lie("id-card", np.random.default_rng([s, 8, 0])).glare > 0.5)
    page, first = family_scan(face, "id-card", seed)
    again_page, again = family_scan(face, "id-card", seed, laid=1)
    other_lie = draw_lie("id-card", np.random.default_rng([seed, 8, 1]))
    assert again == dataclasses.replace(first, glare=other_lie.glare, laid=1)
    assert not np.array_equal(page, again_page)
    # a rescan at a higher resolution does not touch the card: the lie, and its glare, stay
    _, rescanned = family_scan(face, "id-card", seed, rescan_dpi=600)
    assert rescanned.glare == first.glare and rescanned.laid == 0


@pytest.mark.skipif(not LFW_FACE.is_file(), reason=f"LFW is not in {LFW}")
def test_the_benchmark_rescans_a_photo_too_small_as_the_appliance_does(engine):
    from madoguchi.bench.accuracy import _scanned_photo, read_rgb
    from madoguchi.document.locate import locate_photo
    from madoguchi.errors import PhotoTooSmall

    face = read_rgb(LFW_FACE)
    for seed in range(200):
        page, conditions = family_scan(face, "id-card", seed)
        if conditions.dpi != 200:
            continue
        try:
            locate_photo(page, engine, dpi=200)
        except PhotoTooSmall:
            break
    else:
        pytest.skip("no 200-dpi page with a photo too small among the first 200 seeds")
    photo, located, rescanned = _scanned_photo(engine, face, seed, "id-card")
    assert located and rescanned.rescanned_from == 200 and rescanned.dpi > 200
    assert engine.find_one_face(photo).box.height >= 100


@pytest.mark.skipif(not LFW_FACE.is_file(), reason=f"LFW is not in {LFW}")
def test_the_benchmark_lays_a_card_again_when_the_gate_sees_glare(engine, monkeypatch):
    from madoguchi.bench import accuracy

    face = accuracy.read_rgb(LFW_FACE)
    seed = 621  # an id-card whose first lie puts strong glare across this face
    first, located, as_laid = accuracy._scanned_photo(engine, face, seed, "id-card", relays=0)
    assert located and as_laid.laid == 0 and as_laid.glare > 0.5
    assert accuracy._glare_on(engine, first)
    photo, located, again = accuracy._scanned_photo(engine, face, seed, "id-card")
    assert located and again.laid == 1 and not accuracy._glare_on(engine, photo)
    assert again == dataclasses.replace(as_laid, glare=again.glare, laid=1)
    # staff give up after RELAYS lies; the benchmark scores the last
    monkeypatch.setattr(accuracy, "_glare_on", lambda engine, photo: True)
    _, located, last = accuracy._scanned_photo(engine, face, seed, "id-card")
    assert located and last.laid == accuracy.RELAYS


def test_an_unknown_family_is_refused(capsys):
    with pytest.raises(ValueError, match="unknown card family"):
        family_scan(lfw_like_face(), "passport", 0)
    assert main(["bench", "accuracy", "--card-scan", "--family", "passport", "--json"]) == 2
    assert "unknown family passport" in capsys.readouterr().err


@pytest.mark.skipif(not LFW_FACE.is_file(), reason=f"LFW is not in {LFW}")
@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_locator_finds_the_photo_on_each_family(family):
    from madoguchi.bench.accuracy import read_rgb
    from madoguchi.document.locate import locate_photo
    from madoguchi.engine import FaceEngine

    page, conditions = family_scan(read_rgb(LFW_FACE), family, 1)
    photo = locate_photo(page, FaceEngine.load(), dpi=conditions.dpi)
    assert photo.image.shape[0] > 100


def test_breakdown_counts_errors_at_far_1e3_per_condition():
    conditions = [draw_conditions("id-card", np.random.default_rng(seed), SQUARE) for seed in range(4)]
    impostor = np.linspace(0.5, 1.0, 2000)
    threshold = threshold_at_far(impostor, impostor)
    assert np.mean(impostor <= threshold) <= 1e-3 and np.mean(impostor <= threshold + 1e-3) > 1e-3
    distances = np.concatenate([[0.3, 0.3, 0.9, 0.3], impostor])
    same = np.array([True] * 4 + [False] * 2000)
    located = np.array([True, True, True, False] + [True] * 2000)
    table = breakdown(distances, same, located, conditions + [conditions[0]] * 2000)
    families = table["family"]["id-card"]
    assert families["same"] == 4 and families["fnm"] == 1 and families["not_located"] == 1
    assert families["different"] == 2000 and families["fm"] <= 2
