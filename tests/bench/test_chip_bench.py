"""The chip benchmark's pieces: the reference reduced as a chip stores it, and the timing run."""

from __future__ import annotations

import numpy as np

from chip_cards import fixtures
from faces import astronaut
from madoguchi.bench.chip import FORMATS, chip_reference, time_to_image

pcscd = fixtures.pcscd


def test_my_number_reference_is_small_and_monochrome():
    reduced = chip_reference(astronaut(), "mynumber")
    width, height = FORMATS["mynumber"].size
    assert reduced.shape == (height, width, 3) and reduced.dtype == np.uint8
    assert np.array_equal(reduced[..., 0], reduced[..., 2])


def test_passport_reference_keeps_colour():
    reduced = chip_reference(astronaut(), "passport")
    assert not np.array_equal(reduced[..., 0], reduced[..., 2])


def test_timing_runs_on_the_emulated_stack(pcscd):
    figures = time_to_image(astronaut()[20:220, 150:330], repeat=1)
    assert figures["cards"] == 1 and "emulated" in figures["stack"]
    assert figures["median_ms"] > 0
