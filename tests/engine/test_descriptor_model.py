"""The shipped face-descriptor model (models/face_descriptor.tflite) loads and behaves like dlib's.

Needs only numpy, OpenCV, scikit-image and a TFLite runtime.  The face is scikit-image's
``astronaut()``; its 150x150 chip is cut with a fixed similarity transform measured once with
dlib's 5-point predictor and ``get_face_chip(size=150, padding=0.25)`` (the chip's corners, below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
skdata = pytest.importorskip("skimage.data")

MODEL = Path(__file__).resolve().parents[2] / "models" / "face_descriptor.tflite"

# Image coordinates of the chip's (0, 0), (149, 0) and (149, 149) pixels on astronaut() (512x512).
ASTRONAUT_CHIP_CORNERS = np.float32([[167.8, 62.8], [287.6, 68.5], [281.9, 188.3]])
CHIP_CORNERS = np.float32([[0, 0], [149, 0], [149, 149]])


def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        tflite_runtime = pytest.importorskip("tflite_runtime.interpreter")
        Interpreter = tflite_runtime.Interpreter
    return Interpreter


@pytest.fixture(scope="module")
def model():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing; build it with python models/build_embedder.py")
    interp = _interpreter_class()(model_path=str(MODEL), num_threads=1)
    interp.allocate_tensors()
    return interp


def describe(interp, chip: np.ndarray) -> np.ndarray:
    """Descriptor of a 150x150x3 uint8 RGB chip."""
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    interp.set_tensor(inp["index"], chip[None].astype(inp["dtype"]))
    interp.invoke()
    return np.asarray(interp.get_tensor(out["index"])[0], dtype=np.float64)


@pytest.fixture(scope="module")
def astronaut_chip() -> np.ndarray:
    m = cv2.getAffineTransform(ASTRONAUT_CHIP_CORNERS, CHIP_CORNERS)
    return cv2.warpAffine(skdata.astronaut(), m, (150, 150), flags=cv2.INTER_LINEAR)


@pytest.fixture(scope="module")
def coffee_chip() -> np.ndarray:
    img = skdata.coffee()  # 400x600, a cup: no face
    h, w = img.shape[:2]
    s = min(h, w)
    square = img[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s]
    return cv2.resize(square, (150, 150), interpolation=cv2.INTER_AREA)


def test_io_spec(model):
    inp = model.get_input_details()
    out = model.get_output_details()
    assert len(inp) == 1 and len(out) == 1
    assert list(inp[0]["shape"]) == [1, 150, 150, 3]
    assert inp[0]["dtype"] in (np.uint8, np.float32)
    if inp[0]["dtype"] == np.uint8:  # the chip's bytes as they are
        scale, zero_point = inp[0]["quantization"]
        assert scale == pytest.approx(1.0) and zero_point == 0
    assert list(out[0]["shape"]) == [1, 128]
    assert out[0]["dtype"] == np.float32


def test_descriptor_is_dlib_like(model, astronaut_chip):
    d = describe(model, astronaut_chip)
    assert np.all(np.isfinite(d))
    # dlib's descriptors are raw (not normalised) with a norm of roughly 1.3-1.6.
    assert 1.0 < np.linalg.norm(d) < 2.0


def test_mirror_is_same_person(model, astronaut_chip):
    d = describe(model, astronaut_chip)
    mirrored = describe(model, np.ascontiguousarray(astronaut_chip[:, ::-1]))
    assert np.linalg.norm(d - mirrored) < 0.4


def test_coffee_is_not_the_astronaut(model, astronaut_chip, coffee_chip):
    d = describe(model, astronaut_chip)
    assert np.linalg.norm(d - describe(model, coffee_chip)) > 0.6


def test_matches_dlib(model, astronaut_chip, coffee_chip):
    dlib = pytest.importorskip("dlib")
    frm = pytest.importorskip("face_recognition_models")
    facerec = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    for chip in (astronaut_chip, coffee_chip):
        ref = np.asarray(facerec.compute_face_descriptor(chip, num_jitters=0))
        ours = describe(model, chip)
        # Quantized weights: on 200 LFW chips the shipped model differs from dlib by < 0.01 per element
        # (0.002 on average); on these two chips the distance to dlib is ~0.03.
        assert np.linalg.norm(ours - ref) < 0.1
        assert np.abs(ours - ref).max() < 0.05
