"""Descreening removes a print's dot structure at any scan resolution and keeps a face's edges."""

from __future__ import annotations

import numpy as np
import pytest

from madoguchi.document.descreen import descreen
from madoguchi.units import MM_PER_INCH


def am_screen(dpi: int, lpi: float, size_mm: float = 20.0) -> np.ndarray:
    """A mid-grey laser print's clustered dots at ``lpi`` (45°), as scanned at ``dpi``."""
    n = round(size_mm / MM_PER_INCH * dpi)
    y, x = np.mgrid[0:n, 0:n].astype(np.float64) / dpi  # inches
    u, v = (x + y) / np.sqrt(2), (x - y) / np.sqrt(2)
    dots = (np.cos(2 * np.pi * lpi * u) + np.cos(2 * np.pi * lpi * v)) > 0
    return np.repeat(np.where(dots, 40, 220).astype(np.uint8)[..., None], 3, axis=2)


def ripple(image: np.ndarray) -> float:
    """Standard deviation of the middle, away from the blur's borders."""
    h, w = image.shape[:2]
    return float(image[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4].std())


@pytest.mark.parametrize("dpi", [300, 400, 600])
@pytest.mark.parametrize("lpi", [100, 150])
def test_a_laser_screen_is_smoothed_to_an_even_grey(dpi, lpi):
    printed = am_screen(dpi, lpi)
    assert ripple(printed) > 60
    assert ripple(descreen(printed, dpi)) < 0.1 * ripple(printed)


def test_an_edge_a_millimetre_wide_keeps(dpi=300):
    """A step from dark to light (an eyebrow's edge) still rises within half a millimetre."""
    n = round(20 / MM_PER_INCH * dpi)
    step = np.zeros((n, n, 3), np.uint8)
    step[:, n // 2 :] = 200
    row = descreen(step, dpi)[n // 2, :, 0].astype(float)
    rise = np.flatnonzero((row > 20) & (row < 180))
    assert 0 < len(rise) / dpi * MM_PER_INCH < 0.5


def test_the_input_is_left_as_it_was():
    printed = am_screen(300, 133)
    before = printed.copy()
    out = descreen(printed, 300)
    assert np.array_equal(printed, before) and out is not printed and out.shape == printed.shape
