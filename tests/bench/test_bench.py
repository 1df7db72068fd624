"""Benchmark arithmetic: pair lists, the 10-fold protocol, TAR at FAR, EER, progress, speed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from madoguchi.bench import command as bench_command
from madoguchi.bench.accuracy import Described, Side, describe_all, evaluate
from madoguchi.bench.metrics import best_threshold, eer, figures, tar_at_far, tar_interval
from madoguchi.bench.pairs import Pair, lfw_pairs, tsv_pairs
from madoguchi.cli.main import main
from madoguchi.engine.fusion import Description, Fusion


def test_lfw_pairs_reads_folds_of_same_then_different(tmp_path):
    lines = ["2 2"]
    for fold in range(2):
        lines += [
            f"Ann_{fold} 1 2",
            f"Bob_{fold} 3 4",
            f"Ann_{fold} 1 Bob_{fold} 3",
            f"Cy_{fold} 2 Di_{fold} 10",
        ]
    (tmp_path / "pairs.txt").write_text("\n".join(lines) + "\n")
    pairs = lfw_pairs(tmp_path / "pairs.txt", tmp_path)
    assert [p.same for p in pairs] == [True, True, False, False] * 2
    assert [p.fold for p in pairs] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert pairs[3].right == tmp_path / "Di_0" / "Di_0_0010.jpg"


def test_lfw_pairs_refuses_a_short_file(tmp_path):
    (tmp_path / "pairs.txt").write_text("10 300\nAnn 1 2\n")
    with pytest.raises(ValueError, match="expected 6000 pairs"):
        lfw_pairs(tmp_path / "pairs.txt", tmp_path)


def test_tsv_pairs_resolves_paths_and_deals_folds(tmp_path):
    rows = ["left\tright\tsame"] + [f"card{i}.png\tlive{i}.jpg\t{i % 2}" for i in range(20)]
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    pairs = tsv_pairs(tmp_path / "pairs.tsv", tmp_path / "root")
    assert pairs[0].left == tmp_path / "root" / "card0.png" and pairs[1].same and not pairs[0].same
    assert sorted({p.fold for p in pairs}) == list(range(10))


def test_tsv_folds_are_stratified_whatever_the_order(tmp_path):
    rows = ["left\tright\tsame"] + [f"a{i}.png\tb{i}.png\t1" for i in range(30)]
    rows += [f"c{i}.png\td{i}.png\t0" for i in range(70)]
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    pairs = tsv_pairs(tmp_path / "pairs.tsv", tmp_path)
    for fold in range(10):
        in_fold = [p for p in pairs if p.fold == fold]
        assert sum(p.same for p in in_fold) == 3 and sum(not p.same for p in in_fold) == 7
    assert pairs == tsv_pairs(tmp_path / "pairs.tsv", tmp_path)  # deterministic


def test_tsv_pairs_names_the_bad_line(tmp_path):
    (tmp_path / "p.tsv").write_text("left\tright\tsame\na\tb\tmaybe\n")
    with pytest.raises(ValueError, match=r"p.tsv:2"):
        tsv_pairs(tmp_path / "p.tsv", tmp_path)


def test_perfectly_separated_pairs_score_perfectly():
    distances = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9] * 10)
    same = np.array([True, True, True, False, False, False] * 10)
    folds = np.repeat(np.arange(10), 6)
    result = figures(distances, same, folds)
    assert result.accuracy_10fold == 1.0 and result.eer == 0.0 and result.tar_at_far_1e3 == 1.0
    assert result.tar_interval == (1.0, 1.0)
    assert 0.3 < best_threshold(distances, same) < 0.7


def test_tar_interval_shows_a_threshold_resting_on_one_impostor():
    rng = np.random.default_rng(0)
    genuine = rng.uniform(0.2, 0.6, 1200)
    impostor = np.concatenate([[0.35], rng.uniform(0.7, 1.2, 1199)])  # one close different person
    distances, same = np.concatenate([genuine, impostor]), np.repeat([True, False], 1200)
    tar = tar_at_far(distances, same, 1e-3)
    low, high = tar_interval(distances, same, 1e-3)
    assert tar == 1.0  # one false accept of 1,200 is allowed at FAR 1e-3
    assert low < 0.5 and high == 1.0  # drawn twice, it sets the threshold at 0.35


def test_overlap_costs_accuracy_and_far():
    same = np.array([True] * 100 + [False] * 100)
    distances = np.concatenate([np.linspace(0.1, 0.6, 100), np.linspace(0.5, 1.0, 100)])
    assert tar_at_far(distances, same, 1e-3) == pytest.approx(0.8, abs=0.02)  # same pairs below 0.5
    assert 0.05 < eer(distances, same) < 0.15
    folds = np.tile(np.arange(10), 20)
    assert 0.85 < figures(distances, same, folds).accuracy_10fold < 0.95


class Doubler:
    """A benchmark worker without an engine: describes a side by its file name's length."""

    @classmethod
    def start(cls) -> None:
        pass

    @classmethod
    def describe(cls, side: Side) -> Described:
        return Described(side, np.full(2, len(side.path.name), np.float32), True, True, 0.0)


@pytest.mark.parametrize("progress", [True, False])
def test_progress_goes_to_stderr_only_when_asked(capsys, progress):
    sides = [Side(Path(name)) for name in ("a", "bb", "ccc")]
    described = list(describe_all(sides, worker=Doubler, start_args=(), jobs=1, progress=progress))
    assert [d.descriptor[0] for d in described] == [1, 2, 3]
    printed = capsys.readouterr()
    assert printed.out == ""
    assert ("3/3" in printed.err) == progress


