"""The counter as a technician's ``status`` sees it, taken on any thread."""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.config.counter import CounterConfig
from madoguchi.counter.state import State


@dataclass(frozen=True)
class Snapshot:
    """The counter's state, the transaction under way (its number), the mode and ``[counter]`` in force."""

    state: State
    transaction: int | None
    mode: str
    settings: CounterConfig
