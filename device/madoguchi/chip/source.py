"""The chip as the counter's third reference source: 照合番号B keyed in by staff, the photo read.

Which key: only the My Number card (個人番号カード) is served at the counter. Its 照合番号B is
printed on the card's front (birth date, expiry year, security code); staff holding the card key
it in with the three buttons (:meth:`madoguchi.reference.Progress.ask_digits`), confirm it with
START, and only then is it sent, once. OCR of the card face is not available on the device (LiteRT
face models only), and nothing is guessed or prefilled. Passports (MRZ) and residence cards (card
number) need letters, which three buttons cannot key in sensibly; :class:`ChipReader` reads them
for callers that have the key.

The code lives in this call only: the digits editor zeroes its buffer, the key object is dropped
as soon as the card has been read, and neither is logged (Python strings cannot be zeroed; they
are left to the garbage collector, which the transaction's end runs).
"""

from __future__ import annotations

import logging

import numpy as np

from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.reader import ChipReader
from madoguchi.chip.settings import ChipConfig
from madoguchi.chip.simulated import READER_NAME, EmulatedDesk
from madoguchi.chip.transport import PcscReader
from madoguchi.errors import ConfigError
from madoguchi.privacy import TransactionMemory
from madoguchi.reference import Progress
from madoguchi.state import State

log = logging.getLogger(__name__)

KEY_B_GROUPS = (6, 4, 4)
"""照合番号B: birth date YYMMDD, expiry year YYYY, security code."""


class ChipSource:
    """The face image in the IC chip of the card on ``reader``.

    ``verified`` is the last acquired photo's signature check: True verified, False did not
    verify (the photo is still scored; staff decide), None not checkable (no J-LIS key configured)
    or no photo read.
    """

    name = "chip"
    rescannable = False

    def __init__(self, reader: ChipReader) -> None:
        self.reader = reader
        self.verified: bool | None = None

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray:
        self.verified = None
        code = progress.ask_digits("chip_code_prompt", sum(KEY_B_GROUPS), groups=KEY_B_GROUPS)
        key = MyNumberKeyB(code[:6], code[6:10], code[10:])
        del code
        progress.step(State.READING_CHIP, "reading_chip", "reading_chip_hint")
        try:
            photo = self.reader.read_photo(key, between=progress.check)  # CANCEL stops the wait or the read
        finally:
            del key
        image = memory.keep(photo.image)
        self.verified = photo.verified
        log.info("chip photo from a %s card; signature %s (%s)", photo.document, photo.verified, photo.detail)
        return image


def make_reader(settings: ChipConfig, hardware_kind: str) -> ChipReader:
    """The reader the ``[chip]`` section asks for: pcscd's, or an emulated one (see ``driver``)."""
    transport = (
        EmulatedDesk(settings.reader or READER_NAME) if settings.simulated(hardware_kind) else PcscReader
    )
    try:
        return ChipReader(
            settings.reader,
            settings.csca_dir,
            jlis_keys=settings.jlis_keys,
            card_timeout=settings.card_timeout,
            transport=transport,
        )
    except (OSError, ValueError) as error:
        raise ConfigError(f"chip: cannot read the trust anchors: {error}") from None
