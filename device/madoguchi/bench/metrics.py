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
    tar_interval: tuple[float, float]
    """A 95 % bootstrap interval of ``tar_at_far_1e3``."""
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


def threshold_at_far(distances: np.ndarray, impostor: np.ndarray, far: float = 1e-3) -> float:
    """The largest distance at which at most ``far`` of the impostor distances fall (at or below)."""
    allowed = int(np.floor(far * len(impostor)))
    ordered = np.sort(impostor)
    if allowed >= len(ordered):
        return float(np.max(distances))
    return float(np.nextafter(ordered[allowed], -np.inf))


def tar_interval(
    distances: np.ndarray, same: np.ndarray, far_target: float, *, draws: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """A 95 % bootstrap interval of TAR at ``far_target``, same- and different-person pairs drawn
    apart. At FAR 1e-3 on about a thousand different-person pairs the threshold rests on the one
    or two closest of them, so TAR moves by points with the draw of pairs; the interval shows it."""
    rng = np.random.default_rng(seed)
    genuine, impostor = distances[same], distances[~same]
    if not len(genuine) or not len(impostor):
        return (0.0, 0.0)
    tars = np.empty(draws)
    for k in range(draws):
        drawn = rng.choice(impostor, len(impostor))
        tars[k] = np.mean(rng.choice(genuine, len(genuine)) <= threshold_at_far(drawn, drawn, far_target))
    low, high = np.percentile(tars, [2.5, 97.5])
    return (float(low), float(high))


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
        tar_interval=tar_interval(distances, same, 1e-3),
        eer=eer(distances, same),
        threshold=best_threshold(distances, same),
    )
