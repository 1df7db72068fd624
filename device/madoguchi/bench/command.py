"""`madoguchi bench accuracy|speed|thresholds|soak|chip|ocr`: figures printed (--json: one object),
never asserted."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from madoguchi import paths
from madoguchi.bench import accuracy, breakdown, chip, fusion, ocr, pad, peer, speed, thresholds
from madoguchi.bench.metrics import Figures
from madoguchi.bench.pairs import fold_count, lfw_pairs, tsv_pairs
from madoguchi.engine import models
from madoguchi.engine.fusion import Fusion
from madoguchi.engine.score import Calibration, fit_calibration
from madoguchi.errors import ExitCode
from madoguchi.synthetic.families import FAMILIES, HELD_OUT


def configure(bench: argparse.ArgumentParser) -> None:
    """``madoguchi bench``'s kinds and options (listed by :data:`madoguchi.cli.main.TOOLS`)."""
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
    acc.add_argument("--folds", type=fold_count(2), default=10, help="use only the first N folds, 2-10")
    acc.add_argument(
        "--card-scan",
        action="store_true",
        help="print and scan each left image onto a simulated ID card, then find the photo",
    )
    acc.add_argument(
        "--family",
        help="with --card-scan: make the cards with these generator families (comma-separated, pair i "
        f"takes family i mod n; one of {', '.join(FAMILIES)}; {HELD_OUT} is kept out of all tuning) "
        "instead of the tuning simulator, and break the errors down by condition",
    )
    acc.add_argument(
        "--relays",
        type=int,
        choices=range(4),
        default=accuracy.RELAYS,
        help="times staff lay a family's card again when the quality gate sees glare on its photo "
        f"(default {accuracy.RELAYS}; 0 scores the first scan)",
    )
    acc.add_argument("--peer", choices=[peer.PEER], help="also run this library on the same pairs")
    acc.add_argument("--no-faceres", action="store_true", help=NO_FACERES)
    acc.add_argument("--plot", type=Path, help="write a ROC plot (PNG) here")
    acc.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores, max 4)")
    acc.add_argument("--models", type=Path, help="models folder (default: installed with madoguchi)")
    acc.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    acc.set_defaults(handler=run_accuracy)

    thr = kinds.add_parser(
        "thresholds",
        help="FMR (1 in N) and FNMR at each score threshold on LFW and on card scans, with 95%% intervals",
    )
    thr.add_argument("--lfw", type=Path, default=paths.lfw(), help="LFW folder (as for bench accuracy)")
    thr.add_argument("--folds", type=fold_count(1), default=10, help="only the images of the first N folds")
    thr.add_argument("--step", type=float, default=5.0, help="score step between rows (default 5)")
    thr.add_argument("--no-card-scan", action="store_true", help="plain photos only (much faster)")
    thr.add_argument(
        "--family",
        action="append",
        default=[],
        choices=list(FAMILIES),
        help="also a set of card scans made by this generator family (repeatable); "
        "never used by --write-calibration",
    )
    thr.add_argument("--plot", type=Path, help="write genuine/impostor score histograms (PNG) here")
    thr.add_argument(
        "--write-calibration", type=Path, help="fit the FMR score calibration on these images, write it here"
    )
    thr.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores, max 4)")
    thr.add_argument("--models", type=Path, help="models folder (default: installed with madoguchi)")
    thr.add_argument("--json", action="store_true", help="print the table as one JSON object")
    thr.add_argument("--no-faceres", action="store_true", help=NO_FACERES)
    thr.set_defaults(handler=run_thresholds)

    spd = kinds.add_parser("speed", help="per-stage median ms on one thread, load time, peak RSS")
    spd.add_argument("--repeat", type=int, default=50)
    spd.add_argument("--peer", choices=[peer.PEER], help="also time this library on the same frame")
    spd.add_argument("--models", type=Path)
    spd.add_argument("--json", action="store_true")
    spd.set_defaults(handler=run_speed)
    chip.add_parser(kinds)
    ocr.add_parser(kinds)
    pad.add_parser(kinds)
    fusion.add_parser(kinds)

    sk = kinds.add_parser("soak", help="N mixed transactions on simulated devices: crashes, RSS, time")
    sk.add_argument("--transactions", type=int, default=1000)
    sk.add_argument("--capture-seconds", type=float, default=0.2, help="camera window (default 0.2)")
    sk.add_argument("--trace", action="store_true", help="also print the Python lines that grew most")
    sk.add_argument("--json", action="store_true")
    sk.set_defaults(handler=run_soak)


NO_FACERES = (
    "the engine without FaceRes alone ([models] faceres = false); by default the fused engine, "
    "and the engine without FaceRes beside it on the same faces"
)


def _load_pairs(args: argparse.Namespace) -> list | None:
    if getattr(args, "pairs", None):
        return tsv_pairs(args.pairs, args.root)
    if not (args.lfw / "pairs.txt").is_file():
        print(f"no LFW at {args.lfw} (pairs.txt missing): give --lfw DIR or --pairs TSV", file=sys.stderr)
        return None
    return [p for p in lfw_pairs(args.lfw / "pairs.txt", args.lfw / "images") if p.fold < args.folds]


