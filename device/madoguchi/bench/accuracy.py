"""`madoguchi bench accuracy`: the full on-device pipeline over a pair list, by the 10-fold protocol.

Each distinct image is described once (a card-scan left side once per pair, since every pair gets
its own simulated scan). A family's page whose photo is too small is scanned again at the
resolution the locator names, as the appliance does; a card whose photo the reference quality gate
finds under glare is laid again, as staff do when the appliance stops with "remove_glare". Where
no face is found the benchmark still scores the image, as the LFW reference figures do, from a box
at the image centre, and counts it in ``failed_to_detect``; the appliance itself would ask for a
rescan instead.

The fused engine (the default) is measured beside the engine without FaceRes, on the same faces in
the same run (``single``), and the LFW protocol's own way (``cross_fitted``): each fold's two
distances fused by a fusion fitted on the other folds' pairs only.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from madoguchi.bench.metrics import Figures, figures
from madoguchi.bench.pairs import Pair
from madoguchi.counter.sources.scanned import ScanConfig
from madoguchi.document.quality import assess
from madoguchi.engine import FaceEngine, models
from madoguchi.engine.detect import Detection
from madoguchi.engine.fusion import Description, Fusion, fit_fusion
from madoguchi.engine.types import Face, FaceBox
from madoguchi.errors import FaceError, PhotoTooSmall
from madoguchi.synthetic.families import Conditions

RESCAN_MAX_DPI: int = ScanConfig.model_fields["rescan_max_dpi"].default
"""The appliance's default: a page whose photo is too small is scanned again up to this."""
RELAYS = 2
"""How many times staff lay a card again when the quality gate sees glare on its photo, before
the benchmark scores the last scan (the appliance would go on asking; staff would read the chip)."""


@dataclass(frozen=True)
class Side:
    """One image to describe: a file, and for a simulated card scan the seed of its scan, the
    generator family (None: ``synthetic.scans``, the generator the pipeline was tuned with) and
    how many times staff lay a family's card again for glare."""

    path: Path
    scan_seed: int | None = None
    family: str | None = None
    relays: int = RELAYS


@dataclass(frozen=True)
class Described:
    side: Side
    descriptor: Description
    detected: bool
    located: bool
    ms: float
    quality_ok: bool = True
    conditions: Conditions | None = None
    single: Description | None = None
    """The same face described by the engine without FaceRes, when the fused engine is measured."""


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"cannot read image {path}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def centre_face(engine: FaceEngine, rgb: np.ndarray) -> Face:
    """The benchmark's fallback: the mesh run on a box at the image centre."""
    h, w = rgb.shape[:2]
    box = np.array([w * 0.25, h * 0.25, w * 0.75, h * 0.75], np.float32)
    eyes = np.array([[w * 0.4, h * 0.42], [w * 0.6, h * 0.42]], np.float32)
    keypoints = np.concatenate([eyes, np.tile([[w * 0.5, h * 0.55]], (4, 1))]).astype(np.float32)
    landmarks = engine.mesh.locate(rgb, Detection(box=box, keypoints=keypoints, score=0.0))
    return Face(box=FaceBox(*map(float, box), 0.0), points=landmarks.five, mesh=landmarks.points)


def nearest_centre(faces: list[Face], rgb: np.ndarray) -> Face:
    centre = np.array([rgb.shape[1] / 2, rgb.shape[0] / 2])
    return min(faces, key=lambda face: float(np.linalg.norm(np.array(face.box.center) - centre)))


def described_copy(engine: FaceEngine, rgb: np.ndarray, face: Face) -> Description:
    """``engine``'s description of the face, copied out of its scratch (which the caller wipes)."""
    description = engine.describe_face(rgb, face)
    return Description(*(array.copy() for array in description.arrays()))


