"""`madoguchi bench accuracy|speed`: figures printed (and with --json, one JSON object), never asserted."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from madoguchi import paths
from madoguchi.bench import accuracy, chip, peer, speed
from madoguchi.bench.metrics import Figures
from madoguchi.bench.pairs import lfw_pairs, tsv_pairs
from madoguchi.engine import models


def register(subparsers: argparse._SubParsersAction) -> None:
    bench = subparsers.add_parser("bench", help="measure accuracy and speed of the face engine")
    kinds = bench.add_subparsers(dest="bench", required=True, metavar="KIND")

    acc = kinds.add_parser("accuracy", help="verification accuracy on LFW or a TSV pair list")
    acc.add_argument(
        "--lfw",
        type=Path,
        default=paths.lfw(),
        help="LFW folder with pairs.txt and images/ "
        "(default: $MADOGUCHI_SHARED/data/lfw, else ../shared/data/lfw beside the checkout)",
    )
    acc.add_argument("--pairs", type=Path, help="TSV with header left<TAB>right<TAB>same instead of LFW")
    acc.add_argument("--root", type=Path, default=Path("."), help="folder the TSV's paths are relative to")
    acc.add_argument("--folds", type=int, default=10, help="use only the first N folds (quick runs)")
    acc.add_argument(
        "--card-scan",
        action="store_true",
        help="print and scan each left image onto a simulated ID card, then find the photo",
    )
    acc.add_argument("--peer", choices=[peer.PEER], help="also run this library on the same pairs")
    acc.add_argument("--plot", type=Path, help="write a ROC plot (PNG) here")
    acc.add_argument("--write-calibration", type=Path, help="fit the score calibration and write it here")
    acc.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores, max 4)")
    acc.add_argument("--models", type=Path, help="models folder (default: installed with madoguchi)")
    acc.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    acc.set_defaults(handler=run_accuracy)

    spd = kinds.add_parser("speed", help="per-stage median ms on one thread, load time, peak RSS")
    spd.add_argument("--repeat", type=int, default=50)
    spd.add_argument("--peer", choices=[peer.PEER], help="also time this library on the same frame")
    spd.add_argument("--models", type=Path)
    spd.add_argument("--json", action="store_true")
    spd.set_defaults(handler=run_speed)
    chip.add_parser(kinds)


def _load_pairs(args: argparse.Namespace) -> list | None:
    if args.pairs:
        return tsv_pairs(args.pairs, args.root)
    if not (args.lfw / "pairs.txt").is_file():
        print(f"no LFW at {args.lfw} (pairs.txt missing): give --lfw DIR or --pairs TSV", file=sys.stderr)
        return None
    return [p for p in lfw_pairs(args.lfw / "pairs.txt", args.lfw / "images") if p.fold < args.folds]


def run_accuracy(args: argparse.Namespace) -> int:
    pairs = _load_pairs(args)
    if pairs is None:
        return 2
    ours = accuracy.run(pairs, models=args.models, card_scan=args.card_scan, jobs=args.jobs)
    result = _accuracy_figures(ours)
    result["failed_to_locate"] = ours.failed_to_locate
    if ours.gated is not None:
        result["quality_gate"] = _figures(ours.gated)
    peer_run = None
    if args.peer:
        if not peer.available():
            print("face_recognition is not installed: make bench-deps", file=sys.stderr)
            return 2
        peer_run = peer.run(pairs, jobs=args.jobs)
        result["peer"] = {"name": args.peer, **_accuracy_figures(peer_run)}
        result["speed_ratio"] = peer_run.median_ms / ours.median_ms
    if args.write_calibration:
        from madoguchi.engine.score import fit_calibration

        source = f"{'card-scan ' if args.card_scan else ''}{len(pairs)} pairs from {args.pairs or args.lfw}"
        fit_calibration(ours.distances, ours.same, fitted_on=source).save(args.write_calibration)
        target = args.write_calibration
        if target.name == models.CALIBRATION and (target.parent / models.MANIFEST).is_file():
            models.record(target.parent, target.name)  # the engine checks every file against it
    if args.plot:
        _plot(args.plot, ours, peer_run, args.peer)
    if args.json:
        print(json.dumps(result))
    else:
        _print_accuracy(result)
    return 0


def _figures(f: Figures) -> dict:
    return {
        "pairs": f.pairs,
        "accuracy_10fold": f.accuracy_10fold,
        "accuracy_std": f.accuracy_std,
        "tar_at_far_1e-3": f.tar_at_far_1e3,
        "eer": f.eer,
        "threshold_distance": f.threshold,
    }


def _accuracy_figures(run: accuracy.AccuracyRun) -> dict:
    return {**_figures(run.figures), "failed_to_detect": run.failed_to_detect, "median_ms": run.median_ms}


def _print_accuracy(result: dict) -> None:
    rows = [("madoguchi", result)] + ([(result["peer"]["name"], result["peer"])] if "peer" in result else [])
    header = ("pipeline", "pairs", "10-fold acc", "TAR@FAR1e-3", "EER", "no face", "ms/img")
    print("{:<18}{:>7}{:>16}{:>13}{:>8}{:>9}{:>8}".format(*header))
    for name, r in rows:
        print(
            f"{name:<18}{r['pairs']:>7}{100 * r['accuracy_10fold']:>10.2f}% ±{100 * r['accuracy_std']:.2f}"
            f"{100 * r['tar_at_far_1e-3']:>12.2f}%{100 * r['eer']:>7.2f}%{r['failed_to_detect']:>9}"
            f"{r['median_ms']:>8.1f}"
        )
    if "quality_gate" in result:
        g = result["quality_gate"]
        print(
            f"quality gate: both images pass in {g['pairs']} of {result['pairs']} pairs; on those, "
            f"{100 * g['accuracy_10fold']:.2f}% 10-fold, TAR {100 * g['tar_at_far_1e-3']:.2f}% at FAR 1e-3, "
            f"EER {100 * g['eer']:.2f}%"
        )
    if result.get("failed_to_locate"):
        print(f"photo not located on {result['failed_to_locate']} simulated scans")
    if "speed_ratio" in result:
        print(f"median time per image: {result['speed_ratio']:.1f}x faster than {result['peer']['name']}")


def _plot(
    path: Path, ours: accuracy.AccuracyRun, peer_run: accuracy.AccuracyRun | None, peer_name: str | None
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from madoguchi.bench.metrics import roc

    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=120)
    for name, run in [("madoguchi (int8 LiteRT)", ours), (peer_name, peer_run)]:
        if run is None:
            continue
        far, tar = roc(run.distances, run.same)
        ax.plot(np.maximum(far, 1e-4), tar, label=f"{name}: {100 * run.figures.accuracy_10fold:.2f}%")
    ax.set_xscale("log")
    ax.set_xlim(1e-4, 1)
    ax.set_xlabel("false accept rate")
    ax.set_ylabel("true accept rate")
    ax.axvline(1e-3, color="grey", lw=0.5, ls="--")
    ax.grid(True, which="both", lw=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)


def run_speed(args: argparse.Namespace) -> int:
    result = asdict(speed.run(models=args.models, repeat=args.repeat))
    if args.peer:
        if not peer.available():
            print("face_recognition is not installed: make bench-deps", file=sys.stderr)
            return 2
        result["peer"] = {"name": args.peer, **speed.run_peer(repeat=max(5, args.repeat // 5))}
        result["speed_ratio"] = result["peer"]["face_ms"] / result["face_ms"]
    if args.json:
        print(json.dumps(result))
        return 0
    for key, value in result.items():
        if key != "peer" and key != "speed_ratio":
            print(f"{key:<18}{value:>10.2f}")
    if "peer" in result:
        p = result["peer"]
        print(f"{p['name']}: detect {p['detect_frame_ms']:.1f} ms + align/embed {p['embed_ms']:.1f} ms")
        print(f"detect+align+embed: {result['speed_ratio']:.1f}x faster than {p['name']}")
    return 0
