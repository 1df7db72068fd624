"""From descriptor distance to the 0-100 score staff compare with their municipality's threshold.

The score is a logistic curve fitted to distances of labelled pairs (by ``madoguchi bench accuracy
--write-calibration``): score = 100 / (1 + exp((distance - midpoint) / spread)). A score of 50 is the
distance at which a same-person pair and a different-person pair were equally likely in the
calibration data; the file records what it was fitted on.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from madoguchi.errors import ModelError


@dataclass(frozen=True)
class Calibration:
    midpoint: float
    spread: float
    fitted_on: str = ""

    def score(self, distance: float) -> float:
        """0-100, higher means more alike; rounded to one decimal as staff see it."""
        z = (distance - self.midpoint) / self.spread
        return round(100.0 / (1.0 + math.exp(min(max(z, -50.0), 50.0))), 1)

    @classmethod
    def load(cls, path: Path) -> Calibration:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            calibration = cls(float(data["midpoint"]), float(data["spread"]), str(data.get("fitted_on", "")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot read score calibration {path}: {exc}") from exc
        if calibration.spread <= 0:
            raise ModelError(f"{path}: spread must be positive")
        return calibration

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


def fit_calibration(distances: np.ndarray, same: np.ndarray, *, fitted_on: str) -> Calibration:
    """Logistic regression of P(same | distance) by Newton's method (two parameters, no SciPy)."""
    x = np.asarray(distances, np.float64)
    y = np.asarray(same, np.float64)
    features = np.stack([np.ones_like(x), x], axis=1)
    weights = np.zeros(2)
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(features @ weights)))
        gradient = features.T @ (y - p)
        hessian = -(features * (p * (1 - p))[:, None]).T @ features - 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-10:
            break
    intercept, slope = weights
    if slope >= 0:
        raise ValueError("distances do not separate same from different pairs")
    return Calibration(midpoint=float(-intercept / slope), spread=float(-1.0 / slope), fitted_on=fitted_on)