def component_distances(a: Description, b: Description) -> tuple[float, float | None]:
    """The Euclidean distance of the first descriptors (dlib's, or a peer's own), and the cosine
    distance of FaceRes' when both descriptions hold one (else None)."""
    first = float(np.linalg.norm(a.dlib - b.dlib))
    if a.faceres is None or b.faceres is None:
        return first, None
    return first, 1.0 - float(a.faceres @ b.faceres)


def pair_distance(a: Description, b: Description, fusion: Fusion | None) -> float:
    """The distance the engine scores: fused when both descriptions hold FaceRes' descriptor."""
    first, faceres = component_distances(a, b)
    if faceres is None:
        return first
    if fusion is None:
        raise ValueError("descriptions with FaceRes need the fusion to be compared")
    return float(fusion.fuse(first, faceres))


class Describer:
    """Runs in each worker process: one engine, one image at a time. The fused engine's faces are
    also described by the engine without FaceRes (its own models, same face: no second detection)."""

    engine: FaceEngine | None = None
    single: FaceEngine | None = None

    @classmethod
    def start(cls, models: Path | None, faceres: bool = True) -> None:
        cv2.setNumThreads(1)
        cls.engine = FaceEngine.load(models, threads=1, faceres=faceres)
        cls.single = FaceEngine.load(models, threads=1, faceres=False) if faceres else None

    @classmethod
    def single_description(cls, rgb: np.ndarray, face: Face) -> Description | None:
        """The face as the engine without FaceRes describes it, when the fused engine is measured."""
        if cls.single is None:
            return None
        try:
            return described_copy(cls.single, rgb, face)
        finally:
            cls.single.scratch.wipe()

    @classmethod
    def describe(cls, side: Side) -> Described:
        engine = cls.engine
        assert engine is not None, "Describer.start() runs first in every worker"
        rgb = read_rgb(side.path)
        located, conditions = True, None
        if side.scan_seed is not None:
            rgb, located, conditions = _scanned_photo(engine, rgb, side.scan_seed, side.family, side.relays)
        started = time.perf_counter()
        faces = engine.find_faces(rgb)
        face = nearest_centre(faces, rgb) if faces else centre_face(engine, rgb)
        descriptor = described_copy(engine, rgb, face)
        ms = (time.perf_counter() - started) * 1000
        single = cls.single_description(rgb, face)
        # a scanned card photo is judged as a reference image, anything else as a camera frame
        quality = assess(rgb, face, side="reference" if side.scan_seed is not None else "live")
        engine.scratch.wipe()  # what the engine handed out for this image, as forget() does per visitor
        return Described(side, descriptor, bool(faces), located, ms, quality.ok, conditions, single)


def _scanned_photo(
    engine: FaceEngine, rgb: np.ndarray, seed: int, family: str | None, relays: int = RELAYS
) -> tuple[np.ndarray, bool, Conditions | None]:
    """Print and scan the reference side onto a card page, then find the photo on the page.

    A family's card whose photo the quality gate finds under glare is laid again, as staff do
    when the appliance shows "remove_glare", at most ``relays`` times; the last scan is scored.
    """
    laid = 0
    photo, located, conditions = _located_photo(engine, rgb, seed, family, laid)
    while family is not None and located and laid < relays and _glare_on(engine, photo):
        laid += 1
        photo, located, conditions = _located_photo(engine, rgb, seed, family, laid)
    return photo, located, conditions


def _glare_on(engine: FaceEngine, photo: np.ndarray) -> bool:
    """Whether the appliance's reference quality gate would ask staff to remove glare."""
    faces = engine.find_faces(photo)
    return (
        bool(faces) and "remove_glare" in assess(photo, nearest_centre(faces, photo), side="reference").advice
    )


