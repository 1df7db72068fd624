"""`madoguchi bench pad`: the presentation-attack checks on synthetic capture sequences, in ISO/IEC
30107-3 figures per attack type, and the time the checks add.

Sequences come from :mod:`madoguchi.synthetic.pad_families`: bona fide visitors (a synthetic head
made from a face photo, which sways, blinks and does what the challenge asks, sometimes late or too
little) and three attacks (a printed photo moved by hand, a phone showing the photo, a phone or
tablet replaying a video of the head that blinks on its own). Each sequence runs as a capture
would: frame by frame, the engine finds the face, :class:`~madoguchi.pad.check.PadCheck` sees it and the
presenter sees the challenge's request, until the challenge is over.

Operating points are set on the tuning families (each signal's threshold where at most 5 % of bona
fide sequences there are suspect) and figures are reported on the held-out family, which no
threshold saw. Planarity can tell a head only once it has turned, so its bona fide sequences are
those that passed the challenge (one that failed is suspect through the challenge already):

- per signal and attack type, APCER at a BPCER of 5 % and BPCER at an APCER of 5 % (thresholds
  swept on the held-out sequences themselves, as ISO/IEC 30107-3 reports a detector's curve);
- APCER per attack type and BPCER at the tuned operating points, signal by signal and all signals
  together (suspect when any signal is);
- the checks' own computing time per frame and per capture, beside the engine's on the same frames,
  and how long the challenge keeps a bona fide visitor at the camera.

What synthetic sequences can show: that each check reacts to the cue it is built for, at the
strength drawn here, on sequences its thresholds never saw; that the checks' logic and timing hold
together; what they cost. What they cannot show: how real prints, screens, cameras, lighting and
people look (every cue here is drawn by our own model of it: moiré from a modelled sub-pixel grid,
banding from a modelled PWM backlight, a head's parallax from the mesh model's own depth), nor
attacks made by someone who knows the checks (a curved print, a screen at a grazing angle, a
higher-resolution replay, a mask). The figures bound nothing about real attacks: they are a
regression measure for the code, not a security claim. Real figures need real recorded attacks.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from madoguchi import paths
from madoguchi.bench.accuracy import describe_all
from madoguchi.engine import FaceEngine
from madoguchi.errors import ExitCode, FaceError, MadoguchiError
from madoguchi.pad.check import SIGNALS, PadCheck, PadConfig
from madoguchi.synthetic.heads import Head
from madoguchi.synthetic.pad_families import ATTACKS, FAMILIES, HELD_OUT, KINDS, TUNING, sequence
from madoguchi.synthetic.people import package_people

MAX_SECONDS = 25.0
"""A sequence ends when the challenge is over, or after this long."""
BPCER_TARGET = APCER_TARGET = 0.05
LFW_FACES = 40


@dataclass(frozen=True)
class Job:
    kind: str
    family: str
    seed: int


@dataclass(frozen=True)
class Outcome:
    """One sequence: each signal's value (NaN: undetermined), the challenge's result, and times."""

    kind: str
    family: str
    seed: int
    values: dict[str, float]
    challenge_passed: bool
    challenge_failed: str | None
    challenge_seconds: float
    frames: int
    faces: int
    pad_ms: list[float]
    engine_ms: list[float]


def lfw_photos(root: Path, count: int = LFW_FACES) -> list[np.ndarray]:
    """One image each of the first ``count`` people in LFW's folder, doubled in size (LFW's faces are
    about 45 px between the eyes; a counter camera sees 60-120)."""
    photos = []
    for person in sorted(p for p in (root / "images").iterdir() if p.is_dir())[:count]:
        first = sorted(person.glob("*.jpg"))[0]
        with Image.open(first) as image:
            rgb = image.convert("RGB")
        photos.append(np.array(rgb.resize((rgb.width * 2, rgb.height * 2), Image.Resampling.BICUBIC)))
    return photos


def package_photos() -> list[np.ndarray]:
    return [np.array(person.image) for person in package_people()]


class Runner:
    """The benchmark's worker: one engine and the heads, per process (as accuracy.Describer)."""

    engine: ClassVar[FaceEngine | None] = None
    heads: ClassVar[list[Head]] = []

    @classmethod
    def start(cls, lfw: Path | None, models: Path | None) -> None:
        cls.engine = FaceEngine.load(models)
        photos = lfw_photos(lfw) if lfw is not None else package_photos()
        cls.heads = []
        for photo in photos:
            try:
                cls.heads.append(Head.from_photo(photo, cls.engine))
            except FaceError:
                continue

    @classmethod
    def describe(cls, job: Job) -> Outcome:
        assert cls.engine is not None, "Runner.start() runs first in every worker"
        return run_sequence(cls.engine, cls.heads, job)


