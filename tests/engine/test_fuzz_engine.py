"""Fuzzing the face engine's public entries and the quality gate: a valid result or a madoguchi
error, never OpenCV's or numpy's. Images as in ``fuzz_inputs``; faces are real ones bent (NaN,
inf, huge or coincident points, wrong shapes, no mesh) or not faces at all.
``MADOGUCHI_FUZZ_EXAMPLES=5000 pytest -s tests/engine/test_fuzz_engine.py`` is the long run.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from faces import astronaut, camera_frame
from fuzz_inputs import Tally, examples, junk, noise_image, seeds
from madoguchi.document import quality
from madoguchi.engine import Face, FaceEngine, Verification
from madoguchi.engine.align import CHIP_SIZE


@pytest.fixture(scope="module")
def real(engine):
    """A camera frame and the face the engine found in it (copied: forget() zeroes the engine's)."""
    frame = camera_frame(astronaut())
    face = engine.find_one_face(frame)
    return frame, dataclasses.replace(face, points=face.points.copy(), mesh=face.mesh.copy())


def _image(rng: np.random.Generator, frame: np.ndarray) -> tuple[str, object]:
    return junk(rng, good=lambda r: frame.copy() if r.random() < 0.7 else noise_image(r, 240, 320))


def _face(rng: np.random.Generator, face: Face) -> tuple[str, object]:
    bend = int(rng.integers(0, 10))
    points, mesh = face.points.copy(), face.mesh.copy()
    if bend == 0:
        return "not a face", rng.choice(np.array([None, "face", points], dtype=object))
    if bend == 1:
        points[int(rng.integers(5))] = rng.choice([np.nan, np.inf, -np.inf])
        return "non-finite point", dataclasses.replace(face, points=points)
    if bend == 2:
        mesh[int(rng.integers(len(mesh)))] = np.nan
        return "non-finite mesh", dataclasses.replace(face, mesh=mesh)
    if bend == 3:
        return "no mesh", dataclasses.replace(face, mesh=None)
    if bend == 4:
        return "all points at one place", dataclasses.replace(face, points=points * 0 + 7, mesh=mesh * 0 + 7)
    if bend == 5:
        scale = float(rng.choice([1e-9, 1e6, -1, 1e30]))
        return f"points scaled {scale}", dataclasses.replace(face, points=points * scale, mesh=mesh * scale)
    if bend == 6:
        shift = rng.normal(0, 5000, 2)
        return "points off the image", dataclasses.replace(face, points=points + shift, mesh=mesh + shift)
    if bend == 7:
        return "wrong shapes", dataclasses.replace(face, points=points[:3], mesh=mesh.T)
    if bend == 8:
        box = dataclasses.replace(face.box, x1=float("nan"))
        return "non-finite box", dataclasses.replace(face, box=box)
    return "the real face", face


def _views(rng: np.random.Generator, engine: FaceEngine, frame: np.ndarray, face: Face) -> tuple[str, object]:
    if rng.random() < 0.5:
        count = int(rng.integers(0, 12))
        views = rng.integers(0, 256, (count, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
        return f"{count} random chips", views if rng.random() < 0.8 else views.astype(np.float32)
    return _image(rng, frame)


def _is(kind: type):
    return lambda result: isinstance(result, kind)


def _descriptor(result: object) -> bool:
    return isinstance(result, np.ndarray) and result.shape == (128,) and bool(np.isfinite(result).all())


def _faces(result: object) -> bool:
    return isinstance(result, list) and all(isinstance(f, Face) for f in result)


def test_engine_entries_raise_only_madoguchi_errors(engine, real):
    frame, face = real
    tally = Tally()
    for rng in seeds(examples(80), base=7000):
        entry = int(rng.integers(0, 8))
        name, image = _image(rng, frame)
        about, bent = _face(rng, face)
        # each entry gets one bent argument at a time, so every check is reached
        if entry == 0:
            tally.run(f"find_faces({name})", _faces, engine.find_faces, image)
        elif entry == 1:
            tally.run(f"find_one_face({name})", _is(Face), engine.find_one_face, image)
        elif entry == 2:
            args = (image, face) if rng.random() < 0.5 else (frame, bent)
            tally.run(f"align({name}, {about})", _is(np.ndarray), engine.align, *args)
        elif entry == 3:
            what, views = _views(rng, engine, frame, face)
            tally.run(f"describe({what})", _descriptor, engine.describe, views)
        elif entry == 4:
            args = (image, face, frame, face) if rng.random() < 0.5 else (frame, face, frame, bent)
            tally.run(f"compare({name}, {about})", _is(Verification), engine.compare, *args)
        elif entry == 5:
            tally.run(f"verify({name})", _is(Verification), engine.verify, image, frame)
        else:
            side = "live" if rng.random() < 0.95 else "sideways"
            args = (image, face) if rng.random() < 0.5 else (frame, bent)
            call = quality.assess if entry == 6 else quality.measure
            kind = quality.QualityReport if entry == 6 else dict
            kwargs = {"side": side} if entry == 6 else {}
            tally.run(f"{call.__name__}({name}, {about}, {kwargs})", _is(kind), call, *args, **kwargs)
        engine.forget()
    print(tally.summary("engine and quality"))
    assert not tally.crashes, "\n".join(tally.crashes[:20])
    assert tally.outcomes["ok"] > 0 and tally.outcomes["UnreadableImage"] > 0
