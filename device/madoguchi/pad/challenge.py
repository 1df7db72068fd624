"""The active challenge: the visitor is asked, in random order, to blink and to turn left or right,
and each request is judged from the face mesh, frame by frame, against a time limit.

First the challenge settles: for ``settle_s`` it learns how the visitor holds their head (yaw),
asking nothing. How their open eyes look (:func:`~madoguchi.pad.mesh.eye_shade`) is the median over
every frame so far (a blink is too short to move it). Then each step shows its request until it is
met or ``step_s`` runs out:

- ``pad_blink``: the eyes' shade rises to ``blink_rise`` times the open eyes' and falls back to
  half way, after an open frame seen since the request (a blink under way when asked counts not);
- ``pad_turn_left`` / ``pad_turn_right``: the yaw moves ``turn_degrees`` from the settled one
  towards the visitor's left or right. A turn is asked only of a head facing front: otherwise
  ``pad_face_front`` is asked first, and is asked again after the turn (the last frames, which the
  capture keeps, then show the face).

A replayed video blinks when it blinks, not when asked, and a print neither blinks nor turns; the
order and the directions are drawn afresh each time (``secrets``), so a recording cannot anticipate.
"""

from __future__ import annotations

import math
import random
import secrets
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

REQUESTS = ("pad_blink", "pad_turn_left", "pad_turn_right", "pad_face_front")
"""The guidance codes the challenge shows (LCD) and says (voice)."""
ACTIONS = ("blink", "turn_left", "turn_right")


@dataclass(frozen=True)
class ChallengeResult:
    """How the challenge ended. ``failed`` is the code of the step that ran out (``blink_timeout``,
    ``turn_left_timeout``, ``turn_right_timeout``, ``no_face``) or None; ``score`` is 1 minus the
    least share of a request that was met (0 or below when every request was met)."""

    passed: bool
    failed: str | None
    actions: tuple[str, ...]
    score: float
    seconds: float