def run_sequence(engine: FaceEngine, heads: list[Head], job: Job, config: PadConfig | None = None) -> Outcome:
    """``job``'s sequence through the engine and the checks, as the capture runs them."""
    presenter, fps = sequence(job.kind, job.family, job.seed, heads)
    check = PadCheck(config or PadConfig(), rng=random.Random(job.seed))
    pad_ms, engine_ms = [], []
    frames = faces = 0
    t = 0.0
    try:
        while t < MAX_SECONDS and not check.done:
            frame = presenter.frame(t, check.request)
            started = time.perf_counter()
            try:
                face = engine.find_one_face(frame, side="live")
                faces += 1
            except FaceError:
                face = None
            looked = time.perf_counter()
            check.observe(frame, face, t)
            engine_ms.append((looked - started) * 1000)
            pad_ms.append((time.perf_counter() - looked) * 1000)
            engine.forget()
            frames += 1
            t += 1 / fps
        verdict = check.verdict()
    finally:
        check.forget()
    challenge = next(s for s in verdict.signals if s.name == "challenge")
    result = check.challenge.result() if check.challenge is not None else None
    return Outcome(
        kind=job.kind,
        family=job.family,
        seed=job.seed,
        values={s.name: _attack_score(s.name, s.value) for s in verdict.signals},
        challenge_passed=challenge.outcome == "pass",
        challenge_failed=challenge.detail,
        challenge_seconds=result.seconds if result is not None else 0.0,
        frames=frames,
        faces=faces,
        pad_ms=pad_ms,
        engine_ms=engine_ms,
    )


def _attack_score(name: str, value: float) -> float:
    """Each signal's value turned so that larger looks more like an attack (planarity is the one
    whose small values do); NaN (undetermined) stays NaN."""
    return -value if name == "planarity" else value


