"""`madoguchi bench thresholds`: what each score threshold means, measured, in ISO/IEC 19795-1 terms.

For every threshold the table gives the false-match rate (FMR: the share of different-person
comparisons scoring at or above it, written "1 in N") and the false-non-match rate (FNMR: the share
of same-person comparisons scoring below it), each with a 95 % Wilson interval, or the rule of
three (upper bound 3/n) where no error was seen. They are comparison-level rates: a failure to find
the face is counted by `bench accuracy`, not here.

The comparisons are every pair of described images, not only the pairs of a pair list: on plain
photos each image with every other, on card scans each scanned reference with every plain image
but its own source, so LFW's 7,701 images give millions of different-person comparisons and the
rate near 1 in 10,000 is measured, not extrapolated. Same person means the same LFW folder.

The fused engine's table comes with the false-non-match rate at FMR 1 in 1,000 and 1 in 10,000,
each threshold read off that set's own different-person comparisons, for the fused engine and for
the engine without FaceRes on the same faces in the same run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi.bench import accuracy
from madoguchi.bench.accuracy import Described
from madoguchi.bench.pairs import Pair
from madoguchi.engine.fusion import Description, Fusion, dlib_distances, faceres_distances
from madoguchi.engine.score import Calibration

Z95 = 1.959964
BLOCK = 1024
# The logistic score shipped before the FMR scale, for the before/after histograms only.
LOGISTIC_MIDPOINT, LOGISTIC_SPREAD = 0.4233994166611915, 0.013187453488559235
# The false-match rates at which FNMR is read off each set's own comparisons, both engines.
FNMR_AT = (1e-3, 1e-4)


@dataclass(frozen=True)
class Comparisons:
    """Distances of same-person (genuine) and different-person (impostor) comparisons of one set."""

    name: str
    genuine: np.ndarray
    impostor: np.ndarray
    not_acquired: tuple[int, int] = (0, 0)
    """Scanned pages on which the photo was not found, of all pages (ISO/IEC 19795-1's failure to
    acquire): left out of the comparisons, so FMR and FNMR are comparison-level rates."""


def _blocks(rows: int) -> Iterator[slice]:
    for start in range(0, rows, BLOCK):
        yield slice(start, min(start + BLOCK, rows))


@dataclass(frozen=True)
class Gallery:
    """Descriptions as unit rows (dlib's; FaceRes' or None), with integer person and image ids."""

    dlib: np.ndarray
    faceres: np.ndarray | None
    people: np.ndarray
    images: np.ndarray

    def __len__(self) -> int:
        return len(self.dlib)

    def distances(self, rows: slice, gallery: Gallery, fusion: Fusion | None) -> np.ndarray:
        """The engine's distances of probes ``rows`` against every gallery row: fused with
        ``fusion``, else dlib's."""
        gap = dlib_distances(self.dlib[rows], gallery.dlib)
        if fusion is None:
            return gap
        if self.faceres is None or gallery.faceres is None:
            raise ValueError("the fused distance needs FaceRes' descriptors on both sides")
        return fusion.fuse(gap, faceres_distances(self.faceres[rows], gallery.faceres))


def comparisons(name: str, probes: Gallery, gallery: Gallery, fusion: Fusion | None = None) -> Comparisons:
    """Every probe against every gallery image that is not the same image file.

    When probes and gallery are the same set, pass the same object: each unordered pair is then
    counted once.
    """
    same_set = probes is gallery
    genuine, impostor = [], []
    for rows in _blocks(len(probes)):
        gap = probes.distances(rows, gallery, fusion).astype(np.float32)
        keep = probes.images[rows, None] != gallery.images[None, :]
        if same_set:
            keep &= np.arange(rows.start, rows.stop)[:, None] < np.arange(len(gallery))[None, :]
        same = probes.people[rows, None] == gallery.people[None, :]
        genuine.append(gap[keep & same])
        impostor.append(gap[keep & ~same])
    return Comparisons(name, np.concatenate(genuine), np.concatenate(impostor))


