"""The shipped FaceRes model (models/faceres.tflite) against the TensorFlow graph it was converted
from, without TensorFlow: reference outputs measured once by rebuilding the npm package's graph in
TensorFlow (models/build_faceres.py, float32) on the build's reference chips.

A chip's 1024 features are summed up by their length and eight fixed random projections (numpy's
``default_rng(0)``, standard normal / 32): a different preprocessing (RGB not turned to BGR, the
means not taken off), a wrong layer or a lost weight moves them far more than the int8 weights do
(at most 0.05 in a projection and 4 % in length here)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from madoguchi.engine import models
from madoguchi.engine.faceres import CHIP_SIZE, FEATURES
from madoguchi.engine.runtime import TfliteModel
from model_scripts import script

# TensorFlow's float32 graph of faceres.json + faceres.bin, preprocessing included.
REFERENCE = {
    "astronaut": (12.9298, [0.0759, -0.1904, 0.1115, 0.8406, 0.8584, -0.5422, 0.081, -0.5652]),
    "mirror": (12.5218, [0.1098, -0.1192, 0.0816, 0.8598, 0.8085, -0.4088, 0.083, -0.4425]),
    "coffee": (5.6307, [-0.1575, -0.0606, -0.0277, 0.163, 0.1526, 0.0107, -0.2729, -0.0118]),
}
PROJECTIONS = np.random.default_rng(0).standard_normal((8, FEATURES)) / 32


@pytest.fixture(scope="module")
def build():
    return script("build_faceres")


@pytest.fixture(scope="module")
def shipped() -> TfliteModel:
    return TfliteModel(models.verified(models.models_dir(), models.FACERES))


@pytest.fixture(scope="module")
def features(build, shipped) -> dict[str, np.ndarray]:
    return {name: build.features(shipped, chip) for name, chip in build.reference_chips().items()}


def test_io_is_a_224_rgb_chip_in_and_1024_features_out(shipped):
    assert shipped.input_shape == (1, CHIP_SIZE, CHIP_SIZE, 3) and shipped.input_dtype == np.float32
    (out,) = shipped.run(np.zeros(shipped.input_shape, np.float32))
    assert out.shape == (1, FEATURES) and out.dtype == np.float32


def test_the_shipped_model_reproduces_the_tensorflow_graph(features):
    for name, (norm, projections) in REFERENCE.items():
        ours = features[name]
        assert abs(np.linalg.norm(ours) - norm) < 0.06 * norm, name
        assert np.abs(PROJECTIONS @ ours - projections).max() < 0.06, name


def test_feeding_rgb_unconverted_would_be_caught(build, shipped):
    """The check above can fail: the same chip with its channels swapped moves the projections."""
    chip = build.reference_chips()["astronaut"]
    swapped = build.features(shipped, np.ascontiguousarray(chip[..., ::-1]))
    assert np.abs(PROJECTIONS @ swapped - REFERENCE["astronaut"][1]).max() > 0.1


def test_a_face_is_near_its_mirror_and_far_from_a_cup(build, features):
    assert build.cosine_distance(features["astronaut"], features["mirror"]) < 0.05
    assert build.cosine_distance(features["astronaut"], features["coffee"]) > 0.6


def test_the_build_reads_weights_by_the_manifest_and_refuses_what_it_does_not_know(build):
    half = np.arange(6, dtype=np.float16)
    graph = {
        "weightsManifest": [
            {
                "paths": ["x.bin"],
                "weights": [
                    {"name": "a", "shape": [2, 3], "dtype": "float32", "quantization": {"dtype": "float16"}},
                    {"name": "axes", "shape": [2], "dtype": "int32"},
                ],
            }
        ]
    }
    data = half.tobytes() + np.array([1, 2], np.int32).tobytes()
    weights = build.read_weights(graph, data)
    assert weights["a"].dtype == np.float32 and weights["a"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert weights["axes"].tolist() == [1, 2]
    with pytest.raises(SystemExit, match="bytes the manifest does not name"):
        build.read_weights(graph, data + b"\0\0\0\0")
    with pytest.raises(SystemExit, match="runs past the end"):
        build.read_weights(graph, data[:-4])
    graph["weightsManifest"][0]["weights"][0]["quantization"] = {"dtype": "uint8", "scale": 0.1, "min": 0}
    with pytest.raises(SystemExit, match="unknown encoding"):
        build.read_weights(graph, data)


def test_the_build_keeps_only_what_leads_to_the_features(build):
    graph = {
        "modelTopology": {
            "node": [
                {"name": "input_1", "op": "Placeholder"},
                {"name": "w", "op": "Const"},
                {"name": "global_pooling/Mean", "op": "Mean", "input": ["input_1", "w:0"]},
                {"name": "head", "op": "Sigmoid", "input": ["global_pooling/Mean"]},
            ]
        }
    }
    order = [node.name for node in build.nodes_to(graph, build.OUTPUT)]
    assert order == ["input_1", "w", "global_pooling/Mean"]


def test_the_build_ships_the_model_with_its_sha256(build, tmp_path):
    shipped = models.models_dir() / models.FACERES
    target = build.ship(shipped, tmp_path / "out")
    recorded = json.loads((tmp_path / "out" / models.MANIFEST).read_text())
    assert target.read_bytes() == shipped.read_bytes()
    assert recorded == {models.FACERES: models.sha256(shipped)}


def test_a_tarball_that_is_not_the_pinned_one_is_refused(build, tmp_path):
    (tmp_path / build.TARBALL).write_bytes(b"not the package")
    with pytest.raises(SystemExit, match="not the pinned package"):
        build.fetch(tmp_path)
