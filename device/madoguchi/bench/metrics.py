"""Verification figures from pair distances: 10-fold accuracy, TAR at a FAR, EER, ROC points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Figures:
    pairs: int
    accuracy_10fold: float
    accuracy_std: float
    tar_at_far_1e3: float
    eer: float
    threshold: float


def best_threshold(distances: np.ndarray, same: np.ndarray) -> float:
    """The distance threshold with the highest accuracy (same pair when distance <= threshold)."""
    order = np.argsort(distances)
    d, s = distances[order], same[order]
    # accepting the first k pairs: correct = same among them + different among the rest
    correct = np.concatenate([[0], np.cumsum(s)]) + (~s).sum() - np.concatenate([[0], np.cumsum(~s)])
    k = int(np.argmax(correct))
    if k == 0:
        return float(d[0]) - 1e-6
    if k == len(d):
        return float(d[-1])
    return float((d[k - 1] + d[k]) / 2)


def roc(distances: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False-accept and true-accept rates at every distinct threshold, ascending."""
    order = np.argsort(distances)
    s = same[order]
    tar = np.cumsum(s) / max(1, s.sum())
    far = np.cumsum(~s) / max(1, (~s).sum())
    return far, tar


def tar_at_far(distances: np.ndarray, same: np.ndarray, far_target: float) -> float:
    far, tar = roc(distances, same)
    allowed = far <= far_target
    return float(tar[allowed].max()) if allowed.any() else 0.0


def eer(distances: np.ndarray, same: np.ndarray) -> float:
    far, tar = roc(distances, same)
    frr = 1 - tar
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2)


def figures(distances: np.ndarray, same: np.ndarray, folds: np.ndarray) -> Figures:
    """The standard LFW protocol: for each fold, the threshold is chosen on the other nine."""
    accuracies = []
    for fold in np.unique(folds):
        test = folds == fold
        threshold = best_threshold(distances[~test], same[~test])
        accuracies.append(float(((distances[test] <= threshold) == same[test]).mean()))
    return Figures(
        pairs=len(distances),
        accuracy_10fold=float(np.mean(accuracies)),
        accuracy_std=float(np.std(accuracies)),
        tar_at_far_1e3=tar_at_far(distances, same, 1e-3),
        eer=eer(distances, same),
        threshold=best_threshold(distances, same),
    )