def run_accuracy(args: argparse.Namespace) -> ExitCode:
    families = tuple(args.family.split(",")) if args.family else ()
    if unknown := set(families) - set(FAMILIES):
        print(f"unknown family {', '.join(sorted(unknown))}: one of {', '.join(FAMILIES)}", file=sys.stderr)
        return ExitCode.USAGE
    if families and not args.card_scan:
        print("--family needs --card-scan", file=sys.stderr)
        return ExitCode.USAGE
    pairs = _load_pairs(args)
    if pairs is None:
        return ExitCode.USAGE
    progress = not args.json
    ours = accuracy.run(
        pairs,
        models=args.models,
        card_scan=args.card_scan,
        families=families,
        relays=args.relays,
        jobs=args.jobs,
        progress=progress,
        faceres=not args.no_faceres,
    )
    result = _accuracy_figures(ours)
    if ours.cross_fitted is not None:
        result["cross_fitted"] = _figures(ours.cross_fitted)
    if ours.single is not None:
        result["without_faceres"] = _figures(ours.single)
    if families:
        result["breakdown"] = breakdown.breakdown(
            ours.distances, ours.same, np.array(ours.located), ours.conditions
        )
    result["failed_to_locate"] = ours.failed_to_locate
    if ours.gated is not None:
        result["quality_gate"] = _figures(ours.gated)
    if ours.found is not None:
        result["photo_found"] = _figures(ours.found)
    peer_run = None
    if args.peer:
        if not peer.available():
            print("face_recognition is not installed: make bench-deps", file=sys.stderr)
            return ExitCode.USAGE
        peer_run = peer.run(pairs, jobs=args.jobs, progress=progress)
        result["peer"] = {"name": args.peer, **_accuracy_figures(peer_run)}
        result["speed_ratio"] = peer_run.median_ms / ours.median_ms
    if args.plot:
        _plot(args.plot, ours, peer_run, args.peer)
    if args.json:
        print(json.dumps(result))
    else:
        _print_accuracy(result, lfw_protocol=not args.pairs)
    return ExitCode.OK


def _figures(f: Figures) -> dict:
    return {
        "pairs": f.pairs,
        "accuracy_10fold": f.accuracy_10fold,
        "accuracy_std": f.accuracy_std,
        "tar_at_far_1e-3": f.tar_at_far_1e3,
        "tar_at_far_1e-3_interval": list(f.tar_interval),
        "eer": f.eer,
        "threshold_distance": f.threshold,
    }


def _accuracy_figures(run: accuracy.AccuracyRun) -> dict:
    return {**_figures(run.figures), "failed_to_detect": run.failed_to_detect, "median_ms": run.median_ms}


