"""bench pad's figures on made-up outcomes: thresholds at a BPCER, ISO/IEC 30107-3 rates, the report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from madoguchi.bench.pad import (
    Outcome,
    iso_figures,
    report,
    text,
    threshold_at_apcer,
    threshold_at_bpcer,
)
from madoguchi.pad.check import SIGNALS


def test_the_threshold_at_a_bpcer_lets_that_share_of_bona_fide_through():
    bona = np.arange(100, dtype=float)  # 0..99
    threshold = threshold_at_bpcer(bona, 0.05)
    assert np.sum(bona > threshold) == 5
    assert threshold_at_bpcer(np.array([np.nan, np.nan]), 0.05) == -math.inf


def test_the_threshold_at_an_apcer_misses_that_share_of_attacks():
    attacks = np.arange(100, dtype=float)
    threshold = threshold_at_apcer(attacks, 0.05)
    assert np.sum(attacks <= threshold) == 5
    undetermined = np.array([np.nan] * 10 + list(range(10)), dtype=float)
    assert np.mean(np.nan_to_num(undetermined, nan=-np.inf) <= threshold_at_apcer(undetermined, 0.05)) >= 0.5


def test_iso_figures_of_separated_and_overlapping_scores():
    bona, attacks = np.linspace(0, 1, 200), np.linspace(2, 3, 100)
    assert iso_figures(bona, attacks) == {"apcer_at_bpcer_5": 0.0, "bpcer_at_apcer_5": 0.0}
    same = iso_figures(np.linspace(0, 1, 200), np.linspace(0, 1, 200))
    assert same["apcer_at_bpcer_5"] == pytest.approx(0.95, abs=0.01)
    assert same["bpcer_at_apcer_5"] == pytest.approx(0.95, abs=0.01)


def outcome(kind: str, family: str, seed: int, value: float, passed: bool) -> Outcome:
    return Outcome(
        kind=kind,
        family=family,
        seed=seed,
        values={signal: value for signal in SIGNALS} | {"challenge": 0.0 if passed else 1.0},
        challenge_passed=passed,
        challenge_failed=None if passed else "blink_timeout",
        challenge_seconds=5.0,
        frames=60,
        faces=60,
        pad_ms=[2.0] * 60,
        engine_ms=[20.0] * 60,
    )


def test_the_report_sets_thresholds_on_tuning_and_measures_on_the_held_out_family():
    outcomes = [outcome("bona_fide", "counter", s, s / 20, True) for s in range(20)]
    outcomes += [
        outcome(kind, "counter", s, 5.0, False) for kind in ("print", "phone", "video") for s in range(5)
    ]
    # the held-out family: bona fide a little higher than tuning saw, attacks clearly apart
    outcomes += [outcome("bona_fide", "kiosk", s, 0.55 + s / 10, True) for s in range(10)]
    outcomes += [
        outcome(kind, "kiosk", s, 4.0, False) for kind in ("print", "phone", "video") for s in range(10)
    ]
    result = report(outcomes, ("counter",), ("kiosk",))
    assert result["sequences"] == {"bona_fide": 10, "print": 10, "phone": 10, "video": 10}
    assert result["thresholds"]["moire"] == pytest.approx(18 / 20)  # one of 20 tuning bona fide above
    row = result["at_operating_point"]["moire"]
    assert row["bpcer"] == pytest.approx(0.6)  # above 0.9: 0.95, 1.05, ... 1.45
    assert row["apcer_print"] == 0.0
    assert result["iso"]["print"]["moire"]["apcer_at_bpcer_5"] == 0.0
    assert result["time"]["pad_over_engine"] == pytest.approx(0.1)
    assert "APCER at BPCER 5%" in text(result)