def _located_photo(
    engine: FaceEngine, rgb: np.ndarray, seed: int, family: str | None, laid: int
) -> tuple[np.ndarray, bool, Conditions | None]:
    """One lie of the card on the glass: scanned, rescanned if the photo is too small, located."""
    from madoguchi.document.locate import locate_photo
    from madoguchi.synthetic.families import family_scan
    from madoguchi.synthetic.scans import scan_pair_left

    if family is None:
        page, dpi, conditions = scan_pair_left(rgb, seed), 300, None
    else:
        page, conditions = family_scan(rgb, family, seed, laid=laid)
        dpi = conditions.dpi
    try:
        return locate_photo(page, engine, dpi=dpi).image, True, conditions
    except PhotoTooSmall as small:
        rescan_dpi = small.rescan_dpi(dpi, RESCAN_MAX_DPI)
        if family is None or rescan_dpi is None:
            return page, False, conditions
        # as the appliance does (reference.ScannedPhoto): the same card, scanned again
        page, conditions = family_scan(rgb, family, seed, rescan_dpi=rescan_dpi, laid=laid)
    except FaceError:
        return page, False, conditions
    try:
        return locate_photo(page, engine, dpi=conditions.dpi).image, True, conditions
    except FaceError:
        return page, False, conditions


def sides_of(
    pairs: list[Pair], *, card_scan: bool, families: tuple[str, ...] = (), relays: int = RELAYS
) -> tuple[list[Side], list[tuple[Side, Side]]]:
    """Distinct images to describe, and each pair as two of them. With ``families``, pair i's card
    is made by generator family ``families[i % len(families)]`` and laid again up to ``relays``
    times for glare."""
    sides: dict[Side, None] = {}
    pair_sides = []
    for index, pair in enumerate(pairs):
        family = families[index % len(families)] if card_scan and families else None
        left = Side(pair.left, scan_seed=index if card_scan else None, family=family, relays=relays)
        right = Side(pair.right)
        sides.setdefault(left)
        sides.setdefault(right)
        pair_sides.append((left, right))
    return list(sides), pair_sides


def describe_all(
    sides: list[Side],
    *,
    worker: type,
    start_args: tuple,
    jobs: int,
    progress: bool = False,
    chunksize: int = 16,
) -> Iterator[Described]:
    """``worker.describe`` over every side, in ``jobs`` processes each set up by ``worker.start``.

    ``progress`` shows images done of all, rate and time left on stderr (tqdm, of the bench extra);
    ``chunksize`` items go to a process at a time (1 for items that each take seconds).
    """
    from tqdm import tqdm

    bar = tqdm(total=len(sides), unit="img", file=sys.stderr, disable=not progress, desc=worker.__name__)
    with bar:
        if jobs <= 1:
            worker.start(*start_args)
            for described in map(worker.describe, sides):
                bar.update()
                yield described
            return
        with ProcessPoolExecutor(jobs, initializer=worker.start, initargs=start_args) as pool:
            for described in pool.map(worker.describe, sides, chunksize=chunksize):
                bar.update()
                yield described


@dataclass(frozen=True)
class AccuracyRun:
    figures: Figures
    distances: np.ndarray
    same: np.ndarray
    failed_to_detect: int
    failed_to_locate: int
    median_ms: float
    gated: Figures | None
    """The figures on the pairs whose two images both pass the quality gate."""
    found: Figures | None
    """The figures on the pairs whose reference photo was found on its page (ISO/IEC 19795-1 leaves
    a failure to acquire out of the comparison rates); None when no page was scanned."""
    conditions: list[Conditions | None]
    """What each pair's reference scan was made with (None: not a family scan)."""
    located: list[bool]
    """Whether each pair's reference photo was found on its page (True when not scanned)."""
    single: Figures | None = None
    """The engine without FaceRes (dlib's descriptor alone, three views) on the same pairs."""
    cross_fitted: Figures | None = None
    """The fused engine with each fold's distances fused by a fusion fitted on the other folds only
    (plain photos only: no fusion is ever fitted on card scans)."""


