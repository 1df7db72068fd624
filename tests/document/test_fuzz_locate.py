"""Fuzzing the photo locator: whatever the page, a LocatedPhoto or a madoguchi error, nothing else.

Seeded (reproducible) junk from ``fuzz_inputs``: wrong shapes, dtypes, strides, tiny and huge sizes,
NaN and inf, noise pages, a real card scan bent every way, and odd resolutions. CI runs a handful;
``MADOGUCHI_FUZZ_EXAMPLES=5000 pytest -s tests/document/test_fuzz_locate.py`` is the long run.
"""

from __future__ import annotations

import numpy as np
import pytest

from fuzz_inputs import Tally, examples, junk, seeds
from madoguchi.document.locate import LocatedPhoto, locate_photo
from madoguchi.synthetic.scans import scan_pair_left

skdata = pytest.importorskip("skimage.data")
DPIS = (300, 300, 300, 150, 600, 1200, 50, 4800, 0, -300, 10**9, 300.5, None)


@pytest.fixture(scope="module")
def scans() -> list[np.ndarray]:
    """Card pages of the astronaut at 300 dpi, as the scanner gives them."""
    return [scan_pair_left(skdata.astronaut(), seed) for seed in range(2)]


def _located(result: object) -> bool:
    if not isinstance(result, LocatedPhoto):
        return False
    image = result.image
    return image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) > 0


def test_the_locator_raises_only_its_own_errors(engine, scans):
    tally = Tally()
    for rng in seeds(examples(40), base=9000):
        description, page = junk(rng, good=lambda r: scans[int(r.integers(len(scans)))].copy())
        dpi = DPIS[int(rng.integers(len(DPIS)))] if rng.random() < 0.3 else 300
        tally.run(f"{description} at {dpi} dpi", _located, locate_photo, page, engine, dpi=dpi)
    print(tally.summary("locate_photo"))
    assert not tally.crashes, "\n".join(tally.crashes[:20])
    assert tally.outcomes["ok"] + tally.outcomes["UnreadableImage"] > 0  # the inputs reached both ends
