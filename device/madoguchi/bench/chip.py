"""Chip benchmarks: time from a card on the reader to its face decoded, and the reference side of
the accuracy benchmark reduced the way a chip stores it.

The timing runs on the real PC/SC stack with an emulated card (pcscd + vsmartcard's vpcd + our My
Number emulator): it measures our reader, pcscd and vpcd's polling, not a contactless link. The
figures are labelled "emulated" for that reason; a real RC-S300 or ACR1252U adds the air interface
(106–848 kbit/s) on top.
"""

from __future__ import annotations

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

from madoguchi.bench import accuracy
from madoguchi.bench.pairs import Pair
from madoguchi.chip import ChipReader, image
from madoguchi.chip.emulator import FACE_SIZE, chip_face, personalise
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.transport import PcscReader
from madoguchi.document.quality import assess

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
    def start(cls, models: Path | None = None, document: str = "mynumber") -> None:
        super().start(models)
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
        descriptor = engine.describe(engine.align(reference, face))
        ms = (time.perf_counter() - started) * 1000
        quality = assess(reference, face, side="reference")
        return accuracy.Described(side, descriptor, bool(faces), True, ms, quality.ok)


def chip_accuracy(
    pairs: list[Pair], *, document: str = "mynumber", models: Path | None = None, jobs: int | None = None
) -> accuracy.AccuracyRun:
    """The accuracy run with each pair's left image reduced as ``document``'s chip stores it; compare
    with ``accuracy.run(pairs, card_scan=True)`` (the scanned photo) for the loss."""
    sides, pair_sides = accuracy.sides_of(pairs, card_scan=True)  # marks every left side
    jobs = jobs or min(4, os.cpu_count() or 1)
    described = accuracy.describe_all(sides, worker=ChipDescriber, start_args=(models, document), jobs=jobs)
    return accuracy.evaluate(pairs, described, pair_sides)


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
