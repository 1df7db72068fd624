"""The face engine: detect, align, describe and score faces with LiteRT models only.

Pipeline for one image: BlazeFace finds faces (`detect.py`), the face mesh places 468 landmarks
(`landmarks.py`), the 150x150 chip is cut as dlib cuts it, aligned on the whole mesh, in three views
(`align.py`), dlib's ResNet descriptor runs int8 on LiteRT on each view (`embed.py`), and the distance
between two descriptors becomes a 0-100 score (`score.py`). Arrays go in, plain values come out;
chips and descriptors stay with the caller, who wipes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from madoguchi.engine import models
from madoguchi.engine.align import ChipTemplate, chip_views
from madoguchi.engine.detect import BlazeFace, Detection, FaceDetector
from madoguchi.engine.embed import FaceDescriptor, distance
from madoguchi.engine.landmarks import POINTS, FaceMesh
from madoguchi.engine.runtime import TfliteModel
from madoguchi.engine.score import Calibration
from madoguchi.engine.types import Face, FaceBox, Verification
from madoguchi.errors import MultipleFacesFound, NoFaceFound, UnreadableImage

__all__ = ["Face", "FaceBox", "FaceEngine", "Verification"]

# A second face smaller than this share of the largest one's height is background, not a second person.
SECOND_FACE_RATIO = 0.5


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
        return [self._face(rgb, detection) for detection in self._detections(rgb, min_face)]

    def find_one_face(self, rgb: np.ndarray, *, min_face: int | None = None, side: str | None = None) -> Face:
        """The one face in the image; NoFaceFound or MultipleFacesFound otherwise.

        Decided on the detector's boxes, so the mesh runs on the one face only (once per frame).
        """
        detections = self._detections(rgb, min_face)
        if not detections:
            raise NoFaceFound("no face found", side=side)
        heights = [float(d.box[3]) - float(d.box[1]) for d in detections[:2]]
        if len(heights) > 1 and heights[1] >= SECOND_FACE_RATIO * heights[0]:
            raise MultipleFacesFound(f"{len(detections)} faces found", side=side)
        return self._face(rgb, detections[0])

    def _detections(self, rgb: np.ndarray, min_face: int | None) -> list[Detection]:
        """The detector's faces, largest box first."""
        _check_image(rgb)
        detections = self.detector.detect(rgb, min_face=min_face)
        return sorted(detections, key=lambda d: -(float(d.box[3]) - float(d.box[1])))

    def _face(self, rgb: np.ndarray, detection: Detection) -> Face:
        landmarks = self.mesh.locate(rgb, detection)
        x0, y0, x1, y1 = (float(v) for v in detection.box)
        box = FaceBox(x0, y0, x1, y1, detection.score)
        return Face(box=box, points=landmarks.five, mesh=landmarks.points)

    def align(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The face's chip views, (3, 150, 150, 3): see :func:`madoguchi.engine.align.chip_views`."""
        if face.mesh is None:
            raise ValueError("the face has no mesh: align faces that find_faces() returned")
        return chip_views(rgb, face.mesh, self.template)

    def describe(self, views: np.ndarray) -> np.ndarray:
        return self.descriptor.describe(views)

    def forget(self) -> None:
        """Overwrite what the interpreters still hold of the last images (after each transaction)."""
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
        held: list[np.ndarray] = []
        try:
            held += [self.align(reference, reference_face), self.align(live, live_face)]
            held += [self.describe(held[0]), self.describe(held[1])]
            gap = distance(held[2], held[3])
        finally:
            for array in held:
                array.fill(0)
        return Verification(
            score=self.score(gap), distance=gap, reference_box=reference_face.box, live_box=live_face.box
        )


def _check_image(rgb: np.ndarray) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise UnreadableImage("expected an RGB image (H, W, 3) of uint8")
    if min(rgb.shape[:2]) < 32:
        raise UnreadableImage(f"image too small: {rgb.shape[1]}x{rgb.shape[0]} px")
