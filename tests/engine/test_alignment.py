"""Aligning the chip on the whole face mesh: weighted similarity, the three views, the template file."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from faces import astronaut
from madoguchi.engine import FaceEngine, models
from madoguchi.engine.align import (
    CHIP_POINTS,
    CHIP_SIZE,
    CLOSER_ZOOM,
    ChipTemplate,
    chip_views,
    face_chip,
    similarity,
)
from madoguchi.engine.landmarks import DLIB_FIVE, POINTS
from madoguchi.errors import ModelError

FIT_SCRIPT = Path(__file__).resolve().parents[2] / "models" / "fit_mesh_template.py"


def turn(points: np.ndarray, angle: float, scale: float, shift: tuple[float, float]) -> np.ndarray:
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return points @ rotation.T + shift


def test_a_point_with_little_weight_barely_moves_the_fit():
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 100, (40, 2))
    dst = turn(src, 0.2, 1.3, (5, -7))
    exact = similarity(src, dst)
    dst[0] += 60  # one landmark far off
    weights = np.ones(40)
    weights[0] = 1e-4
    assert np.allclose(similarity(src, dst, weights), exact, atol=0.05)
    assert not np.allclose(similarity(src, dst), exact, atol=0.5)
    assert np.allclose(similarity(src, dst, np.full(40, 3.0)), similarity(src, dst))


def ramp() -> np.ndarray:
    ys, xs = np.mgrid[0:400, 0:400]
    return np.repeat((0.3 * xs + 0.2 * ys)[..., None], 3, axis=2).astype(np.uint8)


def gradient(chip: np.ndarray) -> float:
    """How fast the ramp rises along one chip row (grey levels per chip pixel)."""
    row = chip[75, 20:130, 0].astype(np.float64)
    return float(np.polyfit(np.arange(len(row)), row, 1)[0])


def test_a_closer_chip_magnifies_the_face_about_the_chip_centre():
    points = turn(CHIP_POINTS, 0.0, 1.5, (60, 40))
    chip = face_chip(ramp(), points)
    closer = face_chip(ramp(), points, zoom=CLOSER_ZOOM)
    assert gradient(chip) / gradient(closer) == pytest.approx(CLOSER_ZOOM, rel=0.01)
    assert abs(int(chip[75, 75, 0]) - int(closer[75, 75, 0])) <= 1


def test_chip_views_are_the_chip_its_mirror_and_the_closer_chip():
    template = ChipTemplate(CHIP_POINTS, np.ones(5))
    points = turn(CHIP_POINTS, 0.1, 1.4, (50, 60))
    views = chip_views(ramp(), points, template)
    assert views.shape == (3, CHIP_SIZE, CHIP_SIZE, 3) and views.dtype == np.uint8
    assert np.array_equal(views[0], face_chip(ramp(), points))
    assert np.array_equal(views[1], views[0][:, ::-1])
    assert np.array_equal(views[2], face_chip(ramp(), points, zoom=CLOSER_ZOOM))


def test_the_shipped_template_frames_the_face_as_dlib_does():
    root = models.models_dir()
    template = ChipTemplate.load(models.verified(root, models.CHIP_TEMPLATE), landmarks=POINTS)
    assert template.points.shape == (POINTS, 2) and (template.weights > 0).all()
    # the mesh's eye corners and nose land within 3 px of dlib's five positions on the chip
    assert np.abs(template.points[list(DLIB_FIVE)] - CHIP_POINTS).max() < 3
    # the inner eye corners hold the chip still; the chin (mesh 152) moves with the mouth
    assert template.weights[362] > 10 * template.weights[152]
    assert template.weights[133] > 10 * template.weights[152]


@pytest.mark.parametrize(
    "content, problem",
    [
        ("not json", "cannot read"),
        (json.dumps({"points": [[1, 2]] * 5, "weights": [1] * 5}), "expected 468 points"),
        (json.dumps({"points": [[1, 2]] * POINTS, "weights": [0] * POINTS}), "positive weights"),
        (json.dumps({"weights": [1] * POINTS}), "cannot read"),
    ],
)
def test_a_broken_template_is_refused_by_name(tmp_path, content, problem):
    path = tmp_path / models.CHIP_TEMPLATE
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=problem):
        ChipTemplate.load(path, landmarks=POINTS)


def test_the_engine_aligns_the_astronaut_on_her_mesh():
    engine = FaceEngine.load(faceres=False)  # dlib's three views; the fused engine takes the first two
    face = engine.find_one_face(astronaut())
    assert face.mesh is not None and face.mesh.shape == (POINTS, 2)
    views = engine.align(astronaut(), face)
    # on the chip, her mesh lies where the template says, to within a pixel or two at the eyes
    to_chip = similarity(face.mesh, engine.template.points, engine.template.weights)
    on_chip = face.mesh @ to_chip[:, :2].T + to_chip[:, 2]
    assert np.abs(on_chip[[362, 133]] - engine.template.points[[362, 133]]).max() < 2
    assert views.shape == (3, CHIP_SIZE, CHIP_SIZE, 3)


def load_fit_script():
    spec = importlib.util.spec_from_file_location("fit_mesh_template", FIT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fit_finds_where_points_sit_and_how_steady_they_are():
    fit_script = load_fit_script()
    rng = np.random.default_rng(7)
    truth = rng.uniform(20, 130, (POINTS, 2))
    truth[list(DLIB_FIVE)] = fit_script.SEED_CHIP_POINTS
    wobble = np.where(np.arange(POINTS) % 2 == 0, 0.2, 4.0)  # even points steady, odd ones not
    wobble[list(DLIB_FIVE)] = 0.2
    faces = [truth + rng.normal(0, 1, (POINTS, 2)) * wobble[:, None] for _ in range(300)]
    meshes = np.array([turn(face, rng.uniform(-0.3, 0.3), rng.uniform(0.8, 2), (9, 4)) for face in faces])
    points, weights = fit_script.fit(meshes)
    steady = wobble < 1
    assert np.abs(points[steady] - truth[steady]).max() < 0.3
    assert weights[steady].min() > 20 * weights[~steady].max()
