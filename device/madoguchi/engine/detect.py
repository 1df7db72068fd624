"""Face detection with MediaPipe BlazeFace, on camera frames and on whole scanned pages.

Two BlazeFace models see the whole image, letterboxed to their input: the short-range one (128x128,
trained on faces near the camera, as a visitor at the counter is) and the full-range one (192x192,
for smaller faces); each finds faces the other misses. A scanned page is also cut into overlapping
tiles for the full-range model, sized so that the smallest face we accept (``min_face`` pixels on the
page) still appears about 40 px tall to it. Detections from all views are merged with MediaPipe's
weighted non-maximum suppression.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.engine.runtime import TfliteModel
from madoguchi.privacy import wipe

MIN_SCORE = 0.5
IOU_MERGE = 0.3
# A face `min_face` px tall on the page should be about this tall in the full-range model's input.
TILE_FACE_PX = 40
TILE_OVERLAP = 0.25


@dataclass(frozen=True)
class Detection:
    """One face as BlazeFace sees it: box (x0, y0, x1, y1) and 6 keypoints, in image pixels.

    Keypoints: subject's right eye, left eye, nose tip, mouth centre, right ear, left ear.
    """

    box: np.ndarray
    keypoints: np.ndarray
    score: float


class BlazeFace:
    """One BlazeFace model and its anchor grid; ``detect_view`` decodes its raw output."""

    def __init__(self, model: TfliteModel, *, grids: tuple[tuple[int, int], ...]) -> None:
        """``grids``: (stride, anchors per cell) of each feature map, as MediaPipe's SSD options."""
        self.size = model.input_shape[1]
        if model.input_shape != (1, self.size, self.size, 3):
            raise ValueError(f"{model.path.name}: expected a square RGB BlazeFace input")
        self.model = model
        anchors = []
        for stride, per_cell in grids:
            cells = self.size // stride
            centres = (np.arange(cells, dtype=np.float32) + 0.5) / cells
            xs, ys = np.meshgrid(centres, centres)
            anchors.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
        self._anchors = np.concatenate(anchors)

    @classmethod
    def full_range(cls, model: TfliteModel) -> BlazeFace:
        return cls(model, grids=((4, 1),))

    @classmethod
    def short_range(cls, model: TfliteModel) -> BlazeFace:
        return cls(model, grids=((8, 2), (16, 6)))

    def detect_view(self, view: np.ndarray, *, offset: tuple[int, int] = (0, 0)) -> np.ndarray:
        """Rows of [x0, y0, x1, y1, 6 keypoints (x, y), score] in image pixels."""
        size = self.size
        height, width = view.shape[:2]
        scale = size / max(height, width)
        resized = cv2.resize(
            view, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA
        )
        canvas = np.zeros((size, size, 3), np.float32)
        pad_y, pad_x = (size - resized.shape[0]) // 2, (size - resized.shape[1]) // 2
        scaled = np.empty(resized.shape, np.float64)
        try:
            np.divide(resized, 127.5, out=scaled)  # the model wants -1..1
            scaled -= 1.0
            canvas[pad_y : pad_y + resized.shape[0], pad_x : pad_x + resized.shape[1]] = scaled
            regressors, classifiers = self.model.run(canvas[np.newaxis])
        finally:
            wipe(resized, scaled, canvas)
        try:
            return self._decode(regressors, classifiers, scale, (pad_x, pad_y), offset)
        finally:
            wipe(regressors, classifiers)

    def _decode(
        self,
        regressors: np.ndarray,
        classifiers: np.ndarray,
        scale: float,
        pad: tuple[int, int],
        offset: tuple[int, int],
    ) -> np.ndarray:
        """The model's raw output as rows of :meth:`detect_view`."""
        size = self.size
        pad_x, pad_y = pad
        logits = np.clip(classifiers.reshape(-1), -80, 80)
        scores = 1.0 / (1.0 + np.exp(-logits))
        keep = scores >= MIN_SCORE
        if not keep.any():
            return np.empty((0, 17), np.float32)
        raw = regressors.reshape(-1, 8, 2)[keep] / size
        anchors = self._anchors[keep]
        centre, box_size = raw[:, 0] + anchors, raw[:, 1]
        points = raw[:, 2:] + anchors[:, np.newaxis]
        boxes = np.concatenate([centre - box_size / 2, centre + box_size / 2], axis=1).reshape(-1, 2, 2)
        # input-normalised -> view pixels -> image pixels
        to_pixels = size / scale
        shift = np.array([pad_x, pad_y], np.float32) / size
        boxes = (boxes - shift) * to_pixels + offset
        points = (points - shift) * to_pixels + offset
        rows = np.concatenate([boxes.reshape(-1, 4), points.reshape(-1, 12), scores[keep, None]], axis=1)
        valid = (rows[:, 2] > rows[:, 0]) & (rows[:, 3] > rows[:, 1])
        return rows[valid].astype(np.float32)