def wilson(errors: int, n: int) -> tuple[float, float]:
    """95 % Wilson score interval of a rate; (0, 3/n) by the rule of three when nothing was seen."""
    if n == 0:
        return 0.0, 1.0
    if errors == 0:
        return 0.0, min(1.0, 3.0 / n)
    p = errors / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    errors: int
    n: int

    @property
    def rate(self) -> float:
        return self.errors / self.n if self.n else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.errors, self.n)


@dataclass(frozen=True)
class Row:
    threshold: float
    fmr: Rate
    fnmr: Rate


def logistic_scores(distances: np.ndarray) -> np.ndarray:
    z = np.clip((distances - LOGISTIC_MIDPOINT) / LOGISTIC_SPREAD, -50, 50)
    return np.round(100.0 / (1.0 + np.exp(z)), 1)


def table(calibration: Calibration, data: Comparisons, thresholds: np.ndarray) -> list[Row]:
    """FMR and FNMR at each threshold (accept when the score is at or above it)."""
    genuine = np.sort(calibration.scores(data.genuine))
    impostor = np.sort(calibration.scores(data.impostor))
    rows = []
    for t in thresholds:
        false_matches = len(impostor) - int(np.searchsorted(impostor, t, side="left"))
        false_non_matches = int(np.searchsorted(genuine, t, side="left"))
        rows.append(Row(float(t), Rate(false_matches, len(impostor)), Rate(false_non_matches, len(genuine))))
    return rows


def one_in(rate: float) -> str:
    return "never" if rate <= 0 else f"1 in {1 / rate:,.0f}"


def fmr_text(r: Rate) -> str:
    low, high = r.interval
    if r.errors == 0:
        return f"0 of {r.n:,}: rarer than {one_in(high)}"
    return f"{one_in(r.rate)} ({one_in(high)}–{one_in(low)})"


def fnmr_text(r: Rate) -> str:
    low, high = r.interval
    return f"{100 * r.rate:.2f} % ({100 * low:.2f}–{100 * high:.2f})"


def histogram(values: np.ndarray, bins: int = 10) -> list[int]:
    """Counts per 100/bins points of score; 100 falls in the last bin."""
    edges = np.linspace(0, 100, bins + 1)
    edges[-1] = 100.0 + 1e-9
    return np.histogram(values, bins=edges)[0].tolist()


def sets_from(
    described: list[Described], fusion: Fusion | None, *, single: bool = False
) -> list[Comparisons]:
    """The plain-photo set, then one card-scan set per generator (the tuning simulator, families).

    The engine's descriptions, compared by ``fusion`` (None: dlib's distance); with ``single``, the
    same faces as the engine without FaceRes described them (``Described.single``)."""
    files = {path: i for i, path in enumerate(dict.fromkeys(d.side.path for d in described))}
    people = {name: i for i, name in enumerate(dict.fromkeys(d.side.path.parent.name for d in described))}

    def description(d: Described) -> Description:
        chosen = d.single if single else d.descriptor
        if chosen is None:
            raise ValueError("no description by the engine without FaceRes")
        return chosen

    def arrays(chosen: list[Described]) -> Gallery:
        faceres = [description(d).faceres for d in chosen]
        return Gallery(
            np.stack([description(d).dlib for d in chosen]).astype(np.float32),
            None if fusion is None else np.stack(faceres).astype(np.float32),  # type: ignore[arg-type]
            np.array([people[d.side.path.parent.name] for d in chosen]),
            np.array([files[d.side.path] for d in chosen]),
        )

    plain = arrays([d for d in described if d.side.scan_seed is None])
    sets = [comparisons("LFW", plain, plain, fusion)]
    generators = dict.fromkeys(d.side.family for d in described if d.side.scan_seed is not None)
    for family in generators:
        scanned = [d for d in described if d.side.scan_seed is not None and d.side.family == family]
        located = [d for d in scanned if d.located]
        name = "card scans" if family is None else f"{family} scans"
        found = comparisons(name, arrays(located), plain, fusion)
        sets.append(
            Comparisons(name, found.genuine, found.impostor, (len(scanned) - len(located), len(scanned)))
        )
    return sets


