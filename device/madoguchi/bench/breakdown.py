"""Where the errors of a card-scan run come from: per family and per condition of the scans.

Errors are counted at one operating point, the distance threshold at which the run's false-match
rate is at most 1e-3 (the threshold behind TAR at FAR 1e-3): a same-person pair above it is a false
non-match, a different-person pair at or below it a false match, a page whose photo was not found
is counted apart.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from madoguchi.bench.metrics import threshold_at_far
from madoguchi.synthetic.families import Conditions

FAR = 1e-3

# Each condition, and how a scan's value is put into a bucket.
BUCKETS: dict[str, Callable[[Conditions], str]] = {
    "family": lambda c: c.family,
    "layout": lambda c: c.layout,
    "print": lambda c: c.print_type,
    "dpi": lambda c: str(c.dpi) if c.rescanned_from is None else f"{c.rescanned_from}>{c.dpi}",
    "framing": lambda c: (
        "loose <0.6" if c.framing < 0.6 else "medium" if c.framing < 0.72 else "tight >=0.72"
    ),
    "glare": lambda c: "none" if c.glare == 0 else "faint <0.5" if c.glare < 0.5 else "strong >=0.5",
    "laid": lambda c: "first scan" if c.laid == 0 else f"again {c.laid}x",
    "scratches": lambda c: "none" if c.scratches == 0 else "1-3" if c.scratches <= 3 else "4+",
    "jpeg": lambda c: "q<60" if c.jpeg_quality < 60 else "q>=60",
}


def breakdown(
    distances: np.ndarray, same: np.ndarray, located: np.ndarray, conditions: list[Conditions]
) -> dict[str, dict[str, dict[str, int]]]:
    """Per condition and bucket: same/different pairs, false non-/matches, pages not located."""
    threshold = threshold_at_far(distances, distances[~same], FAR)
    table: dict[str, dict[str, dict[str, int]]] = {}
    for name, bucket in BUCKETS.items():
        rows: dict[str, dict[str, int]] = {}
        for d, s, found, c in zip(distances, same, located, conditions, strict=True):
            row = rows.setdefault(
                bucket(c), dict.fromkeys(("same", "fnm", "different", "fm", "not_located"), 0)
            )
            row["same" if s else "different"] += 1
            row["fnm" if s else "fm"] += int((d > threshold) if s else (d <= threshold))
            row["not_located"] += int(not found)
        table[name] = dict(sorted(rows.items()))
    return table


def text(table: dict[str, dict[str, dict[str, int]]]) -> str:
    lines = [f"errors at FAR {FAR:g} by condition of the reference scan:"]
    lines.append(f"  {'condition':<26}{'FNMR':>18}{'FMR':>16}{'not located':>13}")
    for name, rows in table.items():
        for bucket, r in rows.items():
            fnmr = f"{r['fnm']}/{r['same']} ({100 * r['fnm'] / max(1, r['same']):.1f}%)"
            lines.append(
                f"  {name + ' ' + bucket:<26}{fnmr:>18}{r['fm']:>8}/{r['different']:<7}{r['not_located']:>13}"
            )
    return "\n".join(lines)
