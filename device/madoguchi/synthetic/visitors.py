"""A visitor at the camera, as a sequence of frames: a synthetic head (:mod:`.heads`) that sways,
blinks now and then, and does what the challenge asks, after a while and not always well enough.

Every presenter (this bona fide visitor and the attacks in :mod:`.attacks`) answers one call,
``frame(t, request)``: the camera frame at ``t`` seconds while the counter asks ``request`` (a code of
:data:`madoguchi.pad.challenge.REQUESTS`, or None). Each is a pure function of its seed and the
requests it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from madoguchi.pad.mesh import eye_distance
from madoguchi.synthetic.heads import Head, Pose
from madoguchi.synthetic.scenes import Camera, paste, room, smooth_walk


class Presenter(Protocol):
    """What stands in front of the camera."""

    camera: Camera

    def frame(self, t: float, request: str | None) -> np.ndarray: ...


@dataclass(frozen=True)
class Behaviour:
    """How a visitor answers requests: seconds before acting, how far they turn, how they blink."""

    delay: tuple[float, float]  # after a request, before acting (the spoken request takes ~3 s)
    turn: tuple[float, float]  # degrees turned when asked
    blink_s: tuple[float, float]  # a blink asked for
    blink_rate: float  # spontaneous blinks per second
    sway: float  # pixels of wander (at an eye distance of 80 px)
    missed: float  # probability of not doing a step at all


def _ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return 0.5 - 0.5 * np.cos(np.pi * x)


class Visitor:
    """A bona fide visitor: ``head`` placed in a room, seen by ``camera``.

    :param eyes: the eye distance the head shows in the frame, in pixels.
    """

    def __init__(
        self, head: Head, camera: Camera, behaviour: Behaviour, *, eyes: float, rng: np.random.Generator
    ) -> None:
        self.head, self.camera, self.behaviour, self.rng = head, camera, behaviour, rng
        w, h = camera.size
        self.background = room(camera.size, rng)
        self.scale = eyes / eye_distance(head.points3d[:468, :2])
        self.centre = np.array([w * rng.uniform(0.4, 0.6), h * rng.uniform(0.38, 0.5)])
        sway = behaviour.sway * eyes / 80
        self.walk = [
            smooth_walk(rng, sway, 0.3),
            smooth_walk(rng, sway * 0.6, 0.3),
            smooth_walk(rng, 0.03, 0.2),
        ]
        self.nod = [smooth_walk(rng, 3.0, 0.25), smooth_walk(rng, 2.5, 0.2), smooth_walk(rng, 2.0, 0.2)]
        self.blinks = list(np.cumsum(rng.exponential(1 / max(behaviour.blink_rate, 1e-3), 20)))
        self.blink_length = rng.uniform(0.12, 0.25)
        self._request: str | None = None
        self._asked = 0.0
        self._turn_target = 0.0
        self._turn_from = 0.0  # yaw at the start of the current movement
        self._turn_start = np.inf
        self._turn_back: float = np.inf
        self._asked_blink: tuple[float, float] | None = None

    def _heard(self, t: float, request: str | None) -> None:
        """A new request: schedule the answer."""
        self._request, self._asked = request, t
        b, rng = self.behaviour, self.rng
        delay = rng.uniform(*b.delay)
        missed = rng.random() < b.missed
        if request == "pad_blink" and not missed:
            self._asked_blink = (t + delay, rng.uniform(*b.blink_s))
        elif request in ("pad_turn_left", "pad_turn_right") and not missed:
            amount = rng.uniform(*b.turn)
            self._turn_from = self._yaw_extra(t)
            self._turn_target = amount if request == "pad_turn_left" else -amount
            self._turn_start, self._turn_back = t + delay, np.inf
        elif request == "pad_face_front":
            self._turn_from = self._yaw_extra(t)
            self._turn_target, self._turn_start = 0.0, t + rng.uniform(0.4, 1.2)

    def _yaw_extra(self, t: float) -> float:
        """The yaw of the answered requests at ``t``, on top of the sway."""
        moved = _ease((t - self._turn_start) / 0.7)
        return self._turn_from + (self._turn_target - self._turn_from) * moved

    def _blink(self, t: float) -> float:
        amount = 0.0
        for start in self.blinks:
            if start - 0.5 < t < start + 0.5:
                amount = max(amount, 1 - abs(t - start) / (self.blink_length / 2))
        if self._asked_blink is not None:
            start, length = self._asked_blink
            if start <= t <= start + length:
                amount = max(amount, min(1.0, 4 * min(t - start, start + length - t) / length))
        return max(0.0, amount)

    def pose(self, t: float, request: str | None) -> Pose:
        if request != self._request:
            self._heard(t, request)
        return Pose(
            yaw=self.nod[0](t) + self._yaw_extra(t),
            pitch=self.nod[1](t),
            roll=self.nod[2](t),
            blink=self._blink(t),
        )

    def frame(self, t: float, request: str | None) -> np.ndarray:
        pose = self.pose(t, request)
        view, matte = self.head.render(pose)
        scale = self.scale * (1 + self.walk[2](t))
        at = self.centre + np.array([self.walk[0](t), self.walk[1](t)])
        m = np.array(
            [[scale, 0, at[0] - scale * self.head.centre[0]], [0, scale, at[1] - scale * self.head.centre[1]]]
        )
        size = self.camera.size
        person = cv2.warpAffine(view.astype(np.float32) / 255, m, size, flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(matte, m, size, flags=cv2.INTER_LINEAR)
        light = paste(self.background.copy(), person, alpha)
        return self.camera.shoot(light, t, self.rng)