def describe_lfw(
    pairs: list[Pair],
    *,
    generators: list[str | None],
    models: Path | None,
    jobs: int,
    progress: bool,
    faceres: bool = True,
) -> list[Described]:
    """Every image of ``pairs`` described once, and every left side scanned by each generator too
    (None: the tuning simulator ``synthetic.scans``, else a family of ``synthetic.families``); by the
    fused engine and the engine without FaceRes, or with ``faceres`` False by the latter alone."""
    sides = dict.fromkeys(accuracy.sides_of(pairs, card_scan=False)[0])
    for family in generators:
        families = () if family is None else (family,)
        sides.update(dict.fromkeys(accuracy.sides_of(pairs, card_scan=True, families=families)[0]))
    return list(
        accuracy.describe_all(
            list(sides), worker=accuracy.Describer, start_args=(models, faceres), jobs=jobs, progress=progress
        )
    )


def _rate(r: Rate) -> dict:
    low, high = r.interval
    return {"errors": r.errors, "n": r.n, "rate": r.rate, "low": low, "high": high}


def fnmr_at_fmr(data: Comparisons, fmr: float) -> Rate:
    """Same-person comparisons at or beyond the distance where ``fmr`` of the set's different-person
    comparisons are closer (the set's own threshold, not the calibrated score's)."""
    impostor = np.sort(data.impostor)
    threshold = impostor[min(len(impostor) - 1, int(np.floor(fmr * len(impostor))))]
    return Rate(int(np.sum(data.genuine >= threshold)), len(data.genuine))


def engines_at_fmr(engines: dict[str, list[Comparisons]]) -> dict:
    """FNMR at each of :data:`FNMR_AT` on each set, for each engine (name: its sets)."""
    return {
        engine: {s.name: {f"{fmr:g}": _rate(fnmr_at_fmr(s, fmr)) for fmr in FNMR_AT} for s in sets}
        for engine, sets in engines.items()
    }


@dataclass(frozen=True)
class Before:
    """What the histograms put beside the table's scores: the engine without FaceRes on its own
    scale (the fused engine's runs), else the logistic score shipped before the FMR scale."""

    name: str
    sets: list[Comparisons]
    scores: Callable[[np.ndarray], np.ndarray]


def logistic_before(sets: list[Comparisons]) -> Before:
    return Before("logistic (before)", sets, logistic_scores)


def histogram_scales(calibration: Calibration, sets: list[Comparisons], before: Before) -> list[tuple]:
    """Per scale (before, after): its name and, per set, the scores of its genuine and impostor
    comparisons."""
    after = "FMR (after)" if before.name == "logistic (before)" else "fused (after)"
    return [
        (before.name, [(b, before.scores) for b in before.sets]),
        (after, [(s, calibration.scores) for s in sets]),
    ]


