"""The newest records, read back from the end of the audit record for the daemon's own status
(today's transactions by outcome, the time of the last record): bounded, and damaged lines skipped.
Checking the chain is :func:`madoguchi.audit.chain.verify`'s."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from madoguchi.audit.record import AuditRecord, DamagedRecord, parse_object, record_from

TAIL_BYTES = 8 << 20
"""How far back from the end is read: many days of a counter's records."""


def newest_first(path: Path, *, tail_bytes: int = TAIL_BYTES) -> Iterator[AuditRecord]:
    """The records in the last ``tail_bytes`` of the file at ``path``, newest first; nothing when it
    cannot be read. A line cut by the start of the tail, or damaged, is skipped."""
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
        if not line:
            continue
        try:
            yield record_from(parse_object(line))
        except DamagedRecord:
            continue