class Challenge:
    """Judges ``actions`` (of :data:`ACTIONS`, in that order) from yaw and eye shade per frame.

        challenge = Challenge.random()
        for each frame: request = challenge.observe(t, yaw, shade)  # show/say request if not None
        challenge.done, challenge.result()

    :param actions: what to ask, in order.
    :param step_s: seconds each request may take (the spoken prompt is about 3 s of it).
    :param settle_s: seconds of face frames to learn the visitor's yaw and open eyes from.
    :param turn_degrees: the turn, from the settled yaw, that meets a turn request.
    :param front_degrees: within this of the settled yaw the head faces front.
    :param blink_rise: the eyes' shade, over the open eyes', that counts as shut.
    """

    def __init__(
        self,
        actions: Sequence[str],
        *,
        step_s: float = 6.0,
        settle_s: float = 0.6,
        turn_degrees: float = 12.0,
        front_degrees: float = 8.0,
        blink_rise: float = 1.35,
    ) -> None:
        if not actions or any(a not in ACTIONS for a in actions):
            raise ValueError(f"actions must be some of {ACTIONS}, not {actions!r}")
        self.actions = tuple(actions)
        self.step_s, self.settle_s = step_s, settle_s
        self.turn_degrees, self.front_degrees, self.blink_rise = turn_degrees, front_degrees, blink_rise
        self._started: float | None = None
        self._settle: list[tuple[float, float]] = []
        self._base_yaw = 0.0
        self._shades: list[float] = []
        self._step = -1  # -1: settling
        self._step_started = 0.0
        self._facing = False  # a turn step: the head faced front since the request
        self._opened = False  # a blink step: an open frame seen since the request
        self._shut = False
        self._peak = -math.inf
        self._best: list[float] = []
        self._returning = False
        self._failed: str | None = None
        self._now = 0.0

    @classmethod
    def random(cls, steps: int = 2, rng: random.Random | None = None, **settings: float) -> Challenge:
        """``steps`` actions in random order: a blink and a turn (either way) for 2, one of them for 1,
        the blink and both turns for 3."""
        rng = rng or secrets.SystemRandom()
        turn = rng.choice(("turn_left", "turn_right"))
        chosen = {1: [rng.choice(("blink", turn))], 2: ["blink", turn], 3: list(ACTIONS)}[steps]
        rng.shuffle(chosen)
        return cls(chosen, **settings)

    @property
    def done(self) -> bool:
        return self._failed is not None or (self._step >= len(self.actions) and not self._returning)

    @property
    def request(self) -> str | None:
        """What to ask of the visitor now (a code of :data:`REQUESTS`), or None."""
        if self._failed is not None or self._step < 0:
            return None
        if self._returning or (self._step < len(self.actions) and self._turning() and not self._facing):
            return "pad_face_front"
        if self._step >= len(self.actions):
            return None
        return f"pad_{self.actions[self._step]}"

    def observe(self, t: float, yaw: float | None, shade: float | None) -> str | None:
        """One frame at ``t`` seconds: the head's yaw and the eyes' shade, None where no face was
        found. Returns :attr:`request` after the frame."""
        self._now = t
        if self._started is None:
            self._started = t
        if self.done:
            return None
        if shade is not None and math.isfinite(shade):
            self._shades.append(shade)
        if self._step < 0:
            self._settling(t, yaw, shade)
        elif self._returning:
            # back to front, or out of time (not facing front again is no sign of an attack): the
            # next request's time starts now
            if (yaw is not None and abs(yaw - self._base_yaw) <= self.front_degrees) or (
                t - self._step_started > self.step_s
            ):
                self._returning = False
                self._step_started = t
        else:
            if yaw is not None:
                self._judge(yaw - self._base_yaw, shade)
            if not self.done and t - self._step_started > self.step_s:
                self._failed = f"{self.actions[self._step]}_timeout"
        return self.request

    def result(self) -> ChallengeResult:
        met = [*self._best, *([self._achieved()] if 0 <= self._step < len(self.actions) else [])]
        return ChallengeResult(
            passed=self._failed is None and self._step >= len(self.actions),
            failed=self._failed or (None if self._step >= len(self.actions) else "unfinished"),
            actions=self.actions,
            score=1.0 - (min(met) if met else 0.0),
            seconds=self._now - (self._started if self._started is not None else self._now),
        )

    def _settling(self, t: float, yaw: float | None, shade: float | None) -> None:
        if yaw is not None and shade is not None and math.isfinite(shade):
            self._settle.append((yaw, shade))
        assert self._started is not None
        if len(self._settle) >= 3 and t - self._started >= self.settle_s:
            yaws = sorted(yaw for yaw, _ in self._settle)
            self._base_yaw = yaws[len(yaws) // 2]
            self._begin(0, t)
        elif t - self._started > self.step_s:
            self._failed = "no_face"

    def _begin(self, step: int, t: float) -> None:
        self._step, self._step_started = step, t
        self._facing = self._opened = self._shut = False
        self._peak = -math.inf

    def _turning(self) -> bool:
        return self.actions[self._step].startswith("turn")

    def _achieved(self) -> float:
        """The share of the current request met so far."""
        if self._turning():
            return max(0.0, self._peak) / self.turn_degrees
        return max(0.0, self._peak - 1.0) / (self.blink_rise - 1.0)

    def _judge(self, yaw: float, shade: float | None) -> None:
        front = abs(yaw) <= self.front_degrees
        action = self.actions[self._step]
        if action == "blink":
            if shade is None or not math.isfinite(shade):
                return
            ratio = shade / max(statistics.median(self._shades), 1e-6)
            if not self._opened:
                self._opened = ratio < 1 + (self.blink_rise - 1) / 2
                return
            self._peak = max(self._peak, ratio)
            if ratio >= self.blink_rise:
                self._shut = True
            elif self._shut and ratio < 1 + (self.blink_rise - 1) / 2:
                self._next(returning=False)
            return
        if not self._facing:
            self._facing = front
            return
        turned = yaw if action == "turn_left" else -yaw
        self._peak = max(self._peak, turned)
        if turned >= self.turn_degrees:
            self._next(returning=True)

    def _next(self, *, returning: bool) -> None:
        self._best.append(self._achieved())
        self._begin(self._step + 1, self._now)
        self._returning = returning
