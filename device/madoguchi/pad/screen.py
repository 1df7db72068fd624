"""Screen and print cues in the frequency domain of the face: moiré, and a screen's refresh banding.

Moiré: a screen's pixel grid, or a print's halftone screen, sampled by the camera's pixel grid beats
into a fine regular pattern laid over the face. Skin, hair and the camera's own noise spread their
power over all frequencies; a regular pattern puts it into a few sharp peaks. :func:`moire` takes a
square of the frame at the face's middle (the camera's own pixels, no resampling, so that resampling
cannot make patterns of its own), removes shading, and returns log10 of its strongest peak over the
median power at that frequency's distance from the centre. The spectrum's axes are left out (image
edges and banding put power there), and so are the harmonics of MJPEG's 16x16 macroblock grid (a
camera sending MJPEG draws one over everything, 8x8 in brightness and 16x16 in colour).

Banding: a phone's backlight dimmed by pulse-width modulation (240-2000 Hz) lights the rows of a
rolling-shutter camera unevenly, as horizontal bands a few to a hundred rows apart that drift from
frame to frame. :func:`banding` takes the mean of each row over a strip down the middle of the face,
removes the slow changes, and returns log10 of the strongest period's power (six bands or more in
the strip) over the median power of the periods near it (a regular band stands out from its
neighbours; the face's brows, eyes and mouth do not repeat).

Both are measured per frame and summed up by their median over the capture's frames.
"""

from __future__ import annotations

import cv2
import numpy as np

from madoguchi.engine.types import FaceBox

WINDOW = 128
"""Side of the square analysed for moiré, in camera pixels, at the face's middle."""
MOIRE_RADII = (0.08, 0.45)
"""Cycles per pixel: below, the face's own shapes; above, the corners of the spectrum."""
JPEG_BLOCK = 16
"""MJPEG's macroblock: 8x8 blocks, and 16x16 where colour is subsampled (4:2:0)."""


def _grey(rgb: np.ndarray) -> np.ndarray:
    return (
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) if rgb.ndim == 3 else rgb.astype(np.float32)
    )


def _rings() -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """The Hann window, and per ring of the shifted spectrum (one frequency step wide, within
    :data:`MOIRE_RADII`) the indices of its points off the axes, and of those also off the JPEG grid."""
    f = np.fft.fftshift(np.fft.fftfreq(WINDOW))
    fy, fx = np.meshgrid(f, f, indexing="ij")
    step = 1 / WINDOW
    near_axis = ((np.abs(fx) <= 2 * step) | (np.abs(fy) <= 2 * step)).ravel()
    grid = np.zeros(WINDOW * WINDOW, bool)
    for k in range(1, JPEG_BLOCK // 2 + 1):
        at = k / JPEG_BLOCK
        grid |= ((np.abs(np.abs(fx) - at) <= step) | (np.abs(np.abs(fy) - at) <= step)).ravel()
    rings = np.round(np.hypot(fx, fy) / step).astype(int).ravel()
    low, high = round(MOIRE_RADII[0] / step), round(MOIRE_RADII[1] / step)
    kept = [r for r in range(low, high + 1) if ((rings == r) & ~near_axis & ~grid).any()]
    typical = [np.flatnonzero((rings == r) & ~near_axis) for r in kept]
    usable = [np.flatnonzero((rings == r) & ~near_axis & ~grid) for r in kept]
    hann = np.outer(np.hanning(WINDOW), np.hanning(WINDOW)).astype(np.float32)
    return hann, typical, usable


HANN, _TYPICAL, _USABLE = _rings()
# ring by ring, as flat index lists with where each ring starts: one sort and one reduce per frame
_TYPICAL_ALL, _USABLE_ALL = np.concatenate(_TYPICAL), np.concatenate(_USABLE)
_TYPICAL_RING = np.repeat(np.arange(len(_TYPICAL)), [len(t) for t in _TYPICAL])
_TYPICAL_MIDDLE = np.cumsum([0] + [len(t) for t in _TYPICAL[:-1]]) + np.array([len(t) // 2 for t in _TYPICAL])
_USABLE_START = np.cumsum([0] + [len(u) for u in _USABLE[:-1]])


def moire(rgb: np.ndarray, box: FaceBox) -> float:
    """log10 of the strongest regular pattern over the face (see the module docstring); NaN when the
    face's middle is not a whole :data:`WINDOW` inside the frame."""
    cx, cy = box.center
    x0, y0 = round(cx - WINDOW / 2), round(cy - WINDOW / 2)
    if x0 < 0 or y0 < 0 or x0 + WINDOW > rgb.shape[1] or y0 + WINDOW > rgb.shape[0]:
        return float("nan")
    grey = _grey(rgb[y0 : y0 + WINDOW, x0 : x0 + WINDOW])
    detail = grey - cv2.GaussianBlur(grey, (0, 0), 4)
    power = (np.abs(np.fft.fftshift(np.fft.fft2(detail * HANN))) ** 2).ravel()
    grey.fill(0)
    detail.fill(0)
    values = power[_TYPICAL_ALL]
    typical = values[np.lexsort((values, _TYPICAL_RING))][_TYPICAL_MIDDLE]  # each ring's median
    peaks = np.maximum.reduceat(power[_USABLE_ALL], _USABLE_START)
    return float(np.log10(max(float((peaks / np.maximum(typical, 1e-12)).max()), 1e-6)))


def banding(rgb: np.ndarray, box: FaceBox) -> float:
    """log10 of the strongest row period's power over its neighbours' (see the module docstring) in a
    strip half the face wide, from above the head to below the chin; NaN when too short."""
    cx = box.center[0]
    x0, x1 = round(cx - box.width / 4), round(cx + box.width / 4)
    y0, y1 = round(box.y0 - 0.5 * box.height), round(box.y1 + 0.5 * box.height)
    x0, x1, y0, y1 = max(0, x0), min(rgb.shape[1], x1), max(0, y0), min(rgb.shape[0], y1)
    if y1 - y0 < 48 or x1 - x0 < 8:
        return float("nan")
    rows = _grey(rgb[y0:y1, x0:x1]).mean(axis=1)
    slow = cv2.GaussianBlur(rows[:, None], (1, 0), sigmaX=0, sigmaY=12)[:, 0]
    detail = (rows - slow) / np.maximum(slow, 1.0)
    n = len(detail)
    power = np.abs(np.fft.rfft(detail * np.hanning(n))) ** 2
    highest = min(len(power) - 7, n // 6)  # periods of 6 rows or more
    if highest < 7:
        return float("nan")
    # each period from 6 bands in the strip up, against the five periods each side of it (its next
    # neighbours left out: a band's peak spreads into them through the window)
    windows = np.lib.stride_tricks.sliding_window_view(power, 13)[: highest - 5]  # centred on k = 6..highest
    around = np.median(np.concatenate([windows[:, :5], windows[:, 8:]], axis=1), axis=1)
    ratio = power[6 : highest + 1] / np.maximum(around, 1e-12)
    return float(np.log10(max(float(ratio.max()), 1e-6)))