def _flagged(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Suspect where the score is above ``threshold``; an undetermined (NaN) score never is."""
    return np.nan_to_num(scores, nan=-np.inf) > threshold


def threshold_at_bpcer(bona_fide: np.ndarray, bpcer: float) -> float:
    """The lowest threshold at which at most ``bpcer`` of the bona fide scores lie above it."""
    finite = np.sort(bona_fide[np.isfinite(bona_fide)])
    if not len(finite):
        return -math.inf
    allowed = math.floor(bpcer * len(bona_fide))
    return float(finite[-allowed - 1]) if allowed < len(finite) else -math.inf


def threshold_at_apcer(attacks: np.ndarray, apcer: float) -> float:
    """The highest threshold at which at most ``apcer`` of the attacks lie at or below it (missed)."""
    scores = np.sort(np.nan_to_num(attacks, nan=-np.inf))
    allowed = math.floor(apcer * len(scores))
    return float(np.nextafter(scores[allowed], -np.inf)) if allowed < len(scores) else math.inf


def iso_figures(bona_fide: np.ndarray, attacks: np.ndarray) -> dict[str, float]:
    """APCER at a BPCER of 5 % and BPCER at an APCER of 5 % (ISO/IEC 30107-3), thresholds swept."""
    at_bpcer = threshold_at_bpcer(bona_fide, BPCER_TARGET)
    at_apcer = threshold_at_apcer(attacks, APCER_TARGET)
    return {
        "apcer_at_bpcer_5": float(np.mean(~_flagged(attacks, at_bpcer))),
        "bpcer_at_apcer_5": float(np.mean(_flagged(bona_fide, at_apcer))),
    }


def report(outcomes: list[Outcome], tuning: tuple[str, ...], test: tuple[str, ...]) -> dict:
    """Thresholds set on the ``tuning`` families, figures on the ``test`` families (module docstring)."""

    def scores(kinds: tuple[str, ...], families: tuple[str, ...], signal: str) -> np.ndarray:
        # planarity tells only once a head has turned: its bona fide are those the challenge saw turn
        # (a bona fide visitor who failed the challenge is flagged by the challenge already)
        turned = signal == "planarity" and kinds == ("bona_fide",)
        return np.array(
            [
                o.values[signal]
                for o in outcomes
                if o.kind in kinds and o.family in families and (o.challenge_passed or not turned)
            ]
        )

    thresholds = {
        signal: threshold_at_bpcer(scores(("bona_fide",), tuning, signal), BPCER_TARGET) for signal in SIGNALS
    }
    thresholds["challenge"] = 0.0  # a decision of its own: every request met, or not
    tested = [o for o in outcomes if o.family in test]
    bona = [o for o in tested if o.kind == "bona_fide"]
    result: dict = {
        "tuning_families": list(tuning),
        "test_families": list(test),
        "sequences": {kind: sum(o.kind == kind for o in tested) for kind in KINDS},
        "thresholds": thresholds,
        "iso": {},
        "at_operating_point": {},
    }
    for attack in ATTACKS:
        result["iso"][attack] = {
            signal: iso_figures(scores(("bona_fide",), test, signal), scores((attack,), test, signal))
            for signal in SIGNALS
        }
    for signal in [*SIGNALS, "any"]:
        row = {}
        for kind in KINDS:
            chosen = [o for o in tested if o.kind == kind]
            flagged = [_suspect(o, thresholds, signal) for o in chosen]
            if kind == "bona_fide":  # bona fide called attacks
                row["bpcer"] = float(np.mean(flagged)) if flagged else math.nan
            else:  # attacks called bona fide
                row[f"apcer_{kind}"] = 1 - float(np.mean(flagged)) if flagged else math.nan
        result["at_operating_point"][signal] = row
    pad = [ms for o in tested for ms in o.pad_ms]
    engine = [ms for o in tested for ms in o.engine_ms]
    per_capture = [sum(o.pad_ms) for o in bona]
    seconds = [o.challenge_seconds for o in bona if o.challenge_passed]
    result["time"] = {
        "pad_ms_per_frame_median": statistics.median(pad) if pad else math.nan,
        "engine_ms_per_frame_median": statistics.median(engine) if engine else math.nan,
        "pad_over_engine": statistics.median(pad) / statistics.median(engine) if pad and engine else math.nan,
        "pad_ms_per_capture_median": statistics.median(per_capture) if per_capture else math.nan,
        "challenge_seconds_median": statistics.median(seconds) if seconds else math.nan,
        "challenge_seconds_p90": float(np.percentile(seconds, 90)) if seconds else math.nan,
        "challenge_failed_bona_fide": dict(
            _count(o.challenge_failed for o in bona if not o.challenge_passed)
        ),
        "frames_per_capture_median": statistics.median(o.frames for o in bona) if bona else math.nan,
    }
    return result


def _suspect(outcome: Outcome, thresholds: dict[str, float], signal: str) -> bool:
    if signal == "challenge":
        return not outcome.challenge_passed
    if signal == "any":
        return any(_suspect(outcome, thresholds, s) for s in SIGNALS)
    return bool(_flagged(np.array([outcome.values[signal]]), thresholds[signal])[0])


def _count(items: object) -> dict[str, int]:
    counted: dict[str, int] = {}
    for item in items:  # type: ignore[attr-defined]
        counted[str(item)] = counted.get(str(item), 0) + 1
    return counted


def text(result: dict) -> str:
    lines = [
        f"thresholds set at BPCER {BPCER_TARGET:.0%} on {', '.join(result['tuning_families'])}; "
        f"figures on {', '.join(result['test_families'])} "
        f"({', '.join(f'{k} {n}' for k, n in result['sequences'].items())} sequences)",
        "thresholds: " + ", ".join(f"{s} {v:.3g}" for s, v in result["thresholds"].items()),
        "",
        "ISO/IEC 30107-3, thresholds swept on the test sequences: APCER at BPCER 5% / BPCER at APCER 5%",
        f"{'signal':<13}" + "".join(f"{a:>22}" for a in ATTACKS),
    ]
    for signal in SIGNALS:
        cells = [result["iso"][a][signal] for a in ATTACKS]
        lines.append(
            f"{signal:<13}"
            + "".join(
                f"{100 * c['apcer_at_bpcer_5']:>10.1f}% / {100 * c['bpcer_at_apcer_5']:>6.1f}%  "
                for c in cells
            )
        )
    lines += [
        "",
        "at the tuned operating points: BPCER and APCER per attack",
        f"{'signal':<13}{'BPCER':>8}" + "".join(f"{'APCER ' + a:>14}" for a in ATTACKS),
    ]
    for signal, row in result["at_operating_point"].items():
        lines.append(
            f"{signal:<13}{100 * row['bpcer']:>7.1f}%"
            + "".join(f"{100 * row[f'apcer_{a}']:>13.1f}%" for a in ATTACKS)
        )
    t = result["time"]
    lines += [
        "",
        f"checks: {t['pad_ms_per_frame_median']:.1f} ms a frame (median) beside the engine's "
        f"{t['engine_ms_per_frame_median']:.1f} ms on the same frames ({t['pad_over_engine']:.2f}x); "
        f"{t['pad_ms_per_capture_median']:.0f} ms over a bona fide capture of "
        f"{t['frames_per_capture_median']:.0f} frames",
        f"challenge: a bona fide visitor who passes is at the camera {t['challenge_seconds_median']:.1f} s "
        f"(median, 90th percentile {t['challenge_seconds_p90']:.1f} s); bona fide failures: "
        f"{t['challenge_failed_bona_fide'] or 'none'}",
    ]
    return "\n".join(lines)


def add_parser(kinds: argparse._SubParsersAction) -> None:
    command = kinds.add_parser(
        "pad", help="presentation-attack checks on synthetic sequences: ISO/IEC 30107-3 figures per attack"
    )
    command.add_argument(
        "--lfw", type=Path, default=paths.lfw(), help="LFW folder: its first people's faces make the heads"
    )
    command.add_argument("--package-faces", action="store_true", help="use the package's two sample faces")
    command.add_argument(
        "--tune", default=",".join(TUNING), help=f"families to set thresholds on ({','.join(TUNING)})"
    )
    command.add_argument(
        "--test", default=HELD_OUT, help=f"families to report on (default {HELD_OUT}, held out)"
    )
    command.add_argument("--tune-sequences", type=int, default=16, help="per kind and tuning family")
    command.add_argument("--test-sequences", type=int, default=30, help="per kind and test family")
    command.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores, max 4)")
    command.add_argument("--models", type=Path)
    command.add_argument("--save", type=Path, help="also write every sequence's outcome here (JSON lines)")
    command.add_argument(
        "--outcomes", type=Path, help="report on outcomes saved by --save instead of running the sequences"
    )
    command.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    command.set_defaults(handler=run)


def load_outcomes(path: Path) -> list[Outcome]:
    """Outcomes written by ``--save`` (one JSON object a line)."""
    with path.open(encoding="utf-8") as lines:
        return [Outcome(**json.loads(line)) for line in lines if line.strip()]


def run_all(
    jobs: list[Job],
    *,
    lfw: Path | None,
    models: Path | None,
    processes: int,
    progress: bool,
    save: Path | None = None,
) -> list[Outcome]:
    """Every job's sequence, in ``processes`` worker processes; each outcome is also appended to
    ``save`` as it comes (a long run cut short keeps what it did)."""
    outcomes = []
    with save.open("w", encoding="utf-8") if save else contextlib.nullcontext() as out:
        for outcome in describe_all(
            jobs,  # type: ignore[arg-type]
            worker=Runner,
            start_args=(lfw, models),
            jobs=processes,
            progress=progress,
            chunksize=1,
        ):
            outcomes.append(outcome)
            if out is not None:
                out.write(json.dumps(asdict(outcome)) + "\n")
                out.flush()
    return outcomes


def run(args: argparse.Namespace) -> ExitCode:
    tuning, test = tuple(args.tune.split(",")), tuple(args.test.split(","))
    if unknown := (set(tuning) | set(test)) - set(FAMILIES):
        print(f"unknown family {', '.join(sorted(unknown))}: one of {', '.join(FAMILIES)}", file=sys.stderr)
        return ExitCode.USAGE
    if args.outcomes:
        outcomes = load_outcomes(args.outcomes)
    else:
        lfw = None if args.package_faces else args.lfw
        if lfw is not None and not (lfw / "images").is_dir():
            print(f"no LFW images at {lfw}: give --lfw DIR or --package-faces", file=sys.stderr)
            return ExitCode.USAGE
        jobs = [
            Job(kind, family, seed)
            for family in tuning
            for kind in KINDS
            for seed in range(args.tune_sequences)
        ]
        jobs += [
            Job(kind, family, 1000 + seed)
            for family in test
            for kind in KINDS
            for seed in range(args.test_sequences)
        ]
        try:
            outcomes = run_all(
                jobs,
                lfw=lfw,
                models=args.models,
                processes=args.jobs or min(4, os.cpu_count() or 1),
                progress=not args.json,
                save=args.save,
            )
        except MadoguchiError as error:
            print(f"bench pad: {error}", file=sys.stderr)
            return ExitCode.USAGE
    result = report(outcomes, tuning, test)
    print(json.dumps(result) if args.json else text(result))
    return ExitCode.OK