def cross_fitted_distances(
    dlib: np.ndarray, faceres: np.ndarray, same: np.ndarray, folds: np.ndarray
) -> np.ndarray:
    """Each fold's fused distances, by a fusion fitted (as ``bench fusion`` fits it) on the pairs
    of the other folds: the LFW protocol learns nothing on the fold it tests."""
    fused = np.empty(len(dlib))
    for fold in np.unique(folds):
        test = folds == fold
        fusion = fit_fusion(dlib[~test], faceres[~test], same[~test], fitted_on="the other folds")
        fused[test] = fusion.fuse(dlib[test], faceres[test])
    return fused


def evaluate(
    pairs: list[Pair],
    described: Iterable[Described],
    pair_sides: list[tuple[Side, Side]],
    fusion: Fusion | None = None,
) -> AccuracyRun:
    by_side = {d.side: d for d in described}
    same = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    descriptions = [(by_side[a].descriptor, by_side[b].descriptor) for a, b in pair_sides]
    distances = np.array([pair_distance(a, b, fusion) for a, b in descriptions])
    components = np.array([component_distances(a, b) for a, b in descriptions], dtype=np.float64)
    cross_fitted = single = None
    # Cross-fitting learns the fusion on the pairs measured: on plain LFW only (the LFW protocol),
    # never on card scans, whose families are measured held out.
    scanned = any(a.scan_seed is not None for a, _ in pair_sides)
    trainable = all(same[folds != f].any() and not same[folds != f].all() for f in np.unique(folds))
    if not scanned and not np.isnan(components).any() and len(np.unique(folds)) > 1 and trainable:
        fused = cross_fitted_distances(components[:, 0], components[:, 1], same, folds)
        cross_fitted = figures(fused, same, folds)
    alone = [(by_side[a].single, by_side[b].single) for a, b in pair_sides]
    if all(a is not None and b is not None for a, b in alone):
        single = figures(np.array([pair_distance(a, b, None) for a, b in alone]), same, folds)  # type: ignore[arg-type]
    passed = np.array([by_side[a].quality_ok and by_side[b].quality_ok for a, b in pair_sides])
    found = np.array([by_side[a].located for a, _ in pair_sides])
    return AccuracyRun(
        figures=figures(distances, same, folds),
        gated=figures(distances[passed], same[passed], folds[passed]) if passed.any() else None,
        found=figures(distances[found], same[found], folds[found]) if scanned and found.any() else None,
        distances=distances,
        same=same,
        failed_to_detect=sum(not d.detected for d in by_side.values()),
        failed_to_locate=sum(not d.located for d in by_side.values()),
        median_ms=float(np.median([d.ms for d in by_side.values()])),
        conditions=[by_side[a].conditions for a, _ in pair_sides],
        located=[by_side[a].located for a, _ in pair_sides],
        single=single,
        cross_fitted=cross_fitted,
    )


def engine_fusion(models_folder: Path | None, faceres: bool) -> Fusion | None:
    """The fusion the engine loads (None for the engine without FaceRes), to compare descriptions."""
    if not faceres:
        return None
    return Fusion.load(models.verified(models.models_dir(models_folder), models.FUSION))


def run(
    pairs: list[Pair],
    *,
    models: Path | None = None,
    card_scan: bool = False,
    families: tuple[str, ...] = (),
    relays: int = RELAYS,
    jobs: int | None = None,
    worker: type = Describer,
    progress: bool = False,
    faceres: bool = True,
) -> AccuracyRun:
    """``faceres`` False measures the engine without FaceRes alone (``[models] faceres = false``)."""
    sides, pair_sides = sides_of(pairs, card_scan=card_scan, families=families, relays=relays)
    jobs = jobs or min(4, os.cpu_count() or 1)
    ours = worker is Describer
    start_args = (models, faceres) if ours else ()
    described = describe_all(sides, worker=worker, start_args=start_args, jobs=jobs, progress=progress)
    return evaluate(pairs, described, pair_sides, engine_fusion(models, faceres) if ours else None)
