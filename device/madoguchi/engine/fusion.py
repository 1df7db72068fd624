"""A face's two descriptors, and how their two distances become the one the score is calibrated on.

dlib's ResNet and HSE FaceRes were trained on different faces with different losses, so their
errors are partly their own (their distances correlate about 0.7 on same-person pairs). A logistic
regression on the two distances, ``log odds(same) = bias + w_dlib * d_dlib + w_faceres * d_faceres``,
is fitted on LFW training folds only (:func:`fit_fusion`, ``madoguchi bench fusion``) and stored
with its data and method in ``models/fusion.json``. Only the order of comparisons matters to a
threshold, and the bias does not change it, so the fused distance is the weighted mean of the two
distances, ``(w_dlib * d_dlib + w_faceres * d_faceres) / (w_dlib + w_faceres)``: a distance on the
same footing as each of its parts, which the score calibration (``score.py``) maps to a
false-match rate as before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi.errors import ModelError
from madoguchi.privacy import wipe

FORMAT = "logistic-fusion-v1"
NEWTON_STEPS = 50


@dataclass(frozen=True)
class Description:
    """A face as the engine describes it: dlib's unit-length 128-d descriptor and, in the fused
    engine, FaceRes' unit-length 1024-d one. Both are biometric: the engine wipes them."""

    dlib: np.ndarray
    faceres: np.ndarray | None = None

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (self.dlib,) if self.faceres is None else (self.dlib, self.faceres)

    def wipe(self) -> None:
        wipe(*self.arrays())


def dlib_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between unit-length dlib descriptors, rows of ``a`` against rows of ``b``."""
    return np.sqrt(np.clip(2.0 - 2.0 * (a @ b.T), 0.0, None))


def faceres_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine distance between unit-length FaceRes descriptors, rows of ``a`` against rows of ``b``."""
    return 1.0 - a @ b.T


@dataclass(frozen=True)
class Fusion:
    """The fitted logistic regression; :meth:`fuse` gives the fused distance."""

    w_dlib: float
    w_faceres: float
    bias: float
    fitted_on: str
    method: str

    def __post_init__(self) -> None:
        if not (self.w_dlib < 0 and self.w_faceres < 0 and np.isfinite(self.bias)):
            raise ValueError("both weights must be negative (farther is less likely the same person)")

    def fuse(self, dlib: np.ndarray | float, faceres: np.ndarray | float) -> np.ndarray:
        """The fused distance of each pair of component distances (arrays of one shape, or floats)."""
        total = self.w_dlib + self.w_faceres
        return (self.w_dlib * np.asarray(dlib) + self.w_faceres * np.asarray(faceres)) / total

    def log_odds(self, dlib: np.ndarray, faceres: np.ndarray) -> np.ndarray:
        """The fitted log odds that two faces are one person (for the report, not the score)."""
        return self.bias + self.w_dlib * np.asarray(dlib) + self.w_faceres * np.asarray(faceres)

    def distance(self, a: Description, b: Description) -> float:
        if a.faceres is None or b.faceres is None:
            raise ValueError("the fused distance needs both descriptors of both faces")
        d_dlib = float(dlib_distances(a.dlib[None], b.dlib[None])[0, 0])
        d_faceres = float(faceres_distances(a.faceres[None], b.faceres[None])[0, 0])
        return float(self.fuse(d_dlib, d_faceres))

    @classmethod
    def load(cls, path: Path) -> Fusion:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read the descriptor fusion {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{path} is not a {FORMAT} descriptor fusion")
        try:
            weights = data["weights"]
            return cls(
                float(weights["dlib"]),
                float(weights["faceres"]),
                float(data["bias"]),
                str(data["fitted_on"]),
                str(data["method"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{path}: bad descriptor fusion: {exc}") from exc

    def save(self, path: Path) -> None:
        data = {
            "format": FORMAT,
            "form": "log odds(same person) = bias + w_dlib * d_dlib + w_faceres * d_faceres; fused "
            "distance = (w_dlib * d_dlib + w_faceres * d_faceres) / (w_dlib + w_faceres); d_dlib: "
            "Euclidean distance of unit-length dlib descriptors, d_faceres: cosine distance of "
            "unit-length FaceRes descriptors",
            "method": self.method,
            "fitted_on": self.fitted_on,
            "weights": {"dlib": self.w_dlib, "faceres": self.w_faceres},
            "bias": self.bias,
        }
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def fit_fusion(dlib: np.ndarray, faceres: np.ndarray, same: np.ndarray, *, fitted_on: str) -> Fusion:
    """Logistic regression of ``same`` on the two distances, by Newton's method, the two classes
    weighted to count alike whatever their numbers."""
    x = np.column_stack([np.ones(len(same)), np.asarray(dlib, np.float64), np.asarray(faceres, np.float64)])
    y = np.asarray(same, np.float64)
    if not (y.any() and (1 - y).any()):
        raise ValueError("the fusion needs same-person and different-person pairs")
    weight = np.where(y > 0, 0.5 / y.sum(), 0.5 / (1 - y).sum())
    beta = np.zeros(3)
    for _ in range(NEWTON_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -50, 50)))
        gradient = x.T @ (weight * (y - p))
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + 1e-9 * np.eye(3)
        step = np.linalg.solve(hessian, gradient)
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    method = (
        "logistic regression of same person (1) or not (0) on the two distances, maximum likelihood by "
        "Newton's method, same- and different-person pairs weighted to count alike"
    )
    return Fusion(float(beta[1]), float(beta[2]), float(beta[0]), fitted_on, method)
