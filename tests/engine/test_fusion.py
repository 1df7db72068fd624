"""The fused engine: FaceRes' chip, the fusion of two distances, the engine without FaceRes, and the
option that chooses between them."""

from __future__ import annotations

import numpy as np
import pytest

from faces import astronaut, camera_frame, other_people
from madoguchi.config import ModelsConfig
from madoguchi.engine import FaceEngine, models
from madoguchi.engine.faceres import CHIP_POINTS, CHIP_SIZE, face_chip, five_points
from madoguchi.engine.fusion import Description, Fusion, fit_fusion
from madoguchi.errors import FaceError, ModelError


def test_the_fusion_fits_what_separates_the_pairs():
    rng = np.random.default_rng(0)
    # dlib's distance tells the classes apart a little, FaceRes' much better
    same = np.repeat([True, False], 2000)
    dlib = np.where(same, 0.5, 0.6) + rng.normal(0, 0.1, len(same))
    faceres = np.where(same, 0.2, 0.5) + rng.normal(0, 0.05, len(same))
    fusion = fit_fusion(dlib, faceres, same, fitted_on="test")
    assert fusion.w_faceres < fusion.w_dlib < 0  # the better distance weighs more
    odds = fusion.log_odds(dlib, faceres)
    assert np.mean((odds > 0) == same) > 0.99
    fused = fusion.fuse(dlib, faceres)
    assert np.corrcoef(fused, -odds)[0, 1] > 0.9999  # the same order as the log odds
    assert fusion.fuse(0.4, 0.4) == pytest.approx(0.4)  # a weighted mean of the two distances


def test_the_fusion_needs_both_kinds_of_pairs():
    with pytest.raises(ValueError, match="same-person and different-person"):
        fit_fusion(np.ones(10), np.ones(10), np.ones(10, bool), fitted_on="test")


def test_the_fusion_round_trips_and_refuses_what_it_is_not(tmp_path):
    fusion = Fusion(-10.0, -20.0, 5.0, "some pairs", "some method")
    fusion.save(tmp_path / "fusion.json")
    assert Fusion.load(tmp_path / "fusion.json") == fusion
    (tmp_path / "bad.json").write_text('{"format": "logistic-fusion-v1", "weights": {"dlib": 1}}')
    with pytest.raises(ModelError, match="bad descriptor fusion"):
        Fusion.load(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text('{"knots": []}')
    with pytest.raises(ModelError, match="is not a logistic-fusion-v1"):
        Fusion.load(tmp_path / "old.json")
    with pytest.raises(ValueError, match="negative"):
        Fusion(1.0, -1.0, 0.0, "", "")


def test_the_faceres_chip_puts_the_five_points_on_the_template():
    rng = np.random.default_rng(1)
    mesh = rng.uniform(0, 400, (468, 2))
    # place the five points: the template, turned by 0.2 rad, scaled 1.7 and moved
    angle, scale = 0.2, 1.7
    turn = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    wanted = CHIP_POINTS @ turn.T + [30, 50]
    mesh[[33, 133]] = wanted[0] + [[-5, 0], [5, 0]]  # each eye's centre is its corners' midpoint
    mesh[[263, 362]] = wanted[1] + [[5, 0], [-5, 0]]
    mesh[1], mesh[61], mesh[291] = wanted[2], wanted[3], wanted[4]
    assert np.allclose(five_points(mesh), wanted)
    ys, xs = np.mgrid[0:500, 0:500]
    image = np.repeat((0.2 * xs + 0.3 * ys)[..., None], 3, axis=2).astype(np.uint8)
    chip = face_chip(image, mesh)
    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    for point, (x, y) in zip(CHIP_POINTS, wanted, strict=True):  # the ramp's value where each point went
        u, v = np.round(point).astype(int)
        assert abs(int(chip[v, u, 0]) - (0.2 * x + 0.3 * y)) <= 2


def test_the_fused_engine_loads_both_descriptors_and_the_single_one_its_own_scale(engine):
    assert engine.faceres is not None and engine.fusion is not None
    single = FaceEngine.load(faceres=False)
    assert single.faceres is None and single.fusion is None and len(single.models) == len(engine.models) - 1
    assert single.calibration != engine.calibration
    frame = camera_frame(astronaut())
    face = engine.find_one_face(frame)
    fused, alone = engine.describe_face(frame, face), single.describe_face(frame, face)
    assert fused.faceres is not None and fused.faceres.shape == (1024,) and alone.faceres is None
    assert np.linalg.norm(fused.faceres) == pytest.approx(1.0, abs=1e-5)
    assert engine.align(frame, face).shape[0] == 3 - (not engine.closer_view)
    with pytest.raises(FaceError, match="made by this engine"):
        engine.distance(fused, alone)
    with pytest.raises(FaceError, match="made by this engine"):
        single.distance(alone, fused)


def test_both_engines_tell_the_same_person_from_others():
    reference = astronaut()
    for engine in (FaceEngine.load(), FaceEngine.load(faceres=False)):
        same = engine.verify(reference, camera_frame(reference))
        assert same.score > 90
        for person in other_people():
            assert engine.verify(reference, person).score < 20


def test_the_fused_engine_needs_its_fusion(tmp_path):
    import json
    import shutil

    source = models.models_dir()
    names = json.loads((source / models.MANIFEST).read_text(encoding="utf-8"))
    for name in [*names, models.MANIFEST]:
        shutil.copyfile(source / name, tmp_path / name)
    (tmp_path / models.FUSION).unlink()
    with pytest.raises(ModelError, match=r"fusion\.json"):
        FaceEngine.load(tmp_path)
    FaceEngine.load(tmp_path, faceres=False)  # the engine without FaceRes does not read it


def test_the_option_chooses_the_engine_and_defaults_to_the_fused_one():
    assert ModelsConfig().faceres is True
    assert ModelsConfig(faceres=False).faceres is False
    with pytest.raises(ValueError):
        ModelsConfig(faceres="sometimes")


def test_a_description_wipes_both_descriptors():
    description = Description(np.ones(128, np.float32), np.ones(1024, np.float32))
    description.wipe()
    assert not description.dlib.any() and description.faceres is not None and not description.faceres.any()


def test_bench_fusion_takes_its_folds_as_a_range_or_a_list():
    import argparse

    from madoguchi.bench.fusion import TRAINING_FOLDS, folds_list

    assert TRAINING_FOLDS == (4, 5, 6, 7, 8, 9)  # none of the folds 0-3 the held-out figures use
    assert folds_list("4-9") == TRAINING_FOLDS and folds_list("0,2") == (0, 2)
    for bad in ("4-12", "x", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            folds_list(bad)