def test_bench_speed_prints_every_figure_as_json(capsys):
    assert main(["bench", "speed", "--repeat", "2", "--json"]) == 0
    figures_printed = json.loads(capsys.readouterr().out)
    for key in ("face_ms", "detect_page_ms", "detect_frame_ms", "embed_ms", "model_load_ms", "peak_rss_mb"):
        assert isinstance(figures_printed[key], float) and figures_printed[key] > 0
    assert "landmarks_ms" in figures_printed and "other_ms" in figures_printed


def test_bench_accuracy_on_a_tsv_of_package_faces(tmp_path, capsys):
    import cv2

    from faces import astronaut, camera_frame, other_people

    cv2.imwrite(str(tmp_path / "ref.png"), cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(tmp_path / "live.png"), cv2.cvtColor(camera_frame(astronaut()), cv2.COLOR_RGB2BGR))
    rows = ["left\tright\tsame", "ref.png\tlive.png\t1"]
    for i, person in enumerate(other_people(3)):
        cv2.imwrite(str(tmp_path / f"other{i}.png"), cv2.cvtColor(person, cv2.COLOR_RGB2BGR))
        rows.append(f"ref.png\tother{i}.png\t0")
    (tmp_path / "pairs.tsv").write_text("\n".join(rows) + "\n")
    assert (
        main(
            [
                "bench",
                "accuracy",
                "--pairs",
                str(tmp_path / "pairs.tsv"),
                "--root",
                str(tmp_path),
                "--jobs",
                "1",
                "--json",
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert printed.err == "", "--json is silent on stderr"
    result = json.loads(printed.out)
    assert result["pairs"] == 4 and result["failed_to_detect"] == 0
    assert result["eer"] == 0.0 and result["tar_at_far_1e-3"] == 1.0


@pytest.mark.parametrize(
    ("command", "folds", "ok"),
    [
        ("accuracy", "1", False),
        ("accuracy", "2", True),
        ("thresholds", "1", True),
        ("chip", "1", False),
        ("accuracy", "11", False),
        ("thresholds", "x", False),
    ],
)
def test_fold_counts_are_checked_when_parsed(command, folds, ok, capsys):
    parser = argparse.ArgumentParser()
    bench_command.configure(parser)
    if ok:
        assert parser.parse_args([command, "--folds", folds]).folds == int(folds)
        return
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args([command, "--folds", folds])
    assert exit_.value.code == 2
    assert "--folds" in capsys.readouterr().err


def test_pairs_whose_photo_was_not_found_are_also_counted_apart():
    pairs = [Pair(Path(f"l{i}"), Path(f"r{i}"), same=i % 2 == 0, fold=i % 2) for i in range(8)]
    sides = [(Side(p.left, scan_seed=i), Side(p.right)) for i, p in enumerate(pairs)]
    close, far = Description(np.array([1.0, 0.0], np.float32)), Description(np.array([0.0, 1.0], np.float32))
    described = []
    for i, (left, right) in enumerate(sides):
        lost = i in (0, 3)  # one same-person and one different-person page without a photo found
        same = pairs[i].same != lost  # lost pages score from a box at the centre: the wrong answer
        described += [
            Described(left, close, True, not lost, 0.0),
            Described(right, close if same else far, True, True, 0.0),
        ]
    run = evaluate(pairs, described, sides)
    assert run.failed_to_locate == 2 and run.located == [i not in (0, 3) for i in range(8)]
    assert run.figures.eer > 0
    assert run.found is not None and run.found.pairs == 6 and run.found.eer == 0.0
    plain_sides = [(Side(a.path), b) for a, b in sides]
    plain = evaluate(
        pairs, [Described(s, close, True, True, 0.0) for p in plain_sides for s in p], plain_sides
    )
    assert plain.found is None


def test_fused_pairs_are_also_measured_cross_fitted_and_without_faceres():
    rng = np.random.default_rng(0)
    pairs = [Pair(Path(f"l{i}"), Path(f"r{i}"), same=i % 2 == 0, fold=i % 4) for i in range(80)]
    sides = [(Side(p.left), Side(p.right)) for p in pairs]
    described = []
    for pair, (left, right) in zip(pairs, sides, strict=True):
        base = rng.normal(size=(2, 8))
        other = base if pair.same else rng.normal(size=(2, 8))
        unit = [v / np.linalg.norm(v) for v in (*base, *(other + rng.normal(0, 0.3, (2, 8))))]
        single = Description(unit[0])
        described += [
            Described(left, Description(unit[0], unit[1]), True, True, 0.0, single=single),
            Described(right, Description(unit[2], unit[3]), True, True, 0.0, single=Description(unit[2])),
        ]
    fusion = Fusion(-1.0, -1.0, 0.0, "", "")
    run = evaluate(pairs, described, sides, fusion)
    assert run.cross_fitted is not None and run.single is not None
    assert run.cross_fitted.pairs == run.single.pairs == 80
    assert run.figures.accuracy_10fold == 1.0  # the fused distance, both descriptors agreeing
    with pytest.raises(ValueError, match="need the fusion"):
        evaluate(pairs, described, sides)
    # on card scans no fusion is fitted: the families are measured held out
    scanned = [(Side(a.path, scan_seed=i), b) for i, (a, b) in enumerate(sides)]
    as_scanned = [
        Described(
            Side(d.side.path, scan_seed=i // 2) if i % 2 == 0 else d.side,
            d.descriptor,
            True,
            True,
            0.0,
            single=d.single,
        )
        for i, d in enumerate(described)
    ]
    run = evaluate(pairs, as_scanned, scanned, fusion)
    assert run.cross_fitted is None and run.single is not None
