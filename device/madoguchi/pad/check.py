"""The checks of one capture and their verdict (the package docstring says what each looks at)."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from madoguchi.engine.types import Face
from madoguchi.pad.challenge import REQUESTS, Challenge
from madoguchi.pad.edges import frame_sides
from madoguchi.pad.mesh import eye_shade, yaw_degrees
from madoguchi.pad.planarity import Planarity
from madoguchi.pad.screen import banding, moire
from madoguchi.pad.settings import PadConfig

__all__ = ["REQUESTS", "SIGNALS", "PadCheck", "PadConfig", "PadVerdict", "Signal"]

SIGNALS = ("challenge", "planarity", "moire", "banding", "frame_edges")
SCREEN_EVERY = 2
"""Moiré, banding and frame edges are looked for on every second frame with a face: they change
slowly, and the three are most of the checks' time."""
Outcome = Literal["pass", "suspect", "undetermined", "off"]


@dataclass(frozen=True)
class Signal:
    """One check's outcome, its figure (``value``) and the threshold it was held against; ``detail``
    names what failed (the challenge's step code)."""

    name: str
    outcome: Outcome
    value: float
    threshold: float
    detail: str | None = None


@dataclass(frozen=True)
class PadVerdict:
    """``result``: "suspect" when any signal is, "pass" when every signal that could tell passed,
    "undetermined" when none could tell, "off" when the checks are off."""

    result: Literal["pass", "suspect", "undetermined", "off"]
    signals: tuple[Signal, ...]
    seconds: float
    """Time the checks spent computing, over the whole capture (not the visitor's time)."""

    @property
    def suspect(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.signals if s.outcome == "suspect")

    def codes(self) -> tuple[str, ...]:
        """For the LCD and the slip: ``pad_pass``/``pad_suspect``/``pad_undetermined``, then one
        ``pad_<signal>`` per suspect signal (and the challenge's failed step, e.g. ``pad_blink_timeout``)."""
        if self.result == "off":
            return ()
        codes = [f"pad_{self.result}"]
        for s in self.signals:
            if s.outcome == "suspect":
                codes.append(f"pad_{s.name}")
                if s.detail:
                    codes.append(f"pad_{s.detail}")
        return tuple(codes)

    def audit(self) -> dict[str, str | tuple[str, ...]]:
        """For the audit record, codes only: the result, and ``signal=outcome`` (``:detail``) each, as
        flat as the record's other fields (``challenge=suspect:blink_timeout``, ``moire=pass``)."""
        signals = tuple(f"{s.name}={s.outcome}" + (f":{s.detail}" if s.detail else "") for s in self.signals)
        return {"pad": self.result, "pad_signals": signals}


class PadCheck:
    """The presentation-attack checks of one capture (see the module docstring).

    :param config: the ``[pad]`` section.
    :param rng: draws the challenge (default: ``secrets``); tests pass a seeded one.
    """

    def __init__(self, config: PadConfig, *, rng: random.Random | None = None) -> None:
        self.config = config
        on = config.enabled
        self.challenge = (
            Challenge.random(
                config.challenge_steps,
                rng,
                step_s=config.step_seconds,
                turn_degrees=config.turn_degrees,
                blink_rise=config.blink_rise,
            )
            if on and config.challenge
            else None
        )
        self.planarity = Planarity() if on and config.planarity else None
        self._moire: list[float] = []
        self._banding: list[float] = []
        self._sides: list[int] = []
        self._faces = 0
        self._spent = 0.0

    @property
    def request(self) -> str | None:
        """The challenge's request to show and say now, or None."""
        return self.challenge.request if self.challenge is not None else None

    @property
    def done(self) -> bool:
        """The challenge is over (or off): the capture may end once it has its frame."""
        return self.challenge is None or self.challenge.done

    def observe(self, rgb: np.ndarray, face: Face | None, t: float) -> str | None:
        """One camera frame at ``t`` seconds and the face found in it (None: none found). Returns
        :attr:`request`."""
        started = time.perf_counter()
        try:
            if not self.config.enabled:
                return None
            mesh = face.mesh if face is not None else None
            yaw = shade = None
            if mesh is not None:
                yaw = yaw_degrees(mesh)
                if self.challenge is not None:
                    shade = eye_shade(rgb, mesh)
                if self.planarity is not None:
                    self.planarity.observe(mesh)
            if face is not None and self._faces % SCREEN_EVERY == 0:
                if self.config.moire:
                    self._moire.append(moire(rgb, face.box))
                if self.config.banding:
                    self._banding.append(banding(rgb, face.box))
                if self.config.frame_edges:
                    self._sides.append(frame_sides(rgb, face.box))
            self._faces += face is not None
            if self.challenge is not None:
                return self.challenge.observe(t, yaw, shade)
            return None
        finally:
            self._spent += time.perf_counter() - started

    def verdict(self) -> PadVerdict:
        c = self.config
        if not c.enabled:
            return PadVerdict("off", (), self._spent)
        signals = []
        if self.challenge is not None:
            r = self.challenge.result()
            signals.append(Signal("challenge", "pass" if r.passed else "suspect", r.score, 0.0, r.failed))
        if self.planarity is not None:
            p = self.planarity.result()
            signals.append(_judged("planarity", p.score, c.planarity_below, above=False))
        if c.moire:
            signals.append(_judged("moire", _typical(self._moire), c.moire_above))
        if c.banding:
            signals.append(_judged("banding", _typical(self._banding), c.banding_above))
        if c.frame_edges:
            signals.append(_judged("frame_edges", _typical(self._sides, mean=True), c.frame_sides_above))
        outcomes = {s.outcome for s in signals}
        result: Literal["pass", "suspect", "undetermined"] = (
            "suspect" if "suspect" in outcomes else "pass" if "pass" in outcomes else "undetermined"
        )
        return PadVerdict(result, tuple(signals), self._spent)

    def forget(self) -> None:
        if self.planarity is not None:
            self.planarity.forget()


def _typical(values: list[float] | list[int], *, mean: bool = False) -> float:
    """The median (or mean) of the finite values; NaN when there are none."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if not finite:
        return float("nan")
    return float(np.mean(finite) if mean else np.median(finite))


def _judged(name: str, value: float, threshold: float, *, above: bool = True) -> Signal:
    """Suspect when ``value`` is above ``threshold`` (below, for ``above=False``)."""
    if not math.isfinite(value):
        return Signal(name, "undetermined", value, threshold)
    suspect = value > threshold if above else value < threshold
    return Signal(name, "suspect" if suspect else "pass", value, threshold)
