"""What the public entries of :mod:`madoguchi.engine` and :mod:`madoguchi.document` accept, checked
in one place, so that bad input ends in a :mod:`madoguchi.errors` error and never in OpenCV's or
numpy's.

An image (:func:`rgb_image`) is a numpy array of ``uint8``:

- (H, W, 3), RGB: taken as it is, read-only or not;
- grey, (H, W) or (H, W, 1): converted to RGB;
- a view that is not C-contiguous (every n-th pixel, mirrored, a channel slice): copied, since
  OpenCV reads only rows of contiguous pixels.

Refused with :class:`~madoguchi.errors.UnreadableImage`: anything else (floats, whose scale, 0-1
or 0-255, would be a guess; 16-bit scans; 2 or 4 channels, where RGBA and BGRA cannot be told
apart); a side under ``min_side``; a side over :data:`MAX_SIDE` or more than :data:`MAX_PIXELS`
(an A4 page at 1,200 dpi, the scanner's highest setting, is 139 Mpx). Sizes are checked before
anything is copied.

A conversion or copy holds the image too: the caller wipes it (the engine keeps it in its scratch,
:class:`~madoguchi.privacy.TransactionMemory`, until :meth:`~madoguchi.engine.FaceEngine.forget`).

A face (:func:`face_points`) handed back to the engine or the quality gate must carry finite
landmarks of the shapes the engine gives them, spread over more than a pixel (a face zeroed by
``forget()`` is refused); else :class:`~madoguchi.errors.FaceError`.
"""

from __future__ import annotations

import numpy as np

from madoguchi.engine.types import Face
from madoguchi.errors import FaceError, UnreadableImage

MIN_SIDE = 32
"""Smallest image side (px) the engine looks at: BlazeFace's short-range input is 128 px, and a
face in fewer than 32 px has nothing left to compare."""
MAX_SIDE = 20_000
MAX_PIXELS = 150_000_000


def rgb_image(image: object, *, min_side: int = MIN_SIDE, what: str = "image") -> np.ndarray:
    """``image`` as a C-contiguous (H, W, 3) uint8 RGB array: itself when it already is one, else
    a new array (see the module docstring); UnreadableImage naming ``what`` if it cannot be one."""
    if not isinstance(image, np.ndarray):
        raise UnreadableImage(f"the {what} is not an image array (got {type(image).__name__})")
    if image.dtype != np.uint8:
        raise UnreadableImage(f"the {what} must be 8-bit (uint8), not {image.dtype}")
    grey = image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1)
    if not grey and not (image.ndim == 3 and image.shape[2] == 3):
        raise UnreadableImage(f"the {what} must be RGB (H, W, 3) or grey (H, W), not {image.shape}")
    height, width = image.shape[:2]
    if min(height, width) < min_side:
        raise UnreadableImage(f"the {what} is too small: {width}x{height} px (at least {min_side} a side)")
    if max(height, width) > MAX_SIDE or height * width > MAX_PIXELS:
        raise UnreadableImage(
            f"the {what} is too large: {width}x{height} px"
            f" (at most {MAX_SIDE} a side and {MAX_PIXELS // 1_000_000} Mpx)"
        )
    if grey:
        rgb = np.empty((height, width, 3), np.uint8)
        rgb[...] = image.reshape(height, width, 1)
        return rgb
    return image if image.flags.c_contiguous else np.ascontiguousarray(image)


def face_points(face: object, *, mesh: bool = False) -> Face:
    """``face`` if it is a :class:`Face` with finite landmarks, five (5, 2) points and, with
    ``mesh``, the whole mesh (N, 2) the engine gives it; FaceError otherwise."""
    if not isinstance(face, Face):
        raise FaceError(f"expected a Face found by the engine, not {type(face).__name__}")
    arrays = [("points", face.points, 5)]
    if mesh:
        if face.mesh is None:
            raise FaceError("the face has no mesh: use a face that find_faces() or find_one_face() returned")
        arrays.append(("mesh", face.mesh, None))
    for name, array, rows in arrays:
        if (
            not isinstance(array, np.ndarray)
            or array.ndim != 2
            or array.shape[1] != 2
            or (rows is not None and array.shape[0] != rows)
            or array.dtype.kind not in "fiu"
            or not np.isfinite(array).all()
        ):
            raise FaceError(f"the face's {name} are not finite (x, y) landmarks of the engine's shape")
        if np.ptp(array, axis=0).max() < 1:
            raise FaceError(f"the face's {name} lie within one pixel (a face wiped by forget()?)")
    box = face.box
    if not all(np.isfinite([box.x0, box.y0, box.x1, box.y1, box.score])):
        raise FaceError("the face's box is not finite")
    return face
