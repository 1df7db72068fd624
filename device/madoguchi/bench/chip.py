"""Chip benchmarks: time from a card on the reader to its face decoded, and the reference side of
the accuracy benchmark reduced the way a chip stores it.

The timing runs on the real PC/SC stack with an emulated card (pcscd + vsmartcard's vpcd + our My
Number emulator): it measures our reader, pcscd and vpcd's polling, not a contactless link. The
figures are labelled "emulated" for that reason; a real RC-S300 or ACR1252U adds the air interface
(106–848 kbit/s) on top.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi import paths
from madoguchi.bench import accuracy
from madoguchi.bench.pairs import Pair, fold_count, lfw_pairs
from madoguchi.chip import ChipError, ChipReader, image
from madoguchi.chip.emulator import FACE_SIZE, chip_face, personalise
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.simulated import EmulatedDesk, mynumber_card
from madoguchi.chip.transport import PcscReader
from madoguchi.document.quality import assess
from madoguchi.errors import ExitCode

VPCD_READER = "Virtual PCD 00 00"
VPCD_PORT = 35963


@dataclass(frozen=True)
class ChipFormat:
    """How a chip stores its face: size (width, height), compression ratio, monochrome or not."""

    size: tuple[int, int]
    rate: float
    grey: bool


# My Number card: a small monochrome JPEG 2000 (what our emulator stores; the card's exact size is
# not public). Passport: ICAO 9303 part 10 / ISO 19794-5 token image, colour, ~15–20 kB.
FORMATS = {
    "mynumber": ChipFormat(FACE_SIZE, 24.0, True),
    "passport": ChipFormat((360, 480), 30.0, False),
}


def chip_reference(rgb: np.ndarray, document: str = "mynumber") -> np.ndarray:
    """``rgb`` through the chip's storage (resize, monochrome for My Number, JPEG 2000) and back to
    an RGB uint8 array, as the reader would return it: the reference side for accuracy runs."""
    stored = FORMATS[document]
    return image.decode(bytearray(chip_face(rgb, stored.size, stored.rate, stored.grey)))


class ChipDescriber(accuracy.Describer):
    """The accuracy benchmark's worker with the reference side read "from a chip": each left image
    goes through :func:`chip_reference` instead of a simulated card scan (``document`` per worker)."""

    document = "mynumber"

    @classmethod
    def start(cls, models: Path | None = None, faceres: bool = True, document: str = "mynumber") -> None:
        super().start(models, faceres)
        cls.document = document

    @classmethod
    def describe(cls, side: accuracy.Side) -> accuracy.Described:
        if side.scan_seed is None:
            return super().describe(side)
        reference = chip_reference(accuracy.read_rgb(side.path), cls.document)
        engine = cls.engine
        assert engine is not None, "ChipDescriber.start() runs first in every worker"
        started = time.perf_counter()
        faces = engine.find_faces(reference)
        face = accuracy.nearest_centre(faces, reference) if faces else accuracy.centre_face(engine, reference)
        descriptor = accuracy.described_copy(engine, reference, face)
        ms = (time.perf_counter() - started) * 1000
        single = cls.single_description(reference, face)
        quality = assess(reference, face, side="reference")
        engine.scratch.wipe()
        return accuracy.Described(side, descriptor, bool(faces), True, ms, quality.ok, single=single)


def chip_accuracy(
    pairs: list[Pair],
    *,
    document: str = "mynumber",
    models: Path | None = None,
    jobs: int | None = None,
    faceres: bool = True,
) -> accuracy.AccuracyRun:
    """The accuracy run with each pair's left image reduced as ``document``'s chip stores it; compare
    with ``accuracy.run(pairs, card_scan=True)`` (the scanned photo) for the loss. The fused engine
    is measured beside the engine without FaceRes (``single``), as in ``accuracy.run``."""
    sides, pair_sides = accuracy.sides_of(pairs, card_scan=True)  # marks every left side
    jobs = jobs or min(4, os.cpu_count() or 1)
    start_args = (models, faceres, document)
    described = accuracy.describe_all(sides, worker=ChipDescriber, start_args=start_args, jobs=jobs)
    return accuracy.evaluate(pairs, described, pair_sides, accuracy.engine_fusion(models, faceres))


def time_to_image(face: np.ndarray, *, repeat: int = 5, port: int = VPCD_PORT) -> dict[str, float | str]:
    """Median and worst milliseconds from a My Number card (emulated) present on vpcd's reader to its
    face decoded, over ``repeat`` cards. Needs pcscd running with vpcd."""
    key = MyNumberKeyB("800101", "2034", "1234")
    issuer = rsa.generate_private_key(65537, 2048)
    files = personalise(chip_face(face), key.birth_date, "20340101", issuer)
    card = json.dumps(
        {"files": {f"{fid:04X}": c.hex() for fid, c in files.items()}, "pin": key.code().decode()}
    )
    reader = ChipReader(VPCD_READER, card_timeout=10)
    times = []
    for _ in range(repeat):
        emulator = subprocess.Popen(
            [sys.executable, "-m", "madoguchi.chip.emulator", "--port", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        try:
            emulator.stdin.write(card.encode())
            emulator.stdin.close()
            with PcscReader(VPCD_READER) as pcsc, pcsc.wait_for_card(10):
                pass  # the card is on the reader: the clock starts now
            started = time.perf_counter()
            reader.read_photo(key)
            times.append((time.perf_counter() - started) * 1000)
        finally:
            emulator.terminate()
            emulator.wait()
        time.sleep(1.0)  # let vpcd notice the card has gone
    return {
        "stack": "emulated (pcscd + vpcd + madoguchi emulator)",
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "cards": repeat,
    }


def time_to_image_in_process(face: np.ndarray, *, repeat: int = 20) -> dict[str, float | str]:
    """Like :func:`time_to_image` on the simulator's in-process emulated reader (no pcscd): our
    reader's own work (APDUs, signature check, JPEG 2000 decode) without a PC/SC stack's polling."""
    key = MyNumberKeyB("800101", "2034", "1234")
    issuer = rsa.generate_private_key(65537, 2048)
    desk = EmulatedDesk()
    reader = ChipReader(card_timeout=1, transport=desk)
    times = []
    for _ in range(repeat):
        desk.tap(mynumber_card(face, key, issuer))
        started = time.perf_counter()
        reader.read_photo(key)
        times.append((time.perf_counter() - started) * 1000)
        desk.remove()
    return {
        "stack": "emulated in process (madoguchi.chip.simulated)",
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "cards": repeat,
    }


def add_parser(kinds: argparse._SubParsersAction) -> None:
    command = kinds.add_parser(
        "chip", help="time from a card on the reader to its face decoded; chip-photo accuracy on LFW"
    )
    command.add_argument(
        "--lfw", type=Path, default=paths.lfw(), help="LFW folder with pairs.txt and images/"
    )
    command.add_argument("--folds", type=fold_count(2), default=10, help="use only the first N folds, 2-10")
    command.add_argument("--document", choices=sorted(FORMATS), default="mynumber")
    command.add_argument("--repeat", type=int, default=5, help="cards timed on each stack")
    command.add_argument("--jobs", type=int, default=None)
    command.add_argument("--models", type=Path)
    command.add_argument("--no-accuracy", action="store_true", help="only the timing")
    command.add_argument(
        "--no-faceres",
        action="store_true",
        help="the engine without FaceRes alone ([models] faceres = false)",
    )
    command.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> ExitCode:
    from madoguchi.synthetic.people import astronaut

    face = astronaut()[20:220, 150:330]
    result: dict[str, object] = {"time_to_image": [time_to_image_in_process(face, repeat=args.repeat)]}
    try:
        result["time_to_image"].append(time_to_image(face, repeat=args.repeat))  # type: ignore[union-attr]
    except (ChipError, OSError) as error:
        result["pcsc"] = f"not measured: pcscd with vpcd is not available ({error})"
    if not args.no_accuracy:
        if not (args.lfw / "pairs.txt").is_file():
            print(f"no LFW at {args.lfw} (pairs.txt missing): give --lfw DIR", file=sys.stderr)
            return ExitCode.USAGE
        pairs = [p for p in lfw_pairs(args.lfw / "pairs.txt", args.lfw / "images") if p.fold < args.folds]
        faceres = not args.no_faceres
        runs = {
            "scanned_card": accuracy.run(
                pairs, models=args.models, card_scan=True, jobs=args.jobs, faceres=faceres
            ),
            f"chip_{args.document}": chip_accuracy(
                pairs, document=args.document, models=args.models, jobs=args.jobs, faceres=faceres
            ),
        }
        scanned, chipped = (run.figures for run in runs.values())
        measured = {name: run.figures for name, run in runs.items()}
        measured |= {f"{name}_without_faceres": run.single for name, run in runs.items() if run.single}
        result["accuracy"] = {
            name: {
                "pairs": f.pairs,
                "accuracy_10fold": f.accuracy_10fold,
                "tar_at_far_1e-3": f.tar_at_far_1e3,
                "tar_at_far_1e-3_interval": list(f.tar_interval),
                "eer": f.eer,
            }
            for name, f in measured.items()
        }
        result["loss"] = {
            "accuracy_points": 100 * (scanned.accuracy_10fold - chipped.accuracy_10fold),
            "tar_points": 100 * (scanned.tar_at_far_1e3 - chipped.tar_at_far_1e3),
            "eer_points": 100 * (chipped.eer - scanned.eer),
        }
    if args.json:
        print(json.dumps(result))
        return ExitCode.OK
    for timing in result["time_to_image"]:  # type: ignore[union-attr]
        print(
            f"card on reader → image decoded: median {timing['median_ms']:.1f} ms, "
            f"max {timing['max_ms']:.1f} ms over {timing['cards']} cards [{timing['stack']}]"
        )
    if "pcsc" in result:
        print(f"PC/SC stack: {result['pcsc']}")
    if "accuracy" in result:
        for name, f in result["accuracy"].items():  # type: ignore[union-attr]
            low, high = f["tar_at_far_1e-3_interval"]
            print(
                f"{name:<30} {f['pairs']} pairs: {100 * f['accuracy_10fold']:.2f}% 10-fold, "
                f"TAR {100 * f['tar_at_far_1e-3']:.2f}% ({100 * low:.2f}-{100 * high:.2f}) at FAR 1e-3, "
                f"EER {100 * f['eer']:.2f}%"
            )
        loss = result["loss"]
        print(
            "loss of the chip photo against the scanned photo: "
            f"{loss['accuracy_points']:.2f} points accuracy, "
            f"{loss['tar_points']:.2f} points TAR, EER +{loss['eer_points']:.2f} points"
        )
    return ExitCode.OK
