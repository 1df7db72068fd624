"""What printing, a scanner glass and a scanner do to a picture.

The reference side of a counter check is a *printed and scanned* portrait, which is where a face
descriptor trained on photographs loses accuracy. :func:`halftone_print` gives colour shift,
halftone screen and glare, :func:`place` lays a card on the glass at any turn, and :func:`scan`
adds blur, sensor noise and JPEG, each drawn from an rng so a page is a pure function of its seed.
:func:`soft_print` is the mild, fixed version the simulator's sample pages use.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageFilter

NOISE_TILE = 251


def halftone_print(rgb: np.ndarray, rng: np.random.Generator, *, glare: float = 0.35) -> np.ndarray:
    """Print simulation on an RGB(A) image: colour shift, halftone screen, and maybe glare."""
    h, w = rgb.shape[:2]
    levels = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    gain, offset = rng.uniform(0.88, 1.08, 3), rng.uniform(-0.04, 0.04, 3)
    curve = np.clip(levels * gain + offset, 0, 1) ** rng.uniform(0.85, 1.2)
    img = cv2.LUT(np.ascontiguousarray(rgb[..., :3]), (curve * 255).astype(np.uint8)[:, None, :])
    img = img.astype(np.float32) * (1 / 255)
    # A rotated dot screen cos(u)cos(v), written as sums of separable terms to stay cheap.
    angle, period = rng.uniform(0, np.pi / 2), rng.uniform(2.5, 4.5)
    k = 2 * np.pi / period
    x, y = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)[:, None]
    screen = np.zeros((h, w), np.float32)
    for fx, fy in (
        (np.cos(angle) - np.sin(angle), np.sin(angle) + np.cos(angle)),
        (np.cos(angle) + np.sin(angle), np.sin(angle) - np.cos(angle)),
    ):
        screen += np.cos(k * fx * x) * np.cos(k * fy * y) - np.sin(k * fx * x) * np.sin(k * fy * y)
    img *= 1 + (0.5 * rng.uniform(0.0, 0.25)) * (4 * img * (1 - img)) * screen[..., None]
    if rng.random() < glare:
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.05, 0.25) * w, rng.uniform(0.05, 0.3) * h
        spot = (np.exp(-(((y - cy) / sy) ** 2)) * np.exp(-(((x - cx) / sx) ** 2)))[..., None]
        img += rng.uniform(0.3, 1.0) * spot * (1 - img) + 0.1 * spot
    out = (np.clip(img, 0, 1) * 255).astype(np.uint8)
    return np.dstack([out, rgb[..., 3]]) if rgb.shape[2] == 4 else out


def soft_print(photo: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A photo as it looks printed and scanned: resized, slightly soft and flat."""
    photo = photo.resize(size, Image.Resampling.LANCZOS).filter(ImageFilter.GaussianBlur(0.8))
    return Image.blend(photo, Image.new("RGB", size, (235, 232, 228)), 0.08)


def scanner_page(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A white-ish, slightly uneven scanner lid (or paper) page."""
    h, w = shape
    corners = rng.uniform(232, 250) + rng.uniform(-3, 3, 3) + rng.uniform(-5, 5, (2, 2, 1))
    return cv2.resize(np.clip(corners, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)


def scan(region: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scanner optics and encoding on a page region: blur, sensor noise, JPEG."""
    out = cv2.GaussianBlur(region, (0, 0), rng.uniform(0.5, 1.3))
    # Sensor noise from one 251x251 tile repeated: a whole page of normal draws costs ~0.2 s.
    tile = rng.normal(0, rng.uniform(1.0, 3.0), (NOISE_TILE, NOISE_TILE)).astype(np.int16)
    reps = (-(-out.shape[0] // NOISE_TILE), -(-out.shape[1] // NOISE_TILE))
    noise = np.tile(tile, reps)[: out.shape[0], : out.shape[1], None]
    out = np.clip(out + noise, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 92))])
    return cv2.imdecode(jpeg, cv2.IMREAD_UNCHANGED) if ok else out


def rotation(w: int, h: int, angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine matrix turning a w x h image by ``angle`` degrees (counter-clockwise), and its size."""
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    bw, bh = int(np.ceil(w * cos + h * sin)), int(np.ceil(w * sin + h * cos))
    m[:, 2] += (bw / 2 - w / 2, bh / 2 - h / 2)
    return m, (bw, bh)


def place(
    page: np.ndarray, item_rgba: np.ndarray, angle: float, origin: tuple[int, int], *, shadow: bool = True
) -> None:
    """Lay ``item_rgba`` on ``page`` turned by ``angle`` degrees, its bounding box at ``origin``.

    The item may reach past the page edge; what falls outside is cut off, as on a scanner glass.
    A card's edge casts a faint shadow line under a scanner lamp; ``shadow`` draws it.
    """
    m, (bw, bh) = rotation(item_rgba.shape[1], item_rgba.shape[0], angle)
    turned = cv2.warpAffine(item_rgba, m, (bw, bh), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    alpha = turned[..., 3].astype(np.float32) / 255
    x, y = origin
    px0, py0 = max(x, 0), max(y, 0)
    px1, py1 = min(x + bw, page.shape[1]), min(y + bh, page.shape[0])
    if px1 <= px0 or py1 <= py0:
        return
    sl = (slice(py0 - y, py1 - y), slice(px0 - x, px1 - x))
    dst = page[py0:py1, px0:px1].astype(np.float32)
    if shadow:
        rim = np.clip(cv2.dilate(alpha, np.ones((5, 5), np.uint8)) - alpha, 0, 1)
        dst *= 1 - 0.25 * rim[sl][..., None]
    a = alpha[sl][..., None]
    page[py0:py1, px0:px1] = (turned[sl][..., :3] * a + dst * (1 - a)).astype(np.uint8)
