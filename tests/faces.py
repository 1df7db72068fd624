"""Real faces for tests that never depend on ../shared: scikit-image ships them in its wheel.

``astronaut()`` is NASA's public-domain portrait of Eileen Collins (512x512). ``lfw_subset()`` holds
100 tiny (25x25) grey LFW faces (and 100 non-faces), scaled up here: other people, as impostors.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

from madoguchi import paths
from madoguchi.synthetic import frames
from madoguchi.synthetic.people import astronaut

__all__ = ["LFW", "astronaut", "camera_frame", "other_people"]

LFW = paths.lfw()


def camera_frame(face: np.ndarray, *, size: int = 400, at: tuple[int, int] = (120, 40)) -> np.ndarray:
    """``face`` scaled to ``size`` px square on a 640x480 grey frame, top-left corner at ``at``."""
    x, y = at
    return frames.camera_frame((face, (x, y, x + size, y + size)), grey=100)


def other_people(count: int = 5) -> list[np.ndarray]:
    """Other people: LFW thumbnails from skimage (its first 100 images are faces, every 20th a new
    person), scaled to 120 px and set in a grey 240x240 frame so the detector sees some context."""
    people = []
    for thumb in data.lfw_subset()[:100:20][:count]:
        frame = np.full((240, 240), 128, np.uint8)
        frame[60:180, 60:180] = cv2.resize(
            (thumb * 255).astype(np.uint8), (120, 120), interpolation=cv2.INTER_CUBIC
        )
        people.append(cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB))
    return people
