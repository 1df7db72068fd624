"""The registry of reference sources: every kind the counter can take its reference photo from.

    card   the card face on the scanner (交付時来庁)      :mod:`.scanned`
    form   the application form on the scanner (申請時来庁) :mod:`.scanned`
    chip   the My Number card's IC chip (照合番号B)       :mod:`.chip`

MODE cycles through them in this order (those the config offers). To add a source, write a module
with its :class:`~.base.SourceKind` and list it here: the config gains its table, MODE its mode,
the screens and slips its sentences, the self-test its device.
"""

from __future__ import annotations

from madoguchi.counter.sources.base import SourceKind
from madoguchi.counter.sources.chip import CHIP
from madoguchi.counter.sources.scanned import CARD, FORM

SOURCES: dict[str, SourceKind] = {kind.mode: kind for kind in (CARD, FORM, CHIP)}
"""Every kind of reference source, by mode, in MODE's order."""
