"""dlib's ResNet face descriptor, converted to LiteRT by models/build_embedder.py.

The model takes the 150x150 RGB chip as pixel values (0-255); dlib's mean subtraction and scaling
are inside the model. It returns dlib's 128-d descriptor; distances compare as dlib's do (0.6 is
dlib's own same-person threshold).
"""

from __future__ import annotations

import numpy as np

from madoguchi.engine.align import CHIP_SIZE
from madoguchi.engine.runtime import TfliteModel


class FaceDescriptor:
    """``describe(chip)`` returns the 128-d descriptor of a 150x150 RGB face chip."""

    def __init__(self, model: TfliteModel) -> None:
        if model.input_shape != (1, CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"{model.path.name}: expected a 150x150x3 face-chip input")
        self._model = model

    def describe(self, chip: np.ndarray) -> np.ndarray:
        (descriptor,) = self._model.run(chip[np.newaxis].astype(np.float32))
        return descriptor.reshape(-1).astype(np.float32)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two descriptors, as dlib and face_recognition measure it."""
    return float(np.linalg.norm(a - b))
