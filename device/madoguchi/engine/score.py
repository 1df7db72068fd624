"""From descriptor distance to the 0-100 score staff compare with their municipality's threshold.

The score says how rarely two different people come this close: score = -20 * log10(FMR), where
FMR(distance) is the false-match rate, the share of different-person comparisons at or below that
distance, clipped to 0..100. Every 20 points is a factor of ten: 40 = 1 in 100, 60 = 1 in 1,000,
80 = 1 in 10,000, 100 = 1 in 100,000 or rarer. A threshold therefore *is* a false-match rate.

FMR(distance) is fitted by :func:`fit_calibration` (``madoguchi bench thresholds
--write-calibration``) on the different-person distances of plain photos and of scanned card
photos, and stored as knots (distance, log10 FMR) joined by straight lines, with a straight-line
tail below the first knot where the data runs out. The file records what it was fitted on and how.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi.errors import ModelError

POINTS_PER_DECADE = 20.0
MAX_SCORE = 100.0
FORMAT = "fmr-v1"

# Knots every 1/8 decade of FMR, down to where the rarest set still has this many pairs below:
# fewer make the empirical quantile too noisy to use.
KNOTS_PER_DECADE = 8
MIN_TAIL_PAIRS = 25
# The tail is the straight line fitted to the knots of the lowest decade measured.
TAIL_DECADES = 1.0


@dataclass(frozen=True)
class Calibration:
    """log10 FMR as a function of distance: straight lines through ``knots`` (distance ascending,
    log10 FMR ascending to 0), and below the first knot the line of slope ``tail_slope``."""

    knots: tuple[tuple[float, float], ...]
    tail_slope: float
    fitted_on: dict
    method: str

    def __post_init__(self) -> None:
        d = np.array([k[0] for k in self.knots])
        f = np.array([k[1] for k in self.knots])
        if len(d) < 2 or not (np.all(np.diff(d) > 0) and np.all(np.diff(f) > 0)):
            raise ValueError("knots must rise strictly in both distance and log10 FMR")
        if f[-1] > 0 or self.tail_slope <= 0:
            raise ValueError("log10 FMR must end at or below 0 and the tail must fall with distance")

    def log10_fmr(self, distances: np.ndarray) -> np.ndarray:
        d = np.asarray(distances, np.float64)
        knot_d, knot_f = np.array(self.knots).T
        return np.where(
            d < knot_d[0], knot_f[0] + self.tail_slope * (d - knot_d[0]), np.interp(d, knot_d, knot_f)
        )

    def fmr(self, distance: float) -> float:
        """The false-match rate at this distance (the share of different people this close)."""
        return float(10.0 ** self.log10_fmr(np.array(distance)))

    def scores(self, distances: np.ndarray) -> np.ndarray:
        """0-100 for each distance, higher means more alike; rounded to one decimal as staff see it."""
        return np.round(np.clip(-POINTS_PER_DECADE * self.log10_fmr(distances), 0.0, MAX_SCORE), 1)

    def score(self, distance: float) -> float:
        return float(self.scores(np.array(distance)))

    def distance_at(self, score: float) -> float:
        """The distance that scores ``score`` (the inverse of :meth:`score` before rounding)."""
        target = -score / POINTS_PER_DECADE
        first_d, first_f = self.knots[0]
        if target < first_f:
            return first_d + (target - first_f) / self.tail_slope
        return float(np.interp(target, [k[1] for k in self.knots], [k[0] for k in self.knots]))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read score calibration {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(
                f"{path} is not a {FORMAT} score calibration (a logistic one from before 0.2?): "
                "refit it with `madoguchi bench thresholds --write-calibration`"
            )
        try:
            knots = tuple((float(d), float(f)) for d, f in data["knots"])
            return cls(knots, float(data["tail_slope"]), dict(data["fitted_on"]), str(data["method"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{path}: bad score calibration: {exc}") from exc

    def save(self, path: Path) -> None:
        data = {
            "format": FORMAT,
            "scale": f"score = -{POINTS_PER_DECADE:g} * log10(FMR), clipped to 0..{MAX_SCORE:g}",
            "method": self.method,
            "fitted_on": self.fitted_on,
            "tail_slope": self.tail_slope,
            "knots": [list(k) for k in self.knots],
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def fit_calibration(impostors: dict[str, np.ndarray], *, fitted_on: dict) -> Calibration:
    """FMR(distance) from sets of different-person distances (e.g. plain photos, card scans).

    Per set, the empirical FMR is smoothed by reading its quantiles (linearly interpolated) at
    every 1/8 decade of FMR; the sets are joined by taking, at each level, the smallest distance,
    so that the score never claims a rarer match than any set showed. Below the lowest level with
    at least ``MIN_TAIL_PAIRS`` pairs under it in every set, log10 FMR follows the straight line
    fitted to the knots of the lowest decade measured (an exponential tail).
    """
    sets = [np.sort(np.asarray(d, np.float64)) for d in impostors.values()]
    if any(len(d) < 10 * MIN_TAIL_PAIRS for d in sets):
        raise ValueError(f"each set needs at least {10 * MIN_TAIL_PAIRS} different-person distances")
    lowest = math.log10(MIN_TAIL_PAIRS / min(len(d) for d in sets))
    levels = np.arange(0.0, lowest - 1e-9, -1.0 / KNOTS_PER_DECADE)[::-1]
    distances = np.array([min(float(np.quantile(d, 10.0**level)) for d in sets) for level in levels])
    keep = np.concatenate([[True], np.diff(distances) > 1e-9])
    levels, distances = levels[keep], distances[keep]
    tail = levels <= levels[0] + TAIL_DECADES
    slope = float(np.polyfit(distances[tail], levels[tail], 1)[0])
    method = (
        "per set, empirical quantiles at every 1/8 decade of FMR from 1 down to "
        f"{MIN_TAIL_PAIRS} pairs; the sets joined by the smallest distance at each level; below, "
        f"log10 FMR linear in distance, fitted to the lowest {TAIL_DECADES:g} decade"
    )
    knots = tuple(zip(distances.tolist(), levels.tolist(), strict=True))
    return Calibration(knots, slope, fitted_on, method)
