"""What one transaction came to: the value the screens, the slip and the audit record are made from.

It holds a score and codes, never pixels, boxes or descriptors, so passing it around cannot leak a face.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from madoguchi.pad.texts import SUSPECT

SCORED = "scored"
CANCELLED = "cancelled"
SELFTEST = "selftest"
"""The outcome of the test slip's result (``print-test``, the self-test): no visitor, no comparison."""
# Only in the audit record: a transaction the daemon did not live to finish (see audit.AuditLog.begin).
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class SourceDetail:
    """What a reference source adds to a result besides the score; never anything biometric.

    ``shown``: message codes shown with the score on the screen and the slip (a chip photo's
    signature check); ``alert``: they need staff's attention, so they are drawn as prominently as
    the score; ``record``: the source's fields in the audit record (:class:`madoguchi.audit.AuditRecord`).
    """

    shown: tuple[str, ...] = ()
    alert: bool = False
    record: Mapping[str, bool | int | str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class TransactionResult:
    """One transaction's outcome.

    ``mode`` is the reference source's (:data:`madoguchi.counter.sources.SOURCES`). ``code`` is
    ``"scored"``, ``"cancelled"``, the code of the fault that stopped it (a key of
    :data:`madoguchi.ui.messages.MESSAGES`) or, in the audit record only, ``"interrupted"``;
    ``values`` fill its message's placeholders (the tries a chip has left). ``notes`` are further
    codes worth a line on the slip: quality advice and device trouble that did not stop the
    transaction (the printer running out of paper), and the presentation-attack checks' advice.
    ``detail`` is the source's own.
    """

    number: int
    time: datetime
    mode: str
    threshold: int
    code: str
    score: float | None = None
    notes: tuple[str, ...] = ()
    values: Mapping[str, int | str | None] = field(default_factory=dict)
    detail: SourceDetail = SourceDetail()
    presentation: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    """What the presentation-attack checks found, as the audit record keeps it (codes only)."""

    @property
    def shown_score(self) -> int | None:
        """The score as staff see it: rounded down, so it compares with the threshold as the score does."""
        return None if self.score is None else math.floor(self.score)

    @property
    def summary(self) -> str:
        """The outcome, score and threshold in one phrase, for the journal."""
        score = "-" if self.score is None else f"{self.score:.1f}"
        return f"{self.code} score={score} threshold={self.threshold}"

    @property
    def at_or_above(self) -> bool | None:
        return None if self.score is None else self.score >= self.threshold

    @property
    def alerts(self) -> tuple[str, ...]:
        """What staff must see as prominently as the score: the source's alert (a chip photo whose
        signature did not verify) and a suspected presentation attack."""
        source = self.detail.shown if self.detail.alert else ()
        return (*source, *(code for code in self.notes if code == SUSPECT))

    @property
    def advice(self) -> tuple[str, ...]:
        """The notes that are not alerts, in their order (the suspect signals first, then quality)."""
        return tuple(code for code in self.notes if code != SUSPECT)


@dataclass(frozen=True)
class Report:
    """A finished transaction as observers see it: the result and every message code shown."""

    result: TransactionResult
    shown: tuple[str, ...]
    slip_printed: bool
