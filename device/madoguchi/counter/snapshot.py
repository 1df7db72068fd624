"""The counter as a technician's ``status`` sees it, taken on any thread."""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.config.counter import CounterConfig
from madoguchi.counter.state import State


@dataclass(frozen=True)
class Snapshot:
    """The counter's state, the transaction under way (its number), the mode, ``[counter]`` in force,
    and the last change found to the audit record's file (and its ``audit_lost`` record), if any."""

    state: State
    transaction: int | None
    mode: str
    settings: CounterConfig
    audit_change: str | None = None
