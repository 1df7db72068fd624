"""What the counter calls: put a card on the reader, get its chip photo and whether it verified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi.chip import icao, image
from madoguchi.chip.bac import MrzKey
from madoguchi.chip.passive import load_cscas
from madoguchi.chip.transport import PcscReader

AccessKey = MrzKey


@dataclass(frozen=True)
class ChipPhoto:
    """The face from the chip (RGB uint8), which document it came from ("passport", "mynumber",
    "residence", or an ICAO document code), and the signature check: True verified, False failed
    (``detail`` says what; staff decide), None not checkable (no trust anchor configured)."""

    image: np.ndarray
    document: str
    verified: bool | None
    detail: str

    def __repr__(self) -> str:  # never print the face
        return f"ChipPhoto(document={self.document!r}, verified={self.verified!r}, detail={self.detail!r})"


class ChipReader:
    """Reads the chip photo of the card put on a PC/SC reader.

    ``reader_name``: the start of the reader's PC/SC name (None: the first reader). ``csca_dir``: a
    directory of CSCA certificates (PEM or DER) for ICAO passive authentication; None: the SOD is
    still checked, but nobody vouches for its signer (verified is None). ``card_timeout``: seconds
    to wait for a card to be put on the reader.

    >>> reader = ChipReader("Sony FeliCa Port/PaSoRi 4.0", csca_dir=Path("/etc/madoguchi/csca"))
    >>> photo = reader.read_photo(MrzKey("TR1234567", "800101", "300101"))
    """

    def __init__(
        self, reader_name: str | None = None, csca_dir: Path | None = None, *, card_timeout: float = 20.0
    ) -> None:
        self.reader_name = reader_name
        self.cscas = load_cscas(csca_dir) if csca_dir is not None else []
        self.card_timeout = card_timeout

    def check(self) -> str:
        """The reader's full name, or ReaderGone (for ``madoguchi selftest``)."""
        with PcscReader(self.reader_name) as reader:
            return reader.reader_name()

    def read_photo(self, access: AccessKey) -> ChipPhoto:
        """Wait for a card, open it with ``access`` exactly once, read and check its face image."""
        with PcscReader(self.reader_name) as reader, reader.wait_for_card(self.card_timeout) as card:
            document = icao.read(card, access, self.cscas)
        face = image.decode(document.face)
        return ChipPhoto(
            face,
            "passport" if document.document_code.startswith("P") else document.document_code,
            document.verification.verified,
            document.verification.detail,
        )
