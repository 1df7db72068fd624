"""`madoguchi bench soak`: a long day at the counter, to see memory and time per transaction.

The simulator's scripted visitors (genuine, impostor, form, blank page, no one at the camera, two
faces, devices unplugged, paper out, cancel, double press) run in turn through the real
:class:`~madoguchi.counter.Counter` and face engine on simulated devices. Printed, not asserted:
transactions, crashes (an ``internal_error`` outcome, a report that never came, the counter's
thread gone), resident memory at the start, after 1,000 and at the end, and time per transaction.
The harness's recordings of LCD frames and slip images are emptied after each transaction: the
figures are the daemon's own. (The growth the soak found first, ~44 KiB a transaction, was escpos's
``Dummy`` keeping every byte sent to the simulated printer; the virtual printer now keeps the last
few jobs.)
``--trace`` also diffs two tracemalloc snapshots (after the first round and at the end) and prints
the Python lines whose memory grew most.
"""

from __future__ import annotations

import gc
import logging
import queue
import statistics
import tempfile
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

from madoguchi.privacy import disable_core_dumps
from madoguchi.simulate import open_desk, rss_mib, run_scenario
from madoguchi.simulate.scenarios import Sight, scenarios
from madoguchi.synthetic.people import another_day, package_people

CHECKPOINT = 1000
TRACE_LINES = 15


@dataclass
class SoakRun:
    transactions: int
    crashes: int
    outcomes: dict[str, int]
    rss_mib: dict[int, float]
    per_transaction_s: float
    median_s: float
    growth_kib_per_transaction: float
    traced_growth: list[str] = field(default_factory=list)


def soak(transactions: int, *, capture_seconds: float = 0.2, trace: bool = False) -> SoakRun:
    """Run ``transactions`` scripted visitors in turn; resident memory at 0, 1,000 and the end."""
    disable_core_dumps()
    genuine, impostor = package_people()
    with tempfile.TemporaryDirectory(prefix="madoguchi-soak-") as out:
        desk, _ = open_desk(Path(out), capture_seconds=capture_seconds)
        scripted = scenarios(Sight(desk.appliance.engine), genuine, another_day(genuine), impostor)
        outcomes: dict[str, int] = {}
        seconds: list[float] = []
        crashes = 0
        rss = {0: rss_mib()}
        baseline = None
        try:
            for index in range(1, transactions + 1):
                scenario = scripted[(index - 1) % len(scripted)]
                try:
                    report, took, _ = run_scenario(desk, scenario)
                except queue.Empty:
                    crashes += 1
                    outcomes["no_report"] = outcomes.get("no_report", 0) + 1
                    continue
                finally:  # what the harness records for inspection, as a real device would not
                    desk.slips.clear()
                    desk.frames.clear()
                code = report.result.code
                outcomes[code] = outcomes.get(code, 0) + 1
                crashes += code == "internal_error" or not desk.thread.is_alive()
                seconds.append(took)
                if index == len(scripted) and trace:
                    gc.collect()
                    tracemalloc.start(8)
                    baseline = tracemalloc.take_snapshot()
                if index in (CHECKPOINT, transactions):
                    gc.collect()
                    rss[index] = rss_mib()
                    logging.getLogger(__name__).info("%d transactions: RSS %.1f MiB", index, rss[index])
        finally:
            desk.close()
        traced = _growth(baseline) if baseline is not None else []
    first_rss = rss[min(CHECKPOINT, transactions)] if transactions > CHECKPOINT else rss[0]
    later = max(1, transactions - (CHECKPOINT if transactions > CHECKPOINT else 0))
    return SoakRun(
        transactions=transactions,
        crashes=crashes,
        outcomes=outcomes,
        rss_mib={k: round(v, 1) for k, v in rss.items()},
        per_transaction_s=round(statistics.fmean(seconds), 3) if seconds else float("nan"),
        median_s=round(statistics.median(seconds), 3) if seconds else float("nan"),
        growth_kib_per_transaction=round((rss[transactions] - first_rss) * 1024 / later, 2),
        traced_growth=traced,
    )


def _growth(baseline: tracemalloc.Snapshot) -> list[str]:
    """The Python lines whose live memory grew most since ``baseline``."""
    gc.collect()
    now = tracemalloc.take_snapshot()
    tracemalloc.stop()
    diff = now.compare_to(baseline, "lineno")
    return [str(stat) for stat in diff[:TRACE_LINES]]


def report(run: SoakRun) -> list[str]:
    """Lines for the terminal."""
    lines = [
        f"transactions {run.transactions}, crashes {run.crashes}",
        "outcomes: " + ", ".join(f"{code} {n}" for code, n in sorted(run.outcomes.items())),
        "RSS: " + ", ".join(f"{n} -> {mib:.1f} MiB" for n, mib in run.rss_mib.items()),
        f"growth {run.growth_kib_per_transaction:.2f} KiB per transaction"
        f" ({'after the first 1,000' if run.transactions > CHECKPOINT else 'from the start'})",
        f"time per transaction: mean {run.per_transaction_s:.3f} s, median {run.median_s:.3f} s"
        " (capture window included)",
    ]
    if run.traced_growth:
        lines += ["python allocations that grew most (tracemalloc):", *run.traced_growth]
    return lines