class FaceDetector:
    """``detect(rgb)`` returns every face found by either model; ``min_face`` turns on page tiling."""

    def __init__(self, full_range: BlazeFace, short_range: BlazeFace) -> None:
        self.full_range = full_range
        self.short_range = short_range

    def detect(self, rgb: np.ndarray, *, min_face: int | None = None) -> list[Detection]:
        """Faces in ``rgb`` (H, W, 3 uint8), best first."""
        found = [self.full_range.detect_view(rgb), self.short_range.detect_view(rgb)]
        if min_face:
            tile = min_face * self.full_range.size // TILE_FACE_PX
            for x0, y0, x1, y1 in _tiles(rgb.shape[1], rgb.shape[0], tile=tile):
                found.append(self.full_range.detect_view(rgb[y0:y1, x0:x1], offset=(x0, y0)))
        return [
            Detection(box=row[0:4], keypoints=row[4:16].reshape(6, 2), score=float(row[16]))
            for row in _weighted_nms(np.concatenate(found))
        ]


def _tiles(width: int, height: int, *, tile: int) -> list[tuple[int, int, int, int]]:
    """Overlapping square views of side ``tile`` covering the image; none if one view suffices."""
    if tile >= max(width, height) * 0.75:
        return []
    step = max(1, int(tile * (1 - TILE_OVERLAP)))
    xs = sorted({*range(0, max(1, width - tile), step), max(0, width - tile)})
    ys = sorted({*range(0, max(1, height - tile), step), max(0, height - tile)})
    return [(x, y, min(width, x + tile), min(height, y + tile)) for y in ys for x in xs]


def _weighted_nms(rows: np.ndarray) -> list[np.ndarray]:
    """MediaPipe's blending NMS: overlapping detections are averaged, weighted by their scores.

    Overlap is also measured against the smaller box, so a face cut in half at a tile's edge is
    absorbed by the whole face found in the neighbouring tile instead of reported twice.
    """
    rows = rows[np.argsort(-rows[:, 16])]
    merged = []
    while len(rows):
        best = rows[0]
        x0 = np.maximum(best[0], rows[:, 0])
        y0 = np.maximum(best[1], rows[:, 1])
        x1 = np.minimum(best[2], rows[:, 2])
        y1 = np.minimum(best[3], rows[:, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        areas = (rows[:, 2] - rows[:, 0]) * (rows[:, 3] - rows[:, 1])
        smaller = np.minimum(areas, areas[0])
        overlapping = inter / np.maximum(areas[0] + areas - inter, 1e-6) > IOU_MERGE
        contained = inter / np.maximum(smaller, 1e-6) > 0.8
        group = rows[overlapping]
        weights = group[:, 16:17]
        blended = (group[:, :16] * weights).sum(axis=0) / weights.sum()
        merged.append(np.concatenate([blended, best[16:17]]))
        rows = rows[~(overlapping | contained)]
    return merged
