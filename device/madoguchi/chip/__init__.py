"""The photo in an ID card's IC chip: read over PC/SC, checked against the issuer's signature.

Layers, one import direction: :mod:`.transport` (pcscd via pyscard) carries APDUs; :mod:`.bac`
and :mod:`.securemessaging` open ICAO chips; :mod:`.icao`, :mod:`.mynumber` read documents;
:mod:`.passive` checks signatures; :mod:`.image` decodes in memory; :mod:`.reader` is what the
counter uses. :mod:`.emulator` is the My Number card double for tests and the simulator.
"""

from madoguchi.chip.bac import MrzKey
from madoguchi.chip.errors import (
    AccessLocked,
    CardRemoved,
    ChipDataError,
    ChipError,
    NoCard,
    ReaderGone,
    UnsupportedCard,
    WrongAccessCode,
)
from madoguchi.chip.reader import AccessKey, ChipPhoto, ChipReader

__all__ = [
    "AccessKey",
    "AccessLocked",
    "CardRemoved",
    "ChipDataError",
    "ChipError",
    "ChipPhoto",
    "ChipReader",
    "MrzKey",
    "NoCard",
    "ReaderGone",
    "UnsupportedCard",
    "WrongAccessCode",
]
