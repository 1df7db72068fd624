"""Records read back without checking the chain (that is :func:`madoguchi.audit.chain.verify`'s): the
newest from the end of the file for the daemon's own status and today's figures, or every record from
the start for a report. Bounded: a line is never longer than :data:`~madoguchi.audit.record.MAX_LINE`
when parsed, and a damaged line is skipped (and counted, when asked)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from madoguchi.audit.chain import bounded_lines
from madoguchi.audit.record import AuditRecord, DamagedRecord, parse_object, record_from

TAIL_BYTES = 8 << 20
"""How far back from the end is read: many days of a counter's records."""


@dataclass
class Damage:
    """How many lines a reading skipped: not a record this package writes (damaged or too long)."""

    lines: int = 0

    def parsed(self, line: bytes) -> AuditRecord | None:
        """The record ``line`` holds, or None (counted) when it holds none."""
        try:
            return record_from(parse_object(line))
        except DamagedRecord:
            self.lines += 1
            return None


def newest_first(
    path: Path, *, tail_bytes: int = TAIL_BYTES, damage: Damage | None = None
) -> Iterator[AuditRecord]:
    """The records in the last ``tail_bytes`` of the file at ``path``, newest first; nothing when it
    cannot be read. A line cut by the start of the tail is skipped; a damaged one is counted in ``damage``."""
    damage = damage or Damage()
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - tail_bytes))
            lines = handle.read(tail_bytes).split(b"\n")
    except OSError:
        return
    if size > tail_bytes:
        lines = lines[1:]  # the first is cut by the start of the tail
    for line in reversed(lines):
        if line and (record := damage.parsed(line)) is not None:
            yield record


def oldest_first(path: Path, damage: Damage | None = None) -> Iterator[AuditRecord]:
    """Every record of the file at ``path`` from its first line, each line read bounded; a damaged
    line is skipped and counted in ``damage``. OSError when the file cannot be read."""
    damage = damage or Damage()
    with path.open("rb") as handle:
        for line, _size, _ended in bounded_lines(handle):
            if line and (record := damage.parsed(line)) is not None:
                yield record


def dated(
    path: Path, first: date, last: date, damage: Damage | None = None, *, tail_bytes: int = TAIL_BYTES
) -> list[AuditRecord]:
    """The records dated ``first`` to ``last`` (their own time's date), oldest first: from the last
    ``tail_bytes`` when they reach back before ``first`` (today's, at once), else from the whole
    file. OSError when the file cannot be read."""
    damage = damage or Damage()
    path.open("rb").close()  # OSError now, rather than no records, when it cannot be read
    start, end = first.isoformat(), last.isoformat()
    recent: list[AuditRecord] = []
    for record in newest_first(path, tail_bytes=tail_bytes, damage=damage):
        if record.time[:10] < start:
            return [record for record in reversed(recent) if record.time[:10] <= end]
        recent.append(record)
    try:
        whole = path.stat().st_size <= tail_bytes
    except OSError:
        whole = True  # nothing could be read
    if whole:
        return [record for record in reversed(recent) if record.time[:10] <= end]
    damage.lines = 0  # counted again over the whole file
    return [record for record in oldest_first(path, damage) if start <= record.time[:10] <= end]
