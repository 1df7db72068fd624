"""`madoguchi bench ocr`: 照合番号B read from synthetic My Number card fronts, figures printed.

Each card is drawn by a print family of :mod:`madoguchi.synthetic.card_faces` (fonts, text sizes,
misregistration) and scanned as the face benchmark's my-number family is (dpi 200-600, blur,
JPEG, scratches, the lamp's glare on the laminate); the reader sees only the page and its dpi.
Per family (the held-out one apart): how often the code came out sure (staff then only confirm
it), how often a sure code was wrong (a wrong code costs the citizen one of the card's tries: it
must be ~0; with none seen in n cards, 3/n bounds it at 95 %), the share of the 14 digits given
and how many of those were right, the reasons fields were refused, and the time per card. Then
the refusals by scan resolution and glare. Pages are a pure function of family, seed and day, so
runs repeat exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date

from madoguchi.document.card_code import KEY_B_GROUPS, CardCodeReader
from madoguchi.document.ocr import OcrUnavailable
from madoguchi.errors import ExitCode
from madoguchi.synthetic.card_faces import FONTS, HELD_OUT_PRINT, PRINT_FAMILIES, card_scan

DAY = date(2026, 6, 1)
"""The day the cards are issued up to and read on (a fixed day: the same pages every run)."""


@dataclass(frozen=True)
class CardResult:
    """One card: how it was made and read. Only comparisons with the truth, never its digits."""

    family: str
    seed: int
    font: str
    dpi: int
    glare: bool
    national: bool
    sure: bool
    wrong: bool
    """A sure code that is not the card's: it would have been sent."""
    digits_given: int
    digits_right: int
    problems: tuple[str, ...]
    """``field:problem`` for each field refused."""
    seconds: float


_reader: CardCodeReader | None = None


def _start(day: date) -> None:
    global _reader
    _reader = CardCodeReader(today=lambda: day)


def _read(job: tuple[str, int, date]) -> CardResult:
    family, seed, day = job
    assert _reader is not None
    page, card = card_scan(family, seed, today=day)
    started = time.perf_counter()
    with _reader.read(page, dpi=card.conditions.dpi) as read:
        seconds = time.perf_counter() - started
        truth = card.holder.key_b.encode()
        given = [i for i, digit in enumerate(read.digits) if digit != ord("_")]
        right = sum(read.digits[i] == truth[i] for i in given)
        wrong = read.sure and bytes(read.digits) != truth
        problems = tuple(f"{f.name}:{f.problem}" for f in read.fields if not f.passed)
        sure = read.sure
    page[:] = 0
    return CardResult(
        family,
        seed,
        card.font,
        card.conditions.dpi,
        card.conditions.glare > 0,
        card.holder.national,
        sure,
        wrong,
        len(given),
        right,
        problems,
        seconds,
    )


