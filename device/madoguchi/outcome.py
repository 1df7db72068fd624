"""What one transaction came to: the value the screens, the slip and the audit record are made from.

It holds a score and codes, never pixels, boxes or descriptors, so passing it around cannot leak a face.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Mode = Literal["card", "form", "chip"]

SCORED = "scored"
CANCELLED = "cancelled"
# Only in the audit record: a transaction the daemon did not live to finish (see audit.AuditLog.begin).
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class TransactionResult:
    """One transaction's outcome.

    ``code`` is ``"scored"``, ``"cancelled"``, the reason of the fault that stopped it (a key of
    :data:`madoguchi.messages.MESSAGES`) or, in the audit record only, ``"interrupted"``. ``notes``
    are further codes worth a line on the slip: quality advice and device trouble that did not stop
    the transaction (the printer running out of paper).
    """

    number: int
    time: datetime
    mode: Mode
    threshold: int
    code: str
    score: float | None = None
    notes: tuple[str, ...] = ()
    source: str | None = None
    chip_verified: bool | None = None
    chip_tries_left: int | None = None

    @property
    def shown_score(self) -> int | None:
        """The score as staff see it: rounded down, so it compares with the threshold as the score does."""
        return None if self.score is None else math.floor(self.score)

    @property
    def at_or_above(self) -> bool | None:
        return None if self.score is None else self.score >= self.threshold

    @property
    def chip_check(self) -> str | None:
        """The message code saying whether the chip's photo verified; None unless the chip was the source."""
        if self.source != "chip":
            return None
        return {True: "chip_verified", False: "chip_not_verified", None: "chip_unchecked"}[self.chip_verified]
