"""What the audit record says about a counter's days: transactions by outcome, by reference source
and by staff's decision, scores in 10-point bins, and how often staff's decision went against the
threshold (issued below it, refused at or above it).

Figures are made from records only, never from a face, and drawn elsewhere: the day slip
(:mod:`madoguchi.ui.day_slip`) and the municipality's report (:mod:`madoguchi.ops.report`). A
decision counts on the day of the transaction it is about, once; a decision about a transaction
outside the records read (before the period) is left out.

Staff issuing a card below the threshold is the field's view of a false non-match (the visitor was
the holder, checked by eye); staff refusing at or above it, of a false match the score did not
catch. Neither is proof: a second check, or a visitor sent away for another reason, also counts.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from madoguchi.audit.reading import Damage, dated
from madoguchi.audit.record import AUDIT_LOST, CONFIG_CHANGED, DECISION, DECISIONS, REPRINT, AuditRecord
from madoguchi.counter.outcome import SCORED

BIN_POINTS = 10
BINS = 10
"""Scores in bins of 10 points: 0-9, 10-19 … 90-100 (100 joins the last bin)."""
NOT_TRANSACTIONS = frozenset({AUDIT_LOST, CONFIG_CHANGED, DECISION, REPRINT})
"""Outcomes of records that are not a visitor's transaction."""


def is_transaction(record: AuditRecord) -> bool:
    return record.outcome not in NOT_TRANSACTIONS


def score_bin(score: float) -> int:
    """The bin of ``score`` as staff saw it (rounded down)."""
    return min(BINS - 1, max(0, math.floor(score) // BIN_POINTS))


def _bins() -> list[int]:
    return [0] * BINS


@dataclass
class Counts:
    """One day's figures, or a period's (:meth:`add`)."""

    transactions: int = 0
    outcomes: collections.Counter[str] = field(default_factory=collections.Counter)
    """Transactions by outcome ("scored", "cancelled", a fault's code, "interrupted")."""
    sources: collections.Counter[str] = field(default_factory=collections.Counter)
    """Transactions by reference source ("card", "form", "chip")."""
    at_or_above: int = 0
    below: int = 0
    histograms: dict[str, list[int]] = field(default_factory=lambda: collections.defaultdict(_bins))
    """Scored transactions by source, in :data:`BINS` bins."""
    against: collections.Counter[tuple[bool, str]] = field(default_factory=collections.Counter)
    """Decisions by (score at or above the threshold, decision)."""
    reprints: int = 0

    @property
    def scored(self) -> int:
        return self.at_or_above + self.below

    @property
    def histogram(self) -> list[int]:
        """Every source's scores together."""
        return [sum(bins) for bins in zip(*self.histograms.values(), strict=True)] or _bins()

    @property
    def decisions(self) -> collections.Counter[str]:
        """Decisions by kind, in :data:`DECISIONS`' order."""
        return collections.Counter({kind: self.decided(kind) for kind in DECISIONS})

    def decided(self, kind: str, at_or_above: bool | None = None) -> int:
        """Decisions of ``kind``, on scores at or above the threshold, below it, or either (None)."""
        sides = (True, False) if at_or_above is None else (at_or_above,)
        return sum(self.against[side, kind] for side in sides)

    def undecided(self, at_or_above: bool | None = None) -> int:
        """Scored transactions with no decision recorded."""
        scored = {True: self.at_or_above, False: self.below, None: self.scored}[at_or_above]
        return scored - sum(self.decided(kind, at_or_above) for kind in DECISIONS)

    @property
    def issued_below(self) -> int:
        return self.against[False, "issued"]

    @property
    def refused_at_or_above(self) -> int:
        return self.against[True, "refused"]

    def count(self, record: AuditRecord) -> None:
        """Count one transaction's record."""
        self.transactions += 1
        self.outcomes[record.outcome] += 1
        self.sources[record.source or record.mode] += 1
        if record.outcome == SCORED and record.score is not None:
            if record.at_or_above:
                self.at_or_above += 1
            else:
                self.below += 1
            self.histograms[record.source or record.mode][score_bin(record.score)] += 1

    def add(self, other: Counts) -> None:
        """Count ``other``'s figures in with these."""
        self.transactions += other.transactions
        self.outcomes.update(other.outcomes)
        self.sources.update(other.sources)
        self.at_or_above += other.at_or_above
        self.below += other.below
        for source, bins in other.histograms.items():
            self.histograms[source] = [a + b for a, b in zip(self.histograms[source], bins, strict=True)]
        self.against.update(other.against)
        self.reprints += other.reprints


@dataclass
class Figures:
    """The figures of each day from ``first`` to ``last`` (every day, an empty one included)."""

    first: date
    last: date
    days: dict[date, Counts]
    thresholds: set[int] = field(default_factory=set)
    """Every threshold in force on a transaction of the period."""
    terminals: set[str] = field(default_factory=set)
    damaged: int = 0
    """Lines skipped: not a record (damaged), or a record whose time is not a time."""

    @property
    def total(self) -> Counts:
        return _merged(self.days.values())

    def spans(self, most: int) -> tuple[str, list[tuple[date, date, Counts]]]:
        """The period in at most ``most`` spans of a "day", else a "week" (from Monday), else a
        "month", the shortest that is few enough; each span as (first day, last day, its figures)."""
        unit, groups = "day", {}
        for name, start_of in SPANS.items():
            unit, groups = name, {}
            for day in self.days:
                groups.setdefault(start_of(day), []).append(day)
            if len(groups) <= most:
                break
        spans = [(days[0], days[-1], _merged(self.days[day] for day in days)) for days in groups.values()]
        return unit, spans


SPANS = {
    "day": lambda day: day,
    "week": lambda day: day - timedelta(days=day.weekday()),
    "month": lambda day: day.replace(day=1),
}
"""Each span's unit, and the first day of the span a day is in."""


def _merged(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for counts in parts:
        total.add(counts)
    return total


def tally(records: Iterable[AuditRecord], first: date, last: date, *, damaged: int = 0) -> Figures:
    """The figures of ``records`` (oldest first) dated ``first`` to ``last``."""
    days = {first + timedelta(days=offset): Counts() for offset in range((last - first).days + 1)}
    figures = Figures(first, last, days, damaged=damaged)
    open_scores: dict[int, tuple[Counts, bool]] = {}
    """Each scored transaction of the period with no decision yet: its day's counts, and its side."""
    for record in records:
        try:
            day = datetime.fromisoformat(record.time).date()
        except ValueError:
            figures.damaged += 1
            continue
        if record.outcome == DECISION:
            decided = open_scores.pop(record.about or 0, None)  # once per transaction
            if decided is not None and record.decision is not None:
                counts, side = decided
                counts.against[side, record.decision] += 1
            continue
        counts = days.get(day)  # type: ignore[assignment]
        if counts is None:
            continue
        if record.outcome == REPRINT:
            counts.reprints += 1
        elif is_transaction(record):
            counts.count(record)
            figures.thresholds.add(record.threshold)
            figures.terminals.add(record.terminal_id)
            if record.outcome == SCORED and record.score is not None:
                open_scores[record.number] = (counts, bool(record.at_or_above))
    return figures


def read_figures(path: Path, first: date, last: date) -> Figures:
    """The figures of the record at ``path`` from ``first`` to ``last`` (today's from its tail, at
    once); damaged lines are skipped and counted. OSError when the record cannot be read."""
    damage = Damage()
    records = dated(path, first, last + timedelta(days=1), damage)  # a decision made after midnight
    return tally(records, first, last, damaged=damage.lines)