def _print_accuracy(result: dict, *, lfw_protocol: bool) -> None:
    """One row per pipeline. On a list that is not LFW's, TAR and EER come first: 10-fold accuracy
    depends on the list's balance of same and different pairs, which is LFW's 50/50 only there."""
    rows = [("madoguchi", result)] + ([(result["peer"]["name"], result["peer"])] if "peer" in result else [])
    columns = (
        ("pairs", "10-fold acc", "TAR@FAR1e-3", "EER")
        if lfw_protocol
        else ("pairs", "TAR@FAR1e-3", "EER", "10-fold acc")
    )
    widths = {"pairs": 7, "10-fold acc": 16, "TAR@FAR1e-3": 13, "EER": 8, "no face": 9, "ms/img": 8}
    columns += ("no face", "ms/img")
    print(f"{'pipeline':<18}" + "".join(f"{c:>{widths[c]}}" for c in columns))
    for name, r in rows:
        cells = {
            "pairs": str(r["pairs"]),
            "10-fold acc": f"{100 * r['accuracy_10fold']:.2f}% ±{100 * r['accuracy_std']:.2f}",
            "TAR@FAR1e-3": f"{100 * r['tar_at_far_1e-3']:.2f}%",
            "EER": f"{100 * r['eer']:.2f}%",
            "no face": str(r["failed_to_detect"]),
            "ms/img": f"{r['median_ms']:.1f}",
        }
        print(f"{name:<18}" + "".join(f"{cells[c]:>{widths[c]}}" for c in columns))
    for name, r in rows:
        low, high = r["tar_at_far_1e-3_interval"]
        print(f"{name}: TAR at FAR 1e-3, 95% bootstrap interval {100 * low:.2f}-{100 * high:.2f}%")
    for key, what in (
        ("cross_fitted", "fused, each fold's fusion fitted on the other folds only (LFW protocol)"),
        ("without_faceres", "the engine without FaceRes, same faces, same run"),
    ):
        if key in result:
            f = result[key]
            low, high = f["tar_at_far_1e-3_interval"]
            print(
                f"{what}: {100 * f['accuracy_10fold']:.2f}% ±{100 * f['accuracy_std']:.2f} 10-fold, "
                f"TAR {100 * f['tar_at_far_1e-3']:.2f}% ({100 * low:.2f}-{100 * high:.2f}) at FAR 1e-3, "
                f"EER {100 * f['eer']:.2f}%"
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
    if "photo_found" in result:
        f = result["photo_found"]
        print(
            f"pairs whose reference photo was found ({f['pairs']} of {result['pairs']}): "
            f"{100 * f['accuracy_10fold']:.2f}% 10-fold, TAR {100 * f['tar_at_far_1e-3']:.2f}% at FAR 1e-3 "
            f"({100 * f['tar_at_far_1e-3_interval'][0]:.2f}-{100 * f['tar_at_far_1e-3_interval'][1]:.2f}%), "
            f"EER {100 * f['eer']:.2f}%"
        )
    if "breakdown" in result:
        print(breakdown.text(result["breakdown"]))
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


def run_speed(args: argparse.Namespace) -> ExitCode:
    if args.peer and not peer.available():
        print("face_recognition is not installed: make bench-deps", file=sys.stderr)
        return ExitCode.USAGE
    ours, theirs = speed.run(models=args.models, repeat=args.repeat, with_peer=bool(args.peer))
    result = asdict(ours)
    if theirs is not None:
        result["peer"] = asdict(theirs)
    if args.json:
        print(json.dumps(result))
        return ExitCode.OK
    for key, value in asdict(ours).items():
        print(f"{key:<18}{value:>10.2f}")
    if theirs is not None:
        print(
            f"{theirs.name} in the same {args.repeat} passes: detect {theirs.detect_frame_ms:.1f} ms + "
            f"align/embed {theirs.embed_ms:.1f} ms = {theirs.face_ms:.1f} ms"
        )
        print(
            f"its time over ours: whole face {theirs.face_ratio:.1f}x (median of per-pass ratios), "
            f"detect {theirs.detect_ratio:.1f}x, align+embed {theirs.embed_ratio:.1f}x"
        )
    return ExitCode.OK


def run_soak(args: argparse.Namespace) -> ExitCode:
    from madoguchi.bench import soak

    run = soak.soak(args.transactions, capture_seconds=args.capture_seconds, trace=args.trace)
    print(json.dumps(asdict(run)) if args.json else "\n".join(soak.report(run)))
    return ExitCode.OK


def run_thresholds(args: argparse.Namespace) -> ExitCode:
    pairs = _load_pairs(args)
    if pairs is None:
        return ExitCode.USAGE
    faceres = not args.no_faceres
    described = thresholds.describe_lfw(
        pairs,
        generators=([] if args.no_card_scan else [None]) + args.family,
        models=args.models,
        jobs=args.jobs or min(4, os.cpu_count() or 1),
        progress=not args.json,
        faceres=faceres,
    )
    folder = models.models_dir(args.models)
    joined = Fusion.load(models.verified(folder, models.FUSION)) if faceres else None
    sets = thresholds.sets_from(described, joined)
    engines = {"fused" if faceres else "without FaceRes": sets}
    if faceres:
        engines["without FaceRes"] = thresholds.sets_from(described, None, single=True)
    del described
    if args.write_calibration:
        tuning = [s for s in sets if s.name in ("LFW", "card scans")]  # never a family's scans
        _write_calibration(args.write_calibration, tuning, args.lfw, args.folds, faceres=faceres)
    calibration = Calibration.load(
        args.write_calibration
        or models.verified(folder, models.FUSED_CALIBRATION if faceres else models.CALIBRATION)
    )
    before = None
    if faceres:  # the histograms put the engine without FaceRes, on its own scale, beside the fused one
        alone = Calibration.load(models.verified(folder, models.CALIBRATION))
        before = thresholds.Before("without FaceRes (before)", engines["without FaceRes"], alone.scores)
    result = thresholds.report(calibration, sets, np.arange(0, 100 + 1e-9, args.step), engines, before)
    if args.plot:
        thresholds.plot(args.plot, calibration, sets, before)
    print(json.dumps(result) if args.json else thresholds.text(result))
    return ExitCode.OK


def _write_calibration(
    target: Path, sets: list[thresholds.Comparisons], lfw: Path, folds: int, *, faceres: bool
) -> None:
    images = f"the images of folds 0-{folds - 1} of {lfw.name}/pairs.txt"
    among = {
        "LFW": f"between any two of {images}",
        "card scans": f"between each left image of {images} printed and scanned by "
        "madoguchi.synthetic.scans.scan_pair_left (seed = pair index) "
        "and every plain image of another person",
    }
    fitted_on = {
        s.name: f"{len(s.impostor):,} different-person distances {among[s.name]} "
        f"({len(s.genuine):,} same-person ones not used)"
        for s in sets
    }
    fitted_on["distance"] = (
        f"the fused distance of dlib's and FaceRes' descriptors ({models.FUSION})"
        if faceres
        else "dlib's descriptor alone (the engine without FaceRes)"
    )
    fit_calibration({s.name: s.impostor for s in sets}, fitted_on=fitted_on).save(target)
    shipped = (models.CALIBRATION, models.FUSED_CALIBRATION)
    if target.name in shipped and (target.parent / models.MANIFEST).is_file():
        models.record(target.parent, target.name)  # the engine checks every file against it
