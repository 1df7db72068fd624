"""The face engine on real faces: scikit-image's astronaut always, LFW when ../shared has it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from faces import LFW, astronaut, camera_frame, other_people
from madoguchi.engine import Description, FaceEngine
from madoguchi.engine.align import CHIP_POINTS, CHIP_SIZE, face_chip, similarity
from madoguchi.errors import MultipleFacesFound, NoFaceFound, UnreadableImage


def describe_centre_face(engine: FaceEngine, rgb: np.ndarray) -> Description:
    """LFW's protocol: the labelled person is the face nearest the image centre."""
    from madoguchi.bench.accuracy import nearest_centre

    return engine.describe_face(rgb, nearest_centre(engine.find_faces(rgb), rgb))


def test_finds_the_astronaut_with_eyes_above_the_nose(engine):
    face = engine.find_one_face(astronaut())
    right_eye, left_eye, nose = face.points[0:2].mean(0), face.points[2:4].mean(0), face.points[4]
    assert 150 < face.box.x0 < face.box.x1 < 330 and 30 < face.box.y0 < face.box.y1 < 230
    assert right_eye[0] > nose[0] > left_eye[0]  # dlib order: image-right eye first
    assert nose[1] > max(right_eye[1], left_eye[1]) + 10
    assert 30 < face.eye_distance < 80


def test_same_person_scores_high_and_other_people_low(engine):
    reference = astronaut()
    midpoint = engine.calibration.distance_at(50)
    same = engine.verify(reference, camera_frame(reference))
    assert same.distance < 0.6 * midpoint and same.score > 90
    for person in other_people():
        other = engine.verify(reference, person)
        assert other.distance > midpoint and other.score < 20, "a different person must be far"


def test_score_falls_as_distance_grows(engine):
    midpoint = engine.calibration.distance_at(50)
    scores = [engine.score(midpoint * f) for f in (0.3, 0.8, 0.95, 1.0, 1.05, 1.2, 2.0)]
    assert scores == sorted(scores, reverse=True) and scores[3] == 50.0
    assert 0 <= scores[-1] < 5 and 95 < scores[0] <= 100


def test_blank_image_has_no_face(engine):
    with pytest.raises(NoFaceFound) as caught:
        engine.verify(np.full((480, 640, 3), 200, np.uint8), astronaut())
    assert caught.value.side == "reference"


def test_two_people_in_the_frame_are_refused(engine):
    face = astronaut()[0:300, 100:400]
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[90:390, 10:310] = face
    frame[90:390, 330:630] = face[:, ::-1]
    with pytest.raises(MultipleFacesFound) as caught:
        engine.find_one_face(frame, side="live")
    assert caught.value.side == "live"


def test_small_background_face_is_ignored(engine):
    face = astronaut()[0:300, 100:400]
    frame = np.full((480, 640, 3), 100, np.uint8)
    frame[:, 0:480] = cv2.resize(face, (480, 480))  # the visitor, close to the camera
    frame[290:470, 450:630] = cv2.resize(face, (180, 180))  # someone further back
    faces = engine.find_faces(frame)
    assert len(faces) == 2 and faces[1].box.height < 0.5 * faces[0].box.height
    assert engine.find_one_face(frame).box == faces[0].box


def test_face_on_a_300_dpi_card_is_found_by_tiling(engine):
    card = np.full((638, 1011, 3), 235, np.uint8)
    card[190:490, 40:290] = cv2.resize(astronaut()[0:300, 100:350], (250, 300))
    faces = engine.find_faces(card, min_face=120)
    assert len(faces) == 1
    assert 40 <= faces[0].box.center[0] <= 290 and 190 <= faces[0].box.center[1] <= 490


def test_rejects_what_is_not_an_rgb_image(engine):
    for bad in (
        np.zeros((100, 100, 4), np.uint8),
        np.zeros((100, 100, 3), np.float32),
        np.zeros((10, 10, 3), np.uint8),
        [[0, 0, 0]],
    ):
        with pytest.raises(UnreadableImage):
            engine.find_faces(bad)


def test_grey_and_strided_images_are_taken_as_rgb(engine):
    rgb = astronaut()
    face = engine.find_one_face(rgb)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert abs(engine.find_one_face(grey).box.center[0] - face.box.center[0]) < 10
    wide = np.zeros((rgb.shape[0], 2 * rgb.shape[1], 3), np.uint8)
    wide[:, ::2] = rgb
    strided = wide[:, ::2]  # every other column: OpenCV cannot read it as it is
    assert engine.find_one_face(strided).box == face.box


