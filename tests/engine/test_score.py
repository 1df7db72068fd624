"""The FMR score scale: fit, monotony, tail, file format; and the threshold table's arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from madoguchi.bench.thresholds import Comparisons, Gallery, Rate, comparisons, fnmr_at_fmr, table, wilson
from madoguchi.engine.score import Calibration, fit_calibration
from madoguchi.errors import ModelError


@pytest.fixture(scope="module")
def impostors() -> np.ndarray:
    return np.random.default_rng(7).normal(0.75, 0.08, 200_000)


@pytest.fixture(scope="module")
def fitted(impostors) -> Calibration:
    return fit_calibration({"plain": impostors}, fitted_on={"plain": "test"})


def test_score_is_twenty_points_per_decade_of_measured_fmr(fitted, impostors):
    for fmr in (0.5, 1e-1, 1e-2, 1e-3):
        distance = float(np.quantile(impostors, fmr))
        assert fitted.score(distance) == pytest.approx(-20 * np.log10(fmr), abs=0.6)
    assert fitted.score(impostors.max() + 0.1) == 0.0


def test_score_falls_with_distance_and_the_tail_reaches_100(fitted):
    distances = np.linspace(0.0, 1.5, 3001)
    scores = fitted.scores(distances)
    assert np.all(np.diff(scores) <= 0)
    assert scores[0] == 100.0 and scores[-1] == 0.0
    last_measured = fitted.knots[0][0]
    assert fitted.score(last_measured - 0.02) > fitted.score(last_measured) + 3, "the tail goes on rising"


def test_distance_at_inverts_the_score(fitted):
    for score in (10.0, 50.0, 80.0, 97.0):
        assert fitted.score(fitted.distance_at(score)) == pytest.approx(score, abs=0.1)


def test_sets_are_joined_by_the_more_frequent_false_match(impostors):
    scanned = impostors - 0.05  # scanned photos of different people look more alike
    both = fit_calibration({"plain": impostors, "scans": scanned}, fitted_on={})
    alone = fit_calibration({"plain": impostors}, fitted_on={})
    distance = float(np.quantile(scanned, 1e-3))
    assert both.score(distance) == pytest.approx(60, abs=0.6) and alone.score(distance) > 65


def test_calibration_round_trips_and_refuses_the_old_format(fitted, tmp_path):
    fitted.save(tmp_path / "c.json")
    assert Calibration.load(tmp_path / "c.json") == fitted
    (tmp_path / "old.json").write_text(json.dumps({"midpoint": 0.42, "spread": 0.013}))
    with pytest.raises(ModelError, match="refit"):
        Calibration.load(tmp_path / "old.json")
    data = json.loads((tmp_path / "c.json").read_text())
    data["knots"][1][1] = data["knots"][0][1] - 1  # not monotone
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match="bad score calibration"):
        Calibration.load(tmp_path / "bad.json")


def test_wilson_interval_and_rule_of_three():
    low, high = wilson(5, 100)
    assert low == pytest.approx(0.0215, abs=5e-4) and high == pytest.approx(0.1118, abs=5e-4)
    assert wilson(0, 30_000) == (0.0, 1e-4)


def test_table_counts_errors_at_each_threshold(fitted):
    genuine = np.array([fitted.distance_at(s) for s in (95, 85, 65, 30)])
    impostor = np.array([fitted.distance_at(s) for s in (70, 50, 10, 5, 1)])
    rows = table(fitted, Comparisons("t", genuine, impostor), np.array([0, 60, 80]))
    assert [(r.fmr.errors, r.fmr.n) for r in rows] == [(5, 5), (1, 5), (0, 5)]
    assert [(r.fnmr.errors, r.fnmr.n) for r in rows] == [(0, 4), (1, 4), (2, 4)]


def test_comparisons_count_each_pair_once_and_never_an_image_with_itself():
    descriptors = np.eye(4, dtype=np.float32)
    people, images = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 3])
    plain = Gallery(descriptors, None, people, images)
    within = comparisons("plain", plain, plain)
    assert len(within.genuine) == 1 and len(within.impostor) == 5
    assert within.genuine[0] == pytest.approx(np.sqrt(2))
    probes = Gallery(descriptors[:2], None, people[:2], images[:2])
    scanned = comparisons("scans", probes, plain)
    assert len(scanned.genuine) == 2 and len(scanned.impostor) == 4  # own source image left out


def test_fused_comparisons_weigh_both_distances_and_fnmr_is_read_at_the_sets_own_fmr():
    from madoguchi.engine.fusion import Fusion

    dlib = np.eye(4, dtype=np.float32)
    faceres = np.repeat(np.eye(2, dtype=np.float32), 2, axis=0)  # FaceRes: images 0-1 alike, 2-3 alike
    people, images = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 3])
    both = Gallery(dlib, faceres, people, images)
    fusion = Fusion(-1.0, -3.0, 0.0, "", "")
    fused = comparisons("plain", both, both, fusion)
    # same person (0, 1): dlib sqrt(2), FaceRes 0; different (2, 3) the same; the rest sqrt(2) and 1
    assert fused.genuine[0] == pytest.approx(np.sqrt(2) / 4)
    expected = [np.sqrt(2) / 4] + [(np.sqrt(2) + 3) / 4] * 4
    assert np.sort(fused.impostor) == pytest.approx(expected, abs=1e-6)
    with pytest.raises(ValueError, match="FaceRes' descriptors on both sides"):
        comparisons("plain", Gallery(dlib, None, people, images), both, fusion)
    data = Comparisons("t", np.array([0.1, 0.2, 0.5, 0.9]), np.linspace(0.3, 1.3, 1000))
    assert fnmr_at_fmr(data, 1e-3) == Rate(2, 4)  # the threshold lets 1 of the 1,000 through


def test_bench_thresholds_on_a_tiny_lfw_of_package_faces(tmp_path, capsys):
    import cv2

    from faces import astronaut, camera_frame, other_people
    from madoguchi.cli.main import main

    images = {
        "Astro/Astro_0001.jpg": astronaut(),
        "Astro/Astro_0002.jpg": camera_frame(astronaut()),
        "Other/Other_0001.jpg": other_people(1)[0],
    }
    for name, rgb in images.items():
        (tmp_path / "images" / name).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / "images" / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    (tmp_path / "pairs.txt").write_text("1\t1\nAstro\t1\t2\nAstro\t1\tOther\t1\n")
    argv = ["bench", "thresholds", "--lfw", str(tmp_path), "--no-card-scan", "--jobs", "1"]
    assert main([*argv, "--json", "--plot", str(tmp_path / "h.png")]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sets"] == {"LFW": {"genuine": 1, "impostor": 2}}
    first, last = result["rows"][0], result["rows"][-1]
    assert first["threshold"] == 0 and first["LFW"]["fmr"]["errors"] == 2
    assert last["threshold"] == 100 and last["LFW"]["fmr"]["errors"] == 0
    histograms = result["histograms"]["LFW"]
    assert (
        sum(histograms["fused (after)"]["impostor"])
        == sum(histograms["without FaceRes (before)"]["impostor"])
        == 2
    )
    # the fused engine and the engine without FaceRes, on the same faces in the same run
    at_fmr = result["fnmr_at_fmr"]
    assert set(at_fmr) == {"fused", "without FaceRes"} and at_fmr["fused"]["LFW"]["0.001"]["n"] == 1
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
