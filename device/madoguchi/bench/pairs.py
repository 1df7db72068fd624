"""Pair lists for the accuracy benchmark: LFW's pairs.txt, or a TSV with left, right, same.

``left`` is the reference side (an ID photo, or a whole scanned page on which the photo must be
found) and ``right`` the live capture.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    left: Path
    right: Path
    same: bool
    fold: int


def lfw_pairs(pairs_txt: Path, images: Path) -> list[Pair]:
    """LFW's View 2: a header "10 300", then per fold 300 same-person and 300 different pairs."""
    lines = pairs_txt.read_text(encoding="utf-8").split("\n")
    folds, per_fold = (int(v) for v in lines[0].split())

    def image(name: str, number: str) -> Path:
        return images / name / f"{name}_{int(number):04d}.jpg"

    pairs = []
    for index, line in enumerate(filter(None, (line.strip() for line in lines[1:]))):
        fields = line.split()
        fold = index // (2 * per_fold)
        if len(fields) == 3:
            pairs.append(Pair(image(fields[0], fields[1]), image(fields[0], fields[2]), True, fold))
        elif len(fields) == 4:
            pairs.append(Pair(image(fields[0], fields[1]), image(fields[2], fields[3]), False, fold))
        else:
            raise ValueError(f"{pairs_txt}: line {index + 2} is not a pair: {line!r}")
    if len(pairs) != folds * 2 * per_fold:
        raise ValueError(f"{pairs_txt}: expected {folds * 2 * per_fold} pairs, found {len(pairs)}")
    return pairs


LFW_FOLDS = 10


def fold_count(minimum: int) -> Callable[[str], int]:
    """An argparse type: how many of LFW's folds to use, ``minimum``-10. The 10-fold figures need
    two at least, since each fold's threshold is fitted on the others."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not minimum <= value <= LFW_FOLDS:
            why = " (each fold's threshold is fitted on the others)" if minimum > 1 else ""
            raise argparse.ArgumentTypeError(f"{minimum}-{LFW_FOLDS}, not {value}{why}")
        return value

    return parse


TRUE_WORDS = {"1", "true", "yes", "same"}
FALSE_WORDS = {"0", "false", "no", "different"}


def tsv_pairs(path: Path, root: Path, *, folds: int = 10) -> list[Pair]:
    """A TSV with the header ``left<TAB>right<TAB>same``; paths relative to ``root``.

    Folds are stratified and deterministic: the same-person pairs, in file order, are cut into
    ``folds`` runs of (nearly) equal length, and so are the different-person pairs, so every fold
    holds its share of each whatever order the file lists them in.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if reader.fieldnames is None or not {"left", "right", "same"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the header must be left<TAB>right<TAB>same")
        pairs = []
        for line, row in enumerate(reader, start=2):
            word = row["same"].strip().lower()
            if word not in TRUE_WORDS | FALSE_WORDS:
                raise ValueError(f"{path}:{line}: 'same' must be 1/0 or true/false, not {row['same']!r}")
            pairs.append(Pair(root / row["left"], root / row["right"], word in TRUE_WORDS, 0))
    return stratified(pairs, folds)


def stratified(pairs: list[Pair], folds: int) -> list[Pair]:
    """``pairs`` with folds reassigned: each class cut, in order, into ``folds`` equal runs."""
    counts = {True: sum(p.same for p in pairs), False: sum(not p.same for p in pairs)}
    seen = {True: 0, False: 0}
    dealt = []
    for p in pairs:
        dealt.append(Pair(p.left, p.right, p.same, seen[p.same] * folds // counts[p.same]))
        seen[p.same] += 1
    return dealt