def test_chip_samples_the_image_as_dlib_does():
    ys, xs = np.mgrid[0:400, 0:400]
    image = np.repeat((0.3 * xs + 0.2 * ys)[..., None], 3, axis=2).astype(np.uint8)  # a linear ramp
    angle, scale = 0.35, 1.5
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = CHIP_POINTS @ rotation.T + [60, 40]  # the face: the template, rotated, scaled, moved
    assert np.allclose(similarity(CHIP_POINTS, points)[:, :2], rotation)
    chip = face_chip(image, points)
    assert chip.shape == (CHIP_SIZE, CHIP_SIZE, 3)
    # dlib maps chip pixels 0 and 149 onto a box of side 150*scale - 1 about the centre's image
    stretch = (CHIP_SIZE * scale - 1) / ((CHIP_SIZE - 1) * scale)
    centre = rotation @ [75, 75] + [60, 40]
    for u, v in [(0, 0), (149, 0), (75, 75), (20, 130)]:
        x, y = centre + stretch * rotation @ (np.array([u, v]) - 74.5)
        assert abs(int(chip[v, u, 0]) - (0.3 * x + 0.2 * y)) <= 1.0


def test_no_tensorflow_torch_or_dlib_at_run_time():
    code = textwrap.dedent(
        """
        import sys
        from skimage import data
        from madoguchi.engine import FaceEngine
        image = data.astronaut()
        FaceEngine.load().verify(image, image)
        heavy = sorted({"tensorflow", "torch", "dlib", "onnxruntime", "face_recognition"} & set(sys.modules))
        print(",".join(heavy))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


@pytest.mark.skipif(not (LFW / "pairs.txt").is_file(), reason="LFW is not in ../shared/data/lfw")
def test_lfw_first_pairs_fall_on_the_right_side_of_the_threshold(engine):
    from madoguchi.bench.accuracy import read_rgb
    from madoguchi.bench.pairs import lfw_pairs

    pairs = lfw_pairs(LFW / "pairs.txt", LFW / "images")
    sample = pairs[:40] + pairs[300:340]  # fold 1: 40 same-person pairs, then 40 different
    right = 0
    for pair in sample:
        gap = engine.distance(
            describe_centre_face(engine, read_rgb(pair.left)),
            describe_centre_face(engine, read_rgb(pair.right)),
        )
        right += (gap < engine.calibration.distance_at(50)) == pair.same
    assert right >= 0.95 * len(sample)


def test_forget_overwrites_what_the_interpreters_hold(engine):
    engine.verify(astronaut(), camera_frame(astronaut()))
    engine.forget()
    for model in engine.models:
        interpreter = model._interpreter
        held = interpreter.get_tensor(interpreter.get_input_details()[0]["index"])
        assert not held.any()


def test_a_model_file_that_does_not_match_the_manifest_is_refused(tmp_path):
    import shutil

    from madoguchi.engine import models
    from madoguchi.errors import ModelError

    source = models.models_dir()
    for name in [*json.loads((source / models.MANIFEST).read_text(encoding="utf-8")), models.MANIFEST]:
        shutil.copyfile(source / name, tmp_path / name)
    FaceEngine.load(tmp_path)  # an intact copy loads
    with (tmp_path / models.DESCRIPTOR).open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x00\x01\x02\x03")
    with pytest.raises(ModelError, match="does not match its sha256"):
        FaceEngine.load(tmp_path)


class RecordingModel:
    """A real model that keeps every tensor it was given and every output it gave."""

    def __init__(self, model) -> None:
        self.model = model
        self.path = model.path
        self.seen: list[np.ndarray] = []

    @property
    def input_shape(self):
        return self.model.input_shape

    @property
    def input_dtype(self):
        return self.model.input_dtype

    def forget(self) -> None:
        self.model.forget()

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        outputs = self.model.run(tensor)
        self.seen += [tensor, *outputs]
        return outputs


class RecordingViews:
    """Keeps every set of chip views a descriptor (dlib's or FaceRes') was given."""

    def __init__(self, descriptor) -> None:
        self.descriptor = descriptor
        self.model = descriptor.model
        self.views_seen: list[np.ndarray] = []

    def __getattr__(self, name):
        return getattr(self.descriptor, name)

    def describe(self, views: np.ndarray) -> np.ndarray:
        self.views_seen.append(views)
        return self.descriptor.describe(views)


@pytest.fixture
def recording_engine(engine):
    """The fused engine with every model and both descriptors' chip views recorded."""
    from madoguchi.engine.detect import BlazeFace, FaceDetector
    from madoguchi.engine.embed import FaceDescriptor
    from madoguchi.engine.faceres import FaceRes
    from madoguchi.engine.landmarks import FaceMesh

    return FaceEngine(
        FaceDetector(
            full_range=BlazeFace.full_range(RecordingModel(engine.detector.full_range.model)),
            short_range=BlazeFace.short_range(RecordingModel(engine.detector.short_range.model)),
        ),
        FaceMesh(RecordingModel(engine.mesh.model)),
        engine.template,
        RecordingViews(FaceDescriptor(RecordingModel(engine.descriptor.model))),
        engine.calibration,
        faceres=RecordingViews(FaceRes(RecordingModel(engine.faceres.model), views=engine.faceres.views)),
        fusion=engine.fusion,
        closer_view=engine.closer_view,
    )


def test_working_arrays_are_zero_when_a_call_returns(recording_engine):
    frame = camera_frame(astronaut())
    face = recording_engine.find_one_face(frame)
    recording_engine.describe(recording_engine.align(frame, face))
    recording_engine.compare(frame, face, frame, face)
    assert len(recording_engine.models) == 5  # FaceRes too
    for model in recording_engine.models:
        assert model.seen, f"{model.path.name} never ran"
        # the letterbox canvases, mesh crops, chip tensors and every raw output
        assert not any(array.any() for array in model.seen), model.path.name
    compared = recording_engine.descriptor.views_seen[1:] + recording_engine.faceres.views_seen
    assert len(compared) == 4 and not any(views.any() for views in compared)  # both descriptors' chips


def test_both_descriptors_reuse_the_one_detection_and_mesh(recording_engine):
    frame = camera_frame(astronaut())
    face = recording_engine.find_one_face(frame)
    for model in recording_engine.models:
        model.seen.clear()
    recording_engine.describe_face(frame, face)
    ran = [model.path.name for model in recording_engine.models if model.seen]
    assert sorted(ran) == ["face_descriptor.tflite", "faceres.tflite"]  # no detector, no mesh again


def test_forget_zeroes_everything_the_engine_handed_out(recording_engine):
    frame = camera_frame(astronaut())
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    faces = [*recording_engine.find_faces(frame), recording_engine.find_one_face(grey)]
    views = recording_engine.align(frame, faces[0])
    descriptor = recording_engine.describe(views)
    description = recording_engine.describe_face(frame, faces[0])
    assert description.faceres is not None and not any(v.any() for v in recording_engine.faceres.views_seen)
    handed_out = [
        views,
        descriptor,
        *description.arrays(),
        *(f.points for f in faces),
        *(f.mesh for f in faces),
    ]
    copies = [a for a in recording_engine.scratch if a.shape == frame.shape]  # grey made RGB
    assert copies and all(a.any() for a in handed_out + copies)
    recording_engine.forget()
    assert not any(a.any() for a in handed_out + copies)
    assert len(recording_engine.scratch) == 0
    assert frame.any() and grey.any()  # the caller's images are the caller's to wipe


def test_the_scratch_stays_bounded_when_forget_is_never_called(engine):
    import dataclasses

    from madoguchi.engine import SCRATCH_LIMIT_BYTES
    from madoguchi.errors import FaceError

    frame = camera_frame(astronaut())
    found = engine.find_one_face(frame)
    face = dataclasses.replace(found, points=found.points.copy(), mesh=found.mesh.copy())
    first = engine.align(frame, face)
    for _ in range(SCRATCH_LIMIT_BYTES // first.nbytes + 2):
        engine.align(frame, face)
    held = sum(a.nbytes for a in engine.scratch)
    assert held <= SCRATCH_LIMIT_BYTES and not first.any()  # the oldest were wiped, not leaked
    engine.forget()
    with pytest.raises(FaceError):  # a face the engine has wiped cannot be used by mistake
        engine.align(frame, found)
