"""The frame of a photo or a phone around the face: straight edges on several sides of it, close by.

A print's border and a phone's bezel are straight lines a little way from the face on three or four
sides; a room has straight lines too (a partition, a door frame), but seldom on every side of a head
and at its distance. Per frame, :func:`frame_sides` looks in a region around the face (``REACH`` face
sizes to each side) for long straight edges (Canny, then a probabilistic Hough transform) that do
not cross the face, run roughly along the face's sides or above and below it, and span most of the
face's height or width; it returns on how many of the four sides it found one. The signal is the
mean over the capture's frames: a print held in a hand covers a side with fingers now and then.
"""

from __future__ import annotations

import cv2
import numpy as np

from madoguchi.engine.types import FaceBox

REACH = 1.3
"""How far beyond the face box to look, in face widths (sideways) and heights (above, below)."""
MIN_SPAN = 0.6
"""An edge must run along this share of the face's height (sides) or width (above, below)."""
MAX_TILT = 25.0
"""Degrees an edge may lean from upright or level: a hand tilts what it holds."""
WORK_HEIGHT = 240
"""The region is scaled to this height first: edges are long, detail is not needed."""


def frame_sides(rgb: np.ndarray, box: FaceBox) -> int:
    """On how many sides of the face (0-4) a long straight edge runs close by."""
    h, w = rgb.shape[:2]
    x0 = max(0, round(box.x0 - REACH * box.width))
    x1 = min(w, round(box.x1 + REACH * box.width))
    y0 = max(0, round(box.y0 - REACH * box.height))
    y1 = min(h, round(box.y1 + REACH * box.height))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return 0
    scale = min(1.0, WORK_HEIGHT / (y1 - y0))
    region = cv2.resize(rgb[y0:y1, x0:x1], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY) if region.ndim == 3 else region
    edges = cv2.Canny(cv2.GaussianBlur(small, (0, 0), 1.2), 40, 110)
    small_face = (
        (box.x0 - x0) * scale,
        (box.y0 - y0) * scale,
        (box.x1 - x0) * scale,
        (box.y1 - y0) * scale,
    )
    fx0, fy0, fx1, fy1 = small_face
    fw, fh = fx1 - fx0, fy1 - fy0
    shortest = MIN_SPAN * min(fw, fh)
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=max(10, round(shortest / 2)), minLineLength=shortest, maxLineGap=4
    )
    region.fill(0)
    small.fill(0)
    if lines is None:
        return 0
    sides = set()
    for ax, ay, bx, by in lines.reshape(-1, 4).astype(np.float64):
        angle = np.degrees(np.arctan2(by - ay, bx - ax)) % 180
        if abs(angle - 90) <= MAX_TILT:  # upright: left or right of the face
            mid_x = (ax + bx) / 2
            span = min(max(ay, by), fy1) - max(min(ay, by), fy0)
            if span < MIN_SPAN * fh:
                continue
            if mid_x < fx0 - 0.05 * fw:
                sides.add("left")
            elif mid_x > fx1 + 0.05 * fw:
                sides.add("right")
        elif min(angle, 180 - angle) <= MAX_TILT:  # level: above or below the face
            mid_y = (ay + by) / 2
            span = min(max(ax, bx), fx1) - max(min(ax, bx), fx0)
            if span < MIN_SPAN * fw:
                continue
            if mid_y < fy0 - 0.05 * fh:
                sides.add("top")
            elif mid_y > fy1 + 0.05 * fh:
                sides.add("bottom")
    return len(sides)
