"""Presentation attacks as camera frames: a printed photo moved by hand, a phone showing a photo, and
a phone or tablet replaying a video of the person that blinks.

The print is the photo through a printer model (:func:`madoguchi.synthetic.families.print_photo`:
dye sublimation, a laser's AM halftone, an inkjet's dither) at 600 dpi on paper with a white margin;
a hand holds it (fingers over one edge), wanders, tilts it in 3-D (one homography a frame), and the
room's light glints on it. When asked to turn, some attackers tilt the print that way.

A screen is drawn from its physics, not pasted: every camera pixel over the screen averages four
points of the screen's RGB stripe grid (pixel pitch, sub-pixels with black gaps between), which
aliases into moiré as a camera does; the backlight lifts blacks and tints white; a pulse-width
dimmed backlight bands the rows of a rolling shutter, drifting frame to frame; a black bezel and
the phone's body surround the screen, and the glass reflects the room faintly.

What these can show: how the checks react to the cues drawn here, at the strengths drawn here.
What they cannot: real printers, papers, screens and cameras, real hands and real light, real
attackers who learn what the checks look for (a curved print, a screen at a grazing angle, a
sharper video, a 3-D mask). Figures on them bound nothing about real attacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from madoguchi.synthetic.families import PRINT_DPI, print_photo
from madoguchi.synthetic.heads import Head, Pose
from madoguchi.synthetic.scenes import Camera, paste, room, smooth_walk


@dataclass(frozen=True)
class Holding:
    """How the attacker holds the print or the phone."""

    wander: float  # pixels of drift (at an eye distance of 80 px)
    tilt: float  # degrees the hand tilts it in 3-D, at most
    turns_when_asked: float  # probability of tilting it when asked to turn


class _Held:
    """A flat rectangle (w, h in mm) held in front of the camera: its corners in the frame over time."""

    def __init__(
        self,
        size_mm: tuple[float, float],
        px_per_mm: float,
        camera: Camera,
        holding: Holding,
        rng: np.random.Generator,
    ) -> None:
        self.size_mm, self.px_per_mm, self.camera, self.holding, self.rng = (
            size_mm,
            px_per_mm,
            camera,
            holding,
            rng,
        )
        w, h = camera.size
        self.centre = np.array([w * rng.uniform(0.4, 0.6), h * rng.uniform(0.42, 0.55)])
        wander = holding.wander * px_per_mm / 6
        self.walk = [smooth_walk(rng, wander, 0.4), smooth_walk(rng, wander * 0.7, 0.4)]
        self.tilts = [smooth_walk(rng, holding.tilt, 0.3) for _ in range(2)] + [smooth_walk(rng, 4.0, 0.2)]
        self.follows = rng.random() < holding.turns_when_asked
        self._request: str | None = None
        self._asked = 0.0

    def corners(self, t: float, request: str | None) -> np.ndarray:
        """The rectangle's corners in the frame (4, 2): tilted in 3-D, seen through a pinhole."""
        if request != self._request:
            self._request, self._asked = request, t
        yaw, pitch, roll = (f(t) for f in self.tilts)
        if self.follows and self._request in ("pad_turn_left", "pad_turn_right"):
            push = 25.0 * min(1.0, max(0.0, (t - self._asked - 1.5) / 0.8))
            yaw += push if self._request == "pad_turn_left" else -push
        w, h = (s * self.px_per_mm for s in self.size_mm)
        square = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
        a, b, c = np.radians([yaw, pitch, roll])
        turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        nod = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        tilt = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
        placed = square @ (tilt @ nod @ turn).T
        distance = 6.0 * max(w, h)  # the focal length's worth of pixels away: mild perspective
        projected = placed[:, :2] * distance / (distance + placed[:, 2:3])
        return projected + self.centre + (self.walk[0](t), self.walk[1](t))


