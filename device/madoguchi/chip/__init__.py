"""The photo in an ID card's IC chip: read over PC/SC, checked against the issuer's signature.

Layers, one import direction: :mod:`.transport` (pcscd via pyscard) carries APDUs; :mod:`.bac`
and :mod:`.securemessaging` open ICAO chips; :mod:`.icao`, :mod:`.mynumber` read documents;
:mod:`.passive` checks signatures; :mod:`.image` decodes in memory; :mod:`.reader` is what the
counter uses. :mod:`.emulator` is the My Number card double for tests and the simulator.

Documents: ICAO 9303 eMRTDs (passports) over BAC; the My Number card's 券面事項確認AP with 照合番号B.
The residence card (在留カード) with its card number: see :mod:`.residence` (signature not yet
checked). Not read: the driving licence (運転免許証): in the National Police Agency's 「運転免許証及び運転
免許証作成システム等仕様書」 the photo is in DF2 with the registered domicile (本籍), readable only
after VERIFY of both holder PINs (暗証番号1 and 2); the appliance must not ask for them, so the
licence is out of scope.
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
from madoguchi.chip.mynumber import MyNumberKeyB, TooFewTries
from madoguchi.chip.reader import AccessKey, ChipPhoto, ChipReader
from madoguchi.chip.residence import ResidenceCardKey

__all__ = [
    "AccessKey",
    "AccessLocked",
    "CardRemoved",
    "ChipDataError",
    "ChipError",
    "ChipPhoto",
    "ChipReader",
    "MrzKey",
    "MyNumberKeyB",
    "NoCard",
    "ReaderGone",
    "ResidenceCardKey",
    "TooFewTries",
    "UnsupportedCard",
    "WrongAccessCode",
]
