"""`madoguchi bench fusion`: fit how the fused engine joins its two distances, on LFW training folds.

The pairs of ``pairs.txt`` in the training folds (4-9 by default) are described by the fused engine
(dlib's descriptor and FaceRes', one detection and mesh per image) and a logistic regression of
same person on the two distances is fitted (:func:`madoguchi.engine.fusion.fit_fusion`). Folds 0-3,
on which the card-scan families, the threshold table and the chip are measured, are never used, and
``bench accuracy`` refits the fusion on the other folds for each fold it tests.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from madoguchi import paths
from madoguchi.bench import accuracy
from madoguchi.bench.metrics import figures
from madoguchi.bench.pairs import LFW_FOLDS, lfw_pairs
from madoguchi.engine import models
from madoguchi.engine.fusion import fit_fusion
from madoguchi.errors import ExitCode

TRAINING_FOLDS = tuple(range(4, LFW_FOLDS))
"""The folds the fusion is fitted on: none of the folds 0-3 the held-out measurements use."""


def folds_list(text: str) -> tuple[int, ...]:
    """An argparse type: LFW folds as ``4-9`` or ``4,5,6``."""
    try:
        if "-" in text:
            first, last = (int(v) for v in text.split("-"))
            chosen = tuple(range(first, last + 1))
        else:
            chosen = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"folds as 4-9 or 4,5,6, not {text!r}") from None
    if not chosen or not all(0 <= f < LFW_FOLDS for f in chosen):
        raise argparse.ArgumentTypeError(f"folds 0-{LFW_FOLDS - 1}, not {text!r}")
    return chosen


def add_parser(kinds: argparse._SubParsersAction) -> None:
    command = kinds.add_parser(
        "fusion", help="fit the fusion of dlib's and FaceRes' distances on LFW training folds"
    )
    command.add_argument(
        "--lfw", type=Path, default=paths.lfw(), help="LFW folder with pairs.txt and images/"
    )
    command.add_argument(
        "--folds",
        type=folds_list,
        default=TRAINING_FOLDS,
        help="the training folds whose pairs it is fitted on (default 4-9)",
    )
    command.add_argument("--write", type=Path, help="write the fusion here (models/fusion.json)")
    command.add_argument("--jobs", type=int, default=None)
    command.add_argument("--models", type=Path, help="models folder (default: installed with madoguchi)")
    command.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> ExitCode:
    if not (args.lfw / "pairs.txt").is_file():
        print(f"no LFW at {args.lfw} (pairs.txt missing): give --lfw DIR", file=sys.stderr)
        return ExitCode.USAGE
    pairs = [p for p in lfw_pairs(args.lfw / "pairs.txt", args.lfw / "images") if p.fold in args.folds]
    sides, pair_sides = accuracy.sides_of(pairs, card_scan=False)
    described = accuracy.describe_all(
        sides,
        worker=accuracy.Describer,
        start_args=(args.models, True),
        jobs=args.jobs or min(4, os.cpu_count() or 1),
        progress=not args.json,
    )
    by_side = {d.side: d.descriptor for d in described}
    components = np.array([accuracy.component_distances(by_side[a], by_side[b]) for a, b in pair_sides])
    same = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    fitted_on = (
        f"the {len(pairs):,} pairs ({int(same.sum()):,} same-person) of folds "
        f"{', '.join(map(str, args.folds))} of {args.lfw.name}/pairs.txt, described by the fused engine"
    )
    fusion = fit_fusion(components[:, 0], components[:, 1], same, fitted_on=fitted_on)
    fused = fusion.fuse(components[:, 0], components[:, 1])
    result = {
        "fitted_on": fitted_on,
        "weights": {"dlib": fusion.w_dlib, "faceres": fusion.w_faceres},
        "bias": fusion.bias,
        "share_of_dlib": fusion.w_dlib / (fusion.w_dlib + fusion.w_faceres),
        "correlation": {
            "all": float(np.corrcoef(components.T)[0, 1]),
            "same_person": float(np.corrcoef(components[same].T)[0, 1]),
        },
        "on_these_pairs": {
            name: {"accuracy": f.accuracy_10fold, "tar_at_far_1e-3": f.tar_at_far_1e3, "eer": f.eer}
            for name, d in (("dlib", components[:, 0]), ("faceres", components[:, 1]), ("fused", fused))
            for f in [figures(d, same, folds)]
        },
    }
    if args.write:
        fusion.save(args.write)
        if args.write.name == models.FUSION and (args.write.parent / models.MANIFEST).is_file():
            models.record(args.write.parent, args.write.name)  # the engine checks every file against it
    if args.json:
        print(json.dumps(result))
        return ExitCode.OK
    print(f"fitted on {fitted_on}")
    print(
        f"log odds(same) = {fusion.bias:.3f} {fusion.w_dlib:+.3f} d_dlib {fusion.w_faceres:+.3f} d_faceres; "
        f"the fused distance weighs dlib's {100 * result['share_of_dlib']:.1f} %"
    )
    print(
        f"correlation of the two distances: {result['correlation']['all']:.3f} over all pairs, "
        f"{result['correlation']['same_person']:.3f} on same-person pairs"
    )
    for name, f in result["on_these_pairs"].items():
        print(
            f"{name:<8} on these (training) pairs: {100 * f['accuracy']:.2f}% 10-fold, "
            f"TAR {100 * f['tar_at_far_1e-3']:.2f}% at FAR 1e-3, EER {100 * f['eer']:.2f}%"
        )
    if args.write:
        print(f"written to {args.write}")
    return ExitCode.OK
