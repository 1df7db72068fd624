"""dlib's ResNet face descriptor, converted to LiteRT by models/build_embedder.py.

The model takes the 150x150 RGB chip as pixel values (0-255); dlib's mean subtraction and scaling
are inside the model, and it returns dlib's raw 128-d descriptor.

A face is described by the mean of the descriptors of its chip and of the chip's mirror image,
scaled to unit length. The network saw mirrored faces in training, and averaging the two views
removes part of the noise of one: on LFW it cut verification errors by a third for one more 7 ms
inference. Unit length makes the distance depend on the angle between descriptors only (as cosine
similarity does), which keeps a change of contrast or sharpness, as a printed and scanned photo
has, from moving the distance: at a false-accept rate of 1e-3 it accepted 97 % of same-person LFW
pairs instead of 94 %. Figures in models/MODELS.md.
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
        self.model = model

    def describe(self, chip: np.ndarray) -> np.ndarray:
        total = np.zeros(128, np.float32)
        for view in (chip, chip[:, ::-1]):
            (descriptor,) = self.model.run(view[np.newaxis].astype(np.float32))
            total += descriptor.reshape(-1)
            descriptor.fill(0)
        total /= max(float(np.linalg.norm(total)), 1e-6)
        return total


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two unit-length descriptors: 0 (same) to 2 (opposite)."""
    return float(np.linalg.norm(a - b))