def run(families: list[str], cards: int, *, day: date = DAY, jobs: int = 1, first_seed: int = 0):
    """Every family's ``cards`` cards (seeds from ``first_seed``), read in ``jobs`` processes."""
    work = [(family, seed, day) for family in families for seed in range(first_seed, first_seed + cards)]
    if jobs <= 1:
        _start(day)
        return [_read(job) for job in work]
    with ProcessPoolExecutor(jobs, initializer=_start, initargs=(day,)) as pool:
        return list(pool.map(_read, work, chunksize=4))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(results: list[CardResult]) -> dict:
    """The figures over ``results``."""
    n = len(results)
    sure = sum(r.sure for r in results)
    wrong = sum(r.wrong for r in results)
    given = sum(r.digits_given for r in results)
    digits = n * sum(length for _, length in KEY_B_GROUPS)
    seconds = sorted(r.seconds for r in results)
    return {
        "cards": n,
        "sure": sure,
        "sure_share": _share(sure, n),
        "refused_share": _share(n - sure, n),
        "sure_correct_share": _share(sure - wrong, sure),
        "wrong_sent": wrong,
        "wrong_sent_upper_95": (min(1.0, 3 / n) if wrong == 0 else None) if n else None,
        "digits_given_share": _share(given, digits),
        "digit_accuracy_given": _share(sum(r.digits_right for r in results), given),
        "code_accuracy_all": _share(sure - wrong, n),
        "refusals": dict(Counter(p for r in results for p in r.problems).most_common()),
        "median_s": seconds[n // 2] if n else None,
    }


def report(results: list[CardResult]) -> dict:
    families = sorted({r.family for r in results}, key=list(PRINT_FAMILIES).index)
    tuning = [r for r in results if r.family != HELD_OUT_PRINT]
    return {
        "day": DAY.isoformat(),
        "held_out": HELD_OUT_PRINT,
        "families": {family: summary([r for r in results if r.family == family]) for family in families},
        "tuning": summary(tuning),
        "held_out_figures": summary([r for r in results if r.family == HELD_OUT_PRINT]),
        "by_dpi": {
            dpi: summary([r for r in results if r.dpi == dpi]) for dpi in sorted({r.dpi for r in results})
        },
        "by_glare": {
            "glare" if glare else "no glare": summary([r for r in results if r.glare == glare])
            for glare in (False, True)
        },
        "by_font": {
            font: summary([r for r in results if r.font == font])
            for font in sorted({r.font for r in results})
        },
        "cards": [asdict(r) for r in results],
    }


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def text(result: dict) -> str:
    header = (
        f"{'':<22}{'cards':>6}{'sure':>8}{'sure ok':>9}{'wrong sent':>12}{'digits given':>14}"
        f"{'digit acc':>11}{'code acc':>10}{'s/card':>8}"
    )
    rows = []

    def row(name: str, s: dict) -> None:
        wrong = f"{s['wrong_sent']}" + (
            f" (<{100 * s['wrong_sent_upper_95']:.1f}%)" if s["wrong_sent_upper_95"] is not None else ""
        )
        rows.append(
            f"{name:<22}{s['cards']:>6}{_percent(s['sure_share']):>8}{_percent(s['sure_correct_share']):>9}"
            f"{wrong:>12}{_percent(s['digits_given_share']):>14}{_percent(s['digit_accuracy_given']):>11}"
            f"{_percent(s['code_accuracy_all']):>10}{s['median_s'] or 0:>8.2f}"
        )

    for family, s in result["families"].items():
        row(family + (" (held out)" if family == result["held_out"] else ""), s)
    row("tuning families", result["tuning"])
    for dpi, s in result["by_dpi"].items():
        row(f"  {dpi} dpi", s)
    for glare, s in result["by_glare"].items():
        row(f"  {glare}", s)
    for font, s in result["by_font"].items():
        row(f"  {font}", s)
    lines = [header, *rows]
    lines.append(
        "sure: every field passed, the code is shown to staff to confirm; refused otherwise (keypad). "
        "sure ok: of the sure codes, the share right. wrong sent: sure but wrong (95% upper bound when 0). "
        "digits given: of all 14-digit codes, digits filled in (fields that passed); "
        "digit acc: of those, right."
    )
    for family, s in result["families"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in s["refusals"].items()) or "none"
        lines.append(f"{family}: fields refused: {reasons}")
    return "\n".join(lines)


def add_parser(kinds: argparse._SubParsersAction) -> None:
    command = kinds.add_parser(
        "ocr", help="照合番号B read from synthetic My Number card fronts: sure, wrong, refused, per digit"
    )
    command.add_argument("--cards", type=int, default=100, help="cards per family (default 100)")
    command.add_argument(
        "--family",
        action="append",
        choices=list(PRINT_FAMILIES),
        help=f"print families to draw (repeatable; default all; {HELD_OUT_PRINT} is kept out of all tuning)",
    )
    command.add_argument("--first-seed", type=int, default=0, help="the first card's seed (default 0)")
    command.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores, max 4)")
    command.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    command.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> ExitCode:
    missing = [str(path) for path, _ in FONTS.values() if not path.is_file()]
    if missing:
        print(
            f"fonts missing: {', '.join(missing)}: apt install fonts-ipaexfont fonts-noto-cjk fonts-vlgothic",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    try:
        CardCodeReader().close()
    except OcrUnavailable as error:
        print(f"no OCR: {error}", file=sys.stderr)
        return ExitCode.USAGE
    jobs = args.jobs or min(4, os.cpu_count() or 1)
    results = run(args.family or list(PRINT_FAMILIES), args.cards, jobs=jobs, first_seed=args.first_seed)
    result = report(results)
    if args.json:
        print(json.dumps(result))
    else:
        print(text(result))
    return ExitCode.OK
