"""The face engine: detect, align, describe and score faces with LiteRT models only.

Pipeline for one image: BlazeFace finds faces (`detect.py`), the face mesh places 468 landmarks
(`landmarks.py`), the 150x150 chip is cut as dlib cuts it, aligned on the whole mesh, in three views
(`align.py`), dlib's ResNet descriptor runs int8 on LiteRT on each view (`embed.py`), and the distance
between two descriptors becomes a 0-100 score (`score.py`). Every public method checks its input
(`images.py`) and raises :mod:`madoguchi.errors` errors only.

What the engine hands out (faces' landmarks, chip views, descriptors) and copies of the images it
converts stay in its scratch until :meth:`FaceEngine.forget`, which zeroes them; its own working
arrays (letterbox canvases, mesh crops, model inputs and outputs, chips) are zeroed before each
step returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from madoguchi.engine import models
from madoguchi.engine.align import CHIP_SIZE, ChipTemplate, chip_views
from madoguchi.engine.detect import BlazeFace, Detection, FaceDetector
from madoguchi.engine.embed import FaceDescriptor, distance
from madoguchi.engine.images import MAX_SIDE, MIN_SIDE, face_points, rgb_image
from madoguchi.engine.landmarks import POINTS, FaceMesh
from madoguchi.engine.runtime import TfliteModel
from madoguchi.engine.score import Calibration
from madoguchi.engine.types import Face, FaceBox, Verification
from madoguchi.errors import MultipleFacesFound, NoFaceFound, UnreadableImage
from madoguchi.privacy import TransactionMemory, wipe

__all__ = ["Face", "FaceBox", "FaceEngine", "Verification"]

# A second face smaller than this share of the largest one's height is background, not a second person.
SECOND_FACE_RATIO = 0.5
# describe() averages the views of one face; align() gives three.
MAX_VIEWS = 8
# The scratch holds what the engine handed out until forget(); a caller that never calls it (a
# benchmark loop) gets its oldest arrays wiped past this many bytes (a transaction holds ~1 MiB).
SCRATCH_LIMIT_BYTES = 64 * 1024 * 1024


class FaceEngine:
    """Everything needed to compare an ID photo with a live capture.

    >>> engine = FaceEngine.load()
    >>> result = engine.verify(id_photo_rgb, camera_frame_rgb)
    >>> result.score  # 0-100, compared by staff with their threshold
    """

    def __init__(
        self,
        detector: FaceDetector,
        mesh: FaceMesh,
        template: ChipTemplate,
        descriptor: FaceDescriptor,
        calibration: Calibration,
    ) -> None:
        self.detector = detector
        self.mesh = mesh
        self.template = template
        self.descriptor = descriptor
        self.calibration = calibration
        self.scratch = TransactionMemory(limit_bytes=SCRATCH_LIMIT_BYTES)
        """Every array the engine handed out or copied from an image; zeroed by :meth:`forget`."""
        self.models = (
            detector.full_range.model,
            detector.short_range.model,
            mesh.model,
            descriptor.model,
        )

    @classmethod
    def load(cls, directory: Path | None = None, *, threads: int = 1) -> FaceEngine:
        """Load and verify (sha256) every model; raises ModelError with the file at fault."""
        root = models.models_dir(directory)

        def model(name: str) -> TfliteModel:
            return TfliteModel(models.verified(root, name), threads=threads)

        return cls(
            FaceDetector(
                full_range=BlazeFace.full_range(model(models.DETECTOR)),
                short_range=BlazeFace.short_range(model(models.SHORT_DETECTOR)),
            ),
            FaceMesh(model(models.MESH)),
            ChipTemplate.load(models.verified(root, models.CHIP_TEMPLATE), landmarks=POINTS),
            FaceDescriptor(model(models.DESCRIPTOR)),
            Calibration.load(models.verified(root, models.CALIBRATION)),
        )

    def find_faces(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Face]:
        """Every face in the image, largest first. ``min_face`` (px) makes large pages be tiled."""
        image = self._image(rgb)
        detections = self._detections(image, min_face)
        try:
            return [self._face(image, detection) for detection in detections]
        finally:
            _wipe_detections(detections)

    def find_one_face(self, rgb: np.ndarray, *, min_face: int | None = None, side: str | None = None) -> Face:
        """The one face in the image; NoFaceFound or MultipleFacesFound otherwise.

        Decided on the detector's boxes, so the mesh runs on the one face only (once per frame).
        """
        image = self._image(rgb, side=side)
        detections = self._detections(image, min_face)
        try:
            if not detections:
                raise NoFaceFound("no face found", side=side)
            heights = [float(d.box[3]) - float(d.box[1]) for d in detections[:2]]
            if len(heights) > 1 and heights[1] >= SECOND_FACE_RATIO * heights[0]:
                raise MultipleFacesFound(f"{len(detections)} faces found", side=side)
            return self._face(image, detections[0])
        finally:
            _wipe_detections(detections)

    def _image(self, rgb: np.ndarray, *, side: str | None = None) -> np.ndarray:
        """``rgb`` checked by :func:`~madoguchi.engine.images.rgb_image`; a converted copy goes
        into the scratch."""
        try:
            image = rgb_image(rgb, what=f"{side} image" if side else "image")
        except UnreadableImage as error:
            error.side = side
            raise
        return image if image is rgb else self.scratch.keep(image)

    def _detections(self, rgb: np.ndarray, min_face: int | None) -> list[Detection]:
        """The detector's faces, largest box first."""
        if min_face is not None and not (isinstance(min_face, int) and MIN_SIDE <= min_face <= MAX_SIDE):
            raise UnreadableImage(f"min_face must be {MIN_SIDE}-{MAX_SIDE} px, not {min_face!r}")
        detections = self.detector.detect(rgb, min_face=min_face)
        return sorted(detections, key=lambda d: -(float(d.box[3]) - float(d.box[1])))

    def _face(self, rgb: np.ndarray, detection: Detection) -> Face:
        landmarks = self.mesh.locate(rgb, detection)
        x0, y0, x1, y1 = (float(v) for v in detection.box)
        box = FaceBox(x0, y0, x1, y1, detection.score)
        return self.scratch.keep_face(Face(box=box, points=landmarks.five, mesh=landmarks.points))

    def align(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The face's chip views, (3, 150, 150, 3): see :func:`madoguchi.engine.align.chip_views`."""
        return self.scratch.keep(self._views(self._image(rgb), face))

    def _views(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        return chip_views(rgb, face_points(face, mesh=True).mesh, self.template)

    def describe(self, views: np.ndarray) -> np.ndarray:
        """The face's descriptor from its chip views (what :meth:`align` returns)."""
        if (
            not isinstance(views, np.ndarray)
            or views.dtype != np.uint8
            or views.ndim != 4
            or views.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3)
            or not 1 <= len(views) <= MAX_VIEWS
        ):
            shape = getattr(views, "shape", type(views).__name__)
            raise UnreadableImage(f"expected 1-{MAX_VIEWS} uint8 chips (N, 150, 150, 3), not {shape}")
        return self.scratch.keep(self.descriptor.describe(views))

    def forget(self) -> None:
        """Zero every array the engine handed out or copied since the last call (faces' landmarks,
        chip views, descriptors, converted images), and overwrite what the interpreters still hold
        of the last images. The counter calls it after each transaction."""
        self.scratch.wipe()
        for model in self.models:
            model.forget()

    def score(self, descriptor_distance: float) -> float:
        return self.calibration.score(descriptor_distance)

    def verify(self, reference: np.ndarray, live: np.ndarray) -> Verification:
        """Score an ID photo (or its crop) against a live capture. Raises FaceError with ``side``."""
        reference_face = self.find_one_face(reference, side="reference")
        return self.compare(reference, reference_face, live, self.find_one_face(live, side="live"))

    def compare(
        self, reference: np.ndarray, reference_face: Face, live: np.ndarray, live_face: Face
    ) -> Verification:
        """Score two faces already found (by :meth:`find_one_face`) in their images."""
        reference, live = self._image(reference, side="reference"), self._image(live, side="live")
        held: list[np.ndarray] = []
        try:
            held += [self._views(reference, reference_face), self._views(live, live_face)]
            held += [self.descriptor.describe(held[0]), self.descriptor.describe(held[1])]
            gap = distance(held[2], held[3])
        finally:
            wipe(*held)
        return Verification(
            score=self.score(gap), distance=gap, reference_box=reference_face.box, live_box=live_face.box
        )


def _wipe_detections(detections: list[Detection]) -> None:
    """The detector's boxes and keypoints: where a face is, and where its eyes, nose and mouth are."""
    wipe(*(d.box for d in detections), *(d.keypoints for d in detections))
