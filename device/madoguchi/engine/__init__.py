"""The face engine: detect, align, describe and score faces with LiteRT models only.

Pipeline for one image: BlazeFace finds faces (`detect.py`), the face mesh places 468 landmarks
(`landmarks.py`), the 150x150 chip is cut as dlib cuts it, aligned on the whole mesh, in its views
(`align.py`), dlib's ResNet descriptor runs int8 on LiteRT on each view (`embed.py`); in the fused
engine (the default) a 224x224 chip aligned on five points of the same mesh goes through HSE FaceRes
too (`faceres.py`), and the two distances between two faces are fused into one (`fusion.py`). The
distance becomes a 0-100 score (`score.py`). Detector and mesh run once per face for both
descriptors. Every public method checks its input (`images.py`) and raises :mod:`madoguchi.errors`
errors only.

What the engine hands out (faces' landmarks, chip views, descriptions) and copies of the images it
converts stay in its scratch until :meth:`FaceEngine.forget`, which zeroes them; its own working
arrays (letterbox canvases, mesh crops, model inputs and outputs, both descriptors' chips) are
zeroed before each step returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from madoguchi.engine import models
from madoguchi.engine.align import CHIP_SIZE, ChipTemplate, chip_views
from madoguchi.engine.detect import BlazeFace, Detection, FaceDetector
from madoguchi.engine.embed import FaceDescriptor
from madoguchi.engine.faceres import FaceRes
from madoguchi.engine.fusion import Description, Fusion, dlib_distances
from madoguchi.engine.images import MAX_SIDE, MIN_SIDE, face_points, rgb_image
from madoguchi.engine.landmarks import POINTS, FaceMesh
from madoguchi.engine.runtime import TfliteModel
from madoguchi.engine.score import Calibration
from madoguchi.engine.types import Face, FaceBox, Verification
from madoguchi.errors import FaceError, MultipleFacesFound, NoFaceFound, UnreadableImage
from madoguchi.privacy import TransactionMemory, wipe

__all__ = ["Description", "Face", "FaceBox", "FaceEngine", "Verification"]

# A second face smaller than this share of the largest one's height is background, not a second person.
SECOND_FACE_RATIO = 0.5
# describe() averages the views of one face; align() gives three.
MAX_VIEWS = 8
# The scratch holds what the engine handed out until forget(); a caller that never calls it (a
# benchmark loop) gets its oldest arrays wiped past this many bytes (a transaction holds ~1 MiB).
SCRATCH_LIMIT_BYTES = 64 * 1024 * 1024
# The fused engine's views: FaceRes on the chip alone, dlib on the chip and its mirror (its third,
# closer view no longer pays for its inference once FaceRes is there: models/MODELS.md).
FUSED_FACERES_VIEWS = 1
FUSED_CLOSER_VIEW = False


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
        *,
        faceres: FaceRes | None = None,
        fusion: Fusion | None = None,
        closer_view: bool = True,
    ) -> None:
        """``faceres`` and ``fusion`` together make the fused engine, ``calibration`` then being the
        fused distance's; without them dlib's descriptor is the only one."""
        if (faceres is None) != (fusion is None):
            raise ValueError("FaceRes and the fusion of the two distances come together")
        self.detector = detector
        self.mesh = mesh
        self.template = template
        self.descriptor = descriptor
        self.calibration = calibration
        self.faceres = faceres
        self.fusion = fusion
        self.closer_view = closer_view
        self.scratch = TransactionMemory(limit_bytes=SCRATCH_LIMIT_BYTES)
        """Every array the engine handed out or copied from an image; zeroed by :meth:`forget`."""
        self.models = (
            detector.full_range.model,
            detector.short_range.model,
            mesh.model,
            descriptor.model,
            *((faceres.model,) if faceres is not None else ()),
        )

    @classmethod
    def load(cls, directory: Path | None = None, *, threads: int = 1, faceres: bool = True) -> FaceEngine:
        """Load and verify (sha256) every model; raises ModelError with the file at fault.

        ``faceres`` (the default) makes the fused engine; ``faceres=False`` keeps dlib's descriptor
        alone, with its own score calibration, for boxes too slow for both (``[models] faceres``).
        """
        root = models.models_dir(directory)

        def model(name: str) -> TfliteModel:
            return TfliteModel(models.verified(root, name), threads=threads)

        parts = (
            FaceDetector(
                full_range=BlazeFace.full_range(model(models.DETECTOR)),
                short_range=BlazeFace.short_range(model(models.SHORT_DETECTOR)),
            ),
            FaceMesh(model(models.MESH)),
            ChipTemplate.load(models.verified(root, models.CHIP_TEMPLATE), landmarks=POINTS),
            FaceDescriptor(model(models.DESCRIPTOR)),
        )
        if not faceres:
            return cls(*parts, Calibration.load(models.verified(root, models.CALIBRATION)))
        return cls(
            *parts,
            Calibration.load(models.verified(root, models.FUSED_CALIBRATION)),
            faceres=FaceRes(model(models.FACERES), views=FUSED_FACERES_VIEWS),
            fusion=Fusion.load(models.verified(root, models.FUSION)),
            closer_view=FUSED_CLOSER_VIEW,
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
        """The face's dlib chip views, (3, 150, 150, 3), or (2, ...) in the fused engine: see
        :func:`madoguchi.engine.align.chip_views`."""
        return self.scratch.keep(self._views(self._image(rgb), face))

    def _views(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        return chip_views(rgb, face_points(face, mesh=True).mesh, self.template, closer=self.closer_view)

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

    def describe_face(self, rgb: np.ndarray, face: Face) -> Description:
        """The face's description: dlib's descriptor and, in the fused engine, FaceRes' (chips made
        from the mesh already found, so no detector or mesh runs again). Kept until forget()."""
        description = self._description(self._image(rgb), face)
        for array in description.arrays():
            self.scratch.keep(array)
        return description

    def _description(self, rgb: np.ndarray, face: Face) -> Description:
        """Both descriptors of ``face``; every chip is wiped before this returns, and the first
        descriptor too if the second fails."""
        views = self._views(rgb, face)
        made: list[np.ndarray] = []
        try:
            made.append(self.descriptor.describe(views))
            if self.faceres is None:
                return Description(made[0])
            wipe(views)
            views = self.faceres.chips(rgb, face.mesh)
            made.append(self.faceres.describe(views))
            return Description(*made)
        except BaseException:
            wipe(*made)
            raise
        finally:
            wipe(views)

    def distance(self, a: Description, b: Description) -> float:
        """The distance the score is calibrated on: fused in the fused engine, else dlib's."""
        for description in (a, b):
            if not isinstance(description, Description) or (self.fusion is not None) != (
                description.faceres is not None
            ):
                raise FaceError("compare descriptions made by this engine (describe_face)")
        if self.fusion is None:
            return float(dlib_distances(a.dlib[None], b.dlib[None])[0, 0])
        return self.fusion.distance(a, b)

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
        held: list[Description] = []
        try:
            held.append(self._description(reference, reference_face))
            held.append(self._description(live, live_face))
            gap = self.distance(*held)
        finally:
            for description in held:
                description.wipe()
        return Verification(
            score=self.score(gap), distance=gap, reference_box=reference_face.box, live_box=live_face.box
        )


def _wipe_detections(detections: list[Detection]) -> None:
    """The detector's boxes and keypoints: where a face is, and where its eyes, nose and mouth are."""
    wipe(*(d.box for d in detections), *(d.keypoints for d in detections))
