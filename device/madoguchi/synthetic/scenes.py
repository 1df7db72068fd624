"""The room behind the visitor and the camera that films it, for synthetic capture sequences.

A room has straight lines (a partition, a door frame, a notice on the wall): the presentation-attack
checks must not take those for a photo's border. The camera blurs a little, adds noise, may flicker
with mains lighting (bands on a rolling shutter, as fluorescent lamps give at 100 or 120 Hz) and may
send MJPEG.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np


def room(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A counter's back wall (w, h) = ``size``, as float32 RGB 0-1: a wall, a partition, maybe a door
    frame and a notice, lit unevenly."""
    w, h = size
    wall = rng.uniform(0.45, 0.85, 3) * rng.uniform(0.9, 1.1, 3)
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :, None]
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None, None]
    light = 1 + rng.uniform(-0.15, 0.15) * x + rng.uniform(-0.1, 0.1) * y
    image = np.clip(np.broadcast_to(wall, (h, w, 3)) * light, 0, 1).astype(np.float32)
    if rng.random() < 0.7:  # a partition panel at one side
        left = int(rng.uniform(0, 0.25) * w) if rng.random() < 0.5 else int(rng.uniform(0.65, 0.85) * w)
        top = int(rng.uniform(0.05, 0.4) * h)
        shade = rng.uniform(0.3, 0.8, 3)
        cv2.rectangle(
            image, (left, top), (left + int(rng.uniform(0.15, 0.3) * w), h), tuple(map(float, shade)), -1
        )
    if rng.random() < 0.5:  # a door frame
        x0 = int(rng.uniform(0.05, 0.9) * w)
        cv2.rectangle(image, (x0, int(0.1 * h)), (x0 + int(0.2 * w), h), tuple(map(float, wall * 0.55)), 6)
    if rng.random() < 0.5:  # a notice on the wall
        nx, ny = int(rng.uniform(0.05, 0.8) * w), int(rng.uniform(0.05, 0.5) * h)
        cv2.rectangle(image, (nx, ny), (nx + int(0.12 * w), ny + int(0.16 * h)), (0.95, 0.95, 0.92), -1)
    counter = int(rng.uniform(0.85, 0.97) * h)
    cv2.rectangle(image, (0, counter), (w, h), tuple(map(float, rng.uniform(0.2, 0.5, 3))), -1)
    return image


@dataclass(frozen=True)
class Camera:
    """What the camera does to the light in front of it."""

    size: tuple[int, int]
    blur: float  # optics, sigma in pixels
    noise: float  # sensor noise, grey levels (of 255)
    gain: float  # exposure
    flicker: float  # mains flicker banding amplitude (0: LED or daylight)
    flicker_rows: float  # rows per flicker period (about a third of the frame at 100 Hz, 30 fps)
    jpeg: int | None  # MJPEG quality, or None for raw frames

    def shoot(self, light: np.ndarray, t: float, rng: np.random.Generator) -> np.ndarray:
        """``light`` (float32 RGB 0-1, this camera's size) as a uint8 RGB frame at time ``t``."""
        w, h = self.size
        image = cv2.GaussianBlur(light, (0, 0), self.blur)
        image *= np.float32(255 * self.gain)
        if self.flicker > 0:
            rows = np.arange(h, dtype=np.float32)
            phase = 2 * np.pi * (rows / self.flicker_rows + 3.3 * t)
            image *= (1 + self.flicker * np.sin(phase)).astype(np.float32)[:, None, None]
        # sensor noise, drawn at half resolution (demosaicing correlates neighbours anyway)
        noise = rng.standard_normal((h // 2, w // 2, 3), dtype=np.float32)
        image += cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32(1.6 * self.noise)
        frame = np.clip(image, 0, 255, out=image).astype(np.uint8)
        if self.jpeg is not None:
            ok, data = cv2.imencode(
                ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, self.jpeg]
            )
            if ok:
                frame = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        return frame


def smooth_walk(
    rng: np.random.Generator, amplitude: float, speed: float, parts: int = 3
) -> Callable[[float], float]:
    """A smooth wander: a sum of ``parts`` sines of random phase, about ``speed`` Hz, within
    ``amplitude``; returns a function of time."""
    freqs = speed * rng.uniform(0.4, 1.6, parts)
    phases = rng.uniform(0, 2 * np.pi, parts)
    weights = rng.uniform(0.5, 1.0, parts)
    weights *= amplitude / weights.sum()

    def at(t: float) -> float:
        return float(np.sum(weights * np.sin(2 * np.pi * freqs * t + phases)))

    return at


def paste(light: np.ndarray, layer: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``layer`` over ``light`` where ``alpha`` (H, W, 0-1) says, in place."""
    light[:] = cv2.blendLinear(light, layer, 1 - alpha, alpha)
    return light
