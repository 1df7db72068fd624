"""The model build scripts in models/ import, and the parts that need no TensorFlow or dlib work on
the shipped models: the descriptor is run and shipped (its sha256 in the manifest) through the
package's own loader, and the mesh template's reader and fit run on a real face."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from madoguchi.engine import FaceEngine, models
from madoguchi.engine.runtime import TfliteModel
from madoguchi.synthetic.people import astronaut
from model_scripts import script


@pytest.fixture(scope="module")
def chips() -> np.ndarray:
    """The astronaut's chip views, (3, 150, 150, 3) uint8, as the engine without FaceRes aligns them."""
    engine = FaceEngine.load(faceres=False)
    face = astronaut()
    return engine.align(face, engine.find_one_face(face))


def test_build_detectors_names_the_shipped_detectors():
    build_detectors = script("build_detectors")
    manifest = json.loads((models.models_dir() / models.MANIFEST).read_text())
    assert set(build_detectors.FILES) <= set(manifest)


def test_embedder_build_ships_the_descriptor_with_its_sha256(tmp_path):
    build_embedder = script("build_embedder")
    shipped = models.models_dir() / models.DESCRIPTOR
    target = build_embedder.ship(shipped, tmp_path / "out")
    recorded = json.loads((tmp_path / "out" / models.MANIFEST).read_text())
    expected = json.loads((models.models_dir() / models.MANIFEST).read_text())[models.DESCRIPTOR]
    assert target == tmp_path / "out" / models.DESCRIPTOR
    assert recorded == {models.DESCRIPTOR: expected}


def test_embedder_build_compares_variants_on_the_packages_loader(tmp_path, chips):
    build_embedder = script("build_embedder")
    shipped = models.models_dir() / models.DESCRIPTOR
    raw = np.stack([build_embedder.raw_descriptor(TfliteModel(shipped), chip) for chip in chips])
    assert raw.shape == (3, 128) and np.linalg.norm(raw[0]) > 0.1  # dlib's raw descriptor, not unit length
    report = build_embedder.evaluate("shipped", shipped, chips, raw, ["astronaut"] * 3)
    assert report.max_abs == 0.0 and report.genuine_ddist == 0.0
    copy = shutil.copyfile(shipped, tmp_path / "copy.tflite")
    assert len(build_embedder.time_variants([shipped, copy], chips[0], rounds=1, per_round=1)) == 2


def test_mesh_template_reader_and_fit_on_a_real_face(tmp_path):
    fit_mesh_template = script("fit_mesh_template")
    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    fit_mesh_template.MeshReader.start(models.models_dir())
    mesh = fit_mesh_template.MeshReader.read(image)
    assert mesh.shape == (468, 2)
    with pytest.raises(FileNotFoundError):
        fit_mesh_template.MeshReader.read(tmp_path / "missing.jpg")
    shifts = np.random.default_rng(0).normal(0, 1.0, (4, 468, 2))
    points, weights = fit_mesh_template.fit(mesh + shifts)
    assert points.shape == (468, 2) and weights.shape == (468,) and (weights > 0).all()