def report(
    calibration: Calibration,
    sets: list[Comparisons],
    thresholds: np.ndarray,
    engines: dict[str, list[Comparisons]] | None = None,
    before: Before | None = None,
) -> dict:
    """The table for each set, score histograms before (``before``, default the logistic score)
    and after (the table's scale), and FNMR at fixed FMRs for each of ``engines`` (default: the
    table's sets alone)."""
    tables = {s.name: table(calibration, s, thresholds) for s in sets}
    scales = histogram_scales(calibration, sets, before or logistic_before(sets))
    return {
        "fnmr_at_fmr": engines_at_fmr(engines or {"engine": sets}),
        "scale": "score = -20 log10(FMR): 60 = 1 in 1,000, 80 = 1 in 10,000",
        "sets": {
            s.name: {"genuine": len(s.genuine), "impostor": len(s.impostor)}
            | (
                {"pages_not_located": s.not_acquired[0], "pages": s.not_acquired[1]}
                if s.not_acquired[1]
                else {}
            )
            for s in sets
        },
        "rows": [
            {
                "threshold": float(t),
                **{
                    name: {"fmr": _rate(rows[i].fmr), "fnmr": _rate(rows[i].fnmr)}
                    for name, rows in tables.items()
                },
            }
            for i, t in enumerate(thresholds)
        ],
        "histograms": {
            s.name: {"bins": "10 points each, 0-10 ... 90-100"}
            | {
                name: {"genuine": histogram(score(data.genuine)), "impostor": histogram(score(data.impostor))}
                for name, per_set in scales
                for data, score in [per_set[column]]
            }
            for column, s in enumerate(sets)
        },
    }


def text(result: dict) -> str:
    names = list(result["sets"])
    lines = [
        f"{result['scale']}; accept when score >= threshold; 95 % Wilson intervals (rule of three at 0)",
        *(
            f"{n}: {c['genuine']:,} same-person (genuine) and {c['impostor']:,} different-person "
            "(impostor) comparisons"
            + (
                f"; photo not found on {c['pages_not_located']} of {c['pages']} pages (failure to "
                "acquire, left out)"
                if c.get("pages")
                else ""
            )
            for n, c in result["sets"].items()
        ),
        f"{'threshold':>9}" + "".join(f"  {'FMR ' + n:<40}{'FNMR ' + n:<26}" for n in names),
    ]
    for row in result["rows"]:
        cells = []
        for n in names:
            fmr, fnmr = (Rate(row[n][k]["errors"], row[n][k]["n"]) for k in ("fmr", "fnmr"))
            cells.append(f"  {fmr_text(fmr):<40}{fnmr_text(fnmr):<26}")
        lines.append(f"{row['threshold']:>9g}" + "".join(cells))
    lines.append("FNMR at a fixed FMR, the threshold read off each set's own different-person comparisons:")
    for engine, by_set in result["fnmr_at_fmr"].items():
        for name, at in by_set.items():
            cells = (f"at {fmr}: {fnmr_text(Rate(r['errors'], r['n']))}" for fmr, r in at.items())
            lines.append(f"  {engine:<22} {name:<17} " + "; ".join(cells))
    lines.append("score histograms (counts per 10 points, 0-10 first):")
    for n, scales in result["histograms"].items():
        for scale in (key for key in scales if key != "bins"):
            for kind in ("genuine", "impostor"):
                lines.append(
                    f"  {n:<17} {scale:<18}{kind:<9}" + " ".join(f"{c:>8}" for c in scales[scale][kind])
                )
    return "\n".join(lines)


def plot(path: Path, calibration: Calibration, sets: list[Comparisons], before: Before | None = None) -> None:
    """Genuine and impostor score histograms per set, before (``before``, default the logistic
    score) and after (the table's scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(sets), figsize=(5 * len(sets), 6.5), dpi=110, squeeze=False)
    bins = np.linspace(0, 100, 51)
    for row, (scale, per_set) in enumerate(
        histogram_scales(calibration, sets, before or logistic_before(sets))
    ):
        for column, (s, score) in enumerate(per_set):
            ax = axes[row, column]
            for kind, distances, colour in (
                ("same person", s.genuine, "tab:green"),
                ("different", s.impostor, "tab:red"),
            ):
                ax.hist(
                    score(distances),
                    bins=bins,
                    weights=np.full(len(distances), 1 / len(distances)),
                    color=colour,
                    alpha=0.6,
                    label=f"{kind} ({len(distances):,})",
                )
            ax.set_yscale("log")
            ax.set_xlabel(scale)
            ax.set_ylabel("share of comparisons")
            ax.set_title(s.name)
            ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