def cut(rgb: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``rgb`` inside ``box`` (x0, y0, x1, y1), its edge pixels repeated where the box reaches past it."""
    x0, y0, x1, y1 = box
    pad = max(0, -x0, -y0, x1 - rgb.shape[1], y1 - rgb.shape[0])
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else rgb
    return padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad].copy()


def _fingers(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A mask (h, w, 0-1) of two to four fingertips over one edge of a held rectangle of ``size``."""
    w, h = size
    mask = np.zeros((h, w), np.float32)
    edge = rng.integers(4)
    count = int(rng.integers(2, 5))
    thick = max(3, int(0.07 * min(w, h)))
    for i in range(count):
        along = (0.3 + 0.4 * i / max(1, count - 1)) * (w if edge in (0, 2) else h)
        if edge in (0, 2):  # top or bottom
            y = 0 if edge == 0 else h
            cv2.ellipse(mask, (int(along), y), (thick, int(thick * 2.2)), 0, 0, 360, 1.0, -1)
        else:
            x = 0 if edge == 3 else w
            cv2.ellipse(mask, (x, int(along)), (int(thick * 2.2), thick), 0, 0, 360, 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), 1.5)


class PrintAttack:
    """A printed photo held by hand (see the module docstring).

    :param photo: the portrait printed (RGB uint8), face centred.
    :param photo_eyes: the eye distance in ``photo``, in its pixels.
    :param eyes: the eye distance the print shows in the frame, in pixels.
    :param print_type: "dye-sub", "laser-am" or "inkjet-fm".
    """

    def __init__(
        self,
        photo: np.ndarray,
        photo_eyes: float,
        camera: Camera,
        holding: Holding,
        *,
        eyes: float,
        print_type: str,
        margin_mm: float,
        glare: float,
        rng: np.random.Generator,
    ) -> None:
        self.camera, self.rng = camera, rng
        self.background = room(camera.size, rng)
        width_mm = rng.uniform(55, 100)
        mm_per_photo_px = width_mm / photo.shape[1]
        px_per_mm = eyes / (photo_eyes * mm_per_photo_px)
        at_print = (
            round(width_mm * PRINT_DPI / 25.4),
            round(width_mm * photo.shape[0] / photo.shape[1] * PRINT_DPI / 25.4),
        )
        printed = print_photo(cv2.resize(photo, at_print, interpolation=cv2.INTER_CUBIC), print_type, rng)
        margin = round(margin_mm * PRINT_DPI / 25.4)
        paper = np.full(
            (printed.shape[0] + 2 * margin, printed.shape[1] + 2 * margin, 3), rng.uniform(238, 252), np.uint8
        )
        paper[margin : margin + printed.shape[0], margin : margin + printed.shape[1]] = printed
        # the camera's optics average what falls into one of its pixels (and a little more)
        shrink = PRINT_DPI / 25.4 / px_per_mm
        texture = cv2.GaussianBlur(
            paper.astype(np.float32) / 255, (0, 0), max(0.5, rng.uniform(0.25, 0.45) * shrink)
        )
        self.texture = texture
        self.held = _Held(
            (paper.shape[1] * 25.4 / PRINT_DPI, paper.shape[0] * 25.4 / PRINT_DPI),
            px_per_mm,
            camera,
            holding,
            rng,
        )
        self.fingers = _fingers((paper.shape[1] // 8, paper.shape[0] // 8), rng)
        self.skin = rng.uniform(0.55, 0.9, 3) * np.array([1.0, 0.8, 0.68])
        self.glare = glare
        self.glare_walk = [smooth_walk(rng, 0.4, 0.3), smooth_walk(rng, 0.4, 0.3)]

    def frame(self, t: float, request: str | None) -> np.ndarray:
        corners = self.held.corners(t, request)
        th, tw = self.texture.shape[:2]
        h = cv2.getPerspectiveTransform(
            np.float32([[0, 0], [tw, 0], [tw, th], [0, th]]), corners.astype(np.float32)
        )
        size = self.camera.size
        layer = cv2.warpPerspective(self.texture, h, size, flags=cv2.INTER_LINEAR)
        alpha = cv2.warpPerspective(np.ones((th, tw), np.float32), h, size, flags=cv2.INTER_LINEAR)
        if self.glare > 0:  # a soft highlight sliding over the sheet as it tilts
            gx, gy = 0.5 + self.glare_walk[0](t), 0.5 + self.glare_walk[1](t)
            fh, fw = self.fingers.shape
            yy, xx = np.mgrid[0:fh, 0:fw].astype(np.float32)
            spot = self.glare * np.exp(-(((xx / fw - gx) / 0.25) ** 2 + ((yy / fh - gy) / 0.15) ** 2))
            small = np.float32([[0, 0], [fw, 0], [fw, fh], [0, fh]])
            shine = cv2.warpPerspective(
                spot, cv2.getPerspectiveTransform(small, corners.astype(np.float32)), size
            )
            layer += shine[..., None] * (1 - layer)
        light = paste(self.background.copy(), layer, alpha)
        fh, fw = self.fingers.shape
        small = np.float32([[0, 0], [fw, 0], [fw, fh], [0, fh]])
        hand = cv2.warpPerspective(
            self.fingers, cv2.getPerspectiveTransform(small, corners.astype(np.float32)), size
        )
        paste(light, np.broadcast_to(self.skin.astype(np.float32), light.shape).copy(), hand)
        return self.camera.shoot(light, t, self.rng)


@dataclass(frozen=True)
class Screen:
    """A phone's or tablet's screen: its size, pixel pitch and backlight."""

    size_mm: tuple[float, float]
    pitch_mm: float
    bezel_mm: float
    black: float  # black level, share of white
    tint: tuple[float, float, float]  # white point
    brightness: float  # against the room's light
    pwm: float  # band depth of a PWM-dimmed backlight (0: DC dimmed)
    pwm_rows: float  # rows per band period


def _sample(image: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``image`` at points (u, v), bilinear: (N, channels). OpenCV's remap takes maps of at most
    32767 rows, so the points go in as rows of 1024."""
    n = len(u)
    rows = -(-n // 1024)
    map_u = np.zeros(rows * 1024, np.float32)
    map_v = np.zeros(rows * 1024, np.float32)
    map_u[:n], map_v[:n] = u, v
    out = cv2.remap(image, map_u.reshape(rows, 1024), map_v.reshape(rows, 1024), cv2.INTER_LINEAR)
    return out.reshape(rows * 1024, -1)[:n]


class ScreenAttack:
    """A phone or tablet held to the camera, showing ``content`` (a photo) or ``video`` (a head that
    blinks now and then and sways, filmed in its own room).

    :param eyes: the eye distance the screen shows in the frame, in pixels.
    """

    def __init__(
        self,
        screen: Screen,
        camera: Camera,
        holding: Holding,
        *,
        eyes: float,
        rng: np.random.Generator,
        photo: np.ndarray | None = None,
        photo_eyes: float = 0.0,
        video: Head | None = None,
        video_box: tuple[int, int, int, int] | None = None,
        blink_rate: float = 0.3,
    ) -> None:
        self.screen, self.camera, self.rng, self.video = screen, camera, rng, video
        self.background = room(camera.size, rng)
        self.video_box = video_box or (0, 0, *(video.rgb.shape[1::-1] if video is not None else (0, 0)))
        if video is not None:
            x0, y0, x1, y1 = self.video_box
            photo = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)  # the size of what the video shows
        if photo is None:
            raise ValueError("a screen shows a photo or a video")
        self.photo = photo
        source = photo
        sw, sh = screen.size_mm
        # the photo fills the screen's width (cut above and below, or letterboxed)
        mm_per_source_px = sw / source.shape[1]
        px_per_mm = eyes / (photo_eyes * mm_per_source_px)
        self.resolution = (round(sw / screen.pitch_mm), round(sh / screen.pitch_mm))
        body = (sw + 2 * screen.bezel_mm + 2, sh + 2 * screen.bezel_mm + 8)
        self.held = _Held(body, px_per_mm, camera, holding, rng)
        self.body_mm = body
        self.body_shade = rng.uniform(0.05, 0.35)
        self.blinks = list(np.cumsum(rng.exponential(1 / blink_rate, 30))) if video is not None else []
        self.sway = [smooth_walk(rng, 3.0, 0.2), smooth_walk(rng, 2.0, 0.2)]
        self.fingers = _fingers((int(body[0] * 4), int(body[1] * 4)), rng)
        self.skin = rng.uniform(0.55, 0.9, 3) * np.array([1.0, 0.8, 0.68])
        self.phase = rng.uniform(0, 1)
        self.glass = rng.uniform(0.0, 0.08)

    def _content(self, t: float) -> np.ndarray:
        """What the screen shows at ``t``, at its own resolution (float32 RGB 0-1)."""
        if self.video is not None:
            blink = max([0.0] + [1 - abs(t - b) / 0.1 for b in self.blinks if abs(t - b) < 0.1])
            view, _ = self.video.render(Pose(yaw=self.sway[0](t), pitch=self.sway[1](t), blink=blink))
            source = cut(view, self.video_box)
        else:
            source = self.photo
        rw, rh = self.resolution
        scale = rw / source.shape[1]
        fitted = cv2.resize(source, (rw, round(source.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        canvas = np.zeros((rh, rw, 3), np.float32)
        top = (rh - fitted.shape[0]) // 2
        src0, dst0 = max(0, -top), max(0, top)
        rows = min(fitted.shape[0] - src0, rh - dst0)
        canvas[dst0 : dst0 + rows] = fitted[src0 : src0 + rows].astype(np.float32) / 255
        return canvas

    def frame(self, t: float, request: str | None) -> np.ndarray:
        s = self.screen
        corners = self.held.corners(t, request)
        bw, bh = self.body_mm
        to_frame = cv2.getPerspectiveTransform(
            np.float32([[0, 0], [bw, 0], [bw, bh], [0, bh]]), corners.astype(np.float32)
        )
        size = self.camera.size
        light = self.background.copy()
        body = cv2.warpPerspective(
            np.ones((int(bh * 4), int(bw * 4)), np.float32), to_frame @ np.diag([0.25, 0.25, 1.0]), size
        )
        paste(light, np.full_like(light, self.body_shade), body)
        # the screen: each camera pixel looks up four points of the stripe grid
        x0, y0 = s.bezel_mm + 1, s.bezel_mm + 4
        sw, sh = s.size_mm
        to_screen = np.linalg.inv(to_frame)
        ys, xs = np.nonzero(
            cv2.warpPerspective(
                np.ones((int(sh), int(sw)), np.uint8),
                to_frame @ np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64),
                size,
            )
        )
        content = self._content(t)
        emitted = np.zeros((len(xs), 3), np.float32)
        offsets = [(dx, dy) for dx in (-1 / 3, 0, 1 / 3) for dy in (-1 / 3, 0, 1 / 3)]
        for dx, dy in offsets:
            p = np.stack([xs + dx, ys + dy, np.ones(len(xs))])
            q = to_screen @ p
            u, v = (q[0] / q[2] - x0) / s.pitch_mm, (q[1] / q[2] - y0) / s.pitch_mm
            colour = _sample(content, u, v)
            sub = np.floor((u - np.floor(u)) * 3).astype(int).clip(0, 2)
            lit = ((u * 3) % 1 < 0.85) & ((v % 1) < 0.92)  # the black gaps between sub-pixels
            emitted[np.arange(len(xs)), sub] += 3 * colour[np.arange(len(xs)), sub] * lit / len(offsets)
        emitted = s.black + (1 - s.black) * emitted
        emitted *= np.array(s.tint, np.float32) * s.brightness
        if s.pwm > 0:
            wave = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * (ys / s.pwm_rows + self.phase + 7.3 * t)))
            emitted *= (1 - s.pwm * wave)[:, None]
        emitted += self.glass
        light[ys, xs] = np.clip(emitted, 0, 1.5)
        hand = cv2.warpPerspective(self.fingers, to_frame @ np.diag([0.25, 0.25, 1.0]), size)
        paste(light, np.broadcast_to(self.skin.astype(np.float32), light.shape).copy(), hand)
        return self.camera.shoot(light, t, self.rng)
