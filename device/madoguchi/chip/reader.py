"""What the counter calls: put a card on the reader, get its chip photo and whether it verified."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.chip import icao, image, mynumber, residence
from madoguchi.chip.bac import MrzKey
from madoguchi.chip.errors import UnsupportedCard, WrongAccessCode
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.passive import Verification, load_cscas
from madoguchi.chip.residence import ResidenceCardKey
from madoguchi.chip.transport import Channel, CheckedChannel, PcscReader, Transport, nothing

AccessKey = MrzKey | MyNumberKeyB | ResidenceCardKey
REMEMBERED_REFUSALS = 64
PEM_BLOCK = re.compile(rb"-----BEGIN (CERTIFICATE|PUBLIC KEY)-----.+?-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class ChipPhoto:
    """The face from the chip (RGB uint8), which document it came from ("passport", "mynumber",
    "residence", or another ICAO document code), and the signature check: True verified, False
    failed (``detail`` says what; staff decide), None not checkable (no trust anchor configured)."""

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
    still checked, but nobody vouches for its signer (verified is None). ``jlis_keys``: a PEM file
    of J-LIS public keys (or certificates) for the My Number card's AP certificate; None: likewise.
    ``card_timeout``: seconds to wait for a card. ``keep_tries``: never send a My Number code when
    the card has this many tries or fewer left (TooFewTries instead). ``transport`` opens the
    reader by name: pcscd by default; :class:`madoguchi.chip.simulated.EmulatedReader` in the
    simulator, so everything above the APDUs is the same code.

    >>> reader = ChipReader("Sony FeliCa Port/PaSoRi 4.0", csca_dir=Path("/etc/madoguchi/csca"))
    >>> photo = reader.read_photo(MrzKey("TR1234567", "800101", "300101"))
    """

    def __init__(
        self,
        reader_name: str | None = None,
        csca_dir: Path | None = None,
        *,
        jlis_keys: Path | None = None,
        card_timeout: float = 20.0,
        keep_tries: int = 2,
        transport: Callable[[str | None], Transport] = PcscReader,
    ) -> None:
        self.reader_name = reader_name
        self.transport = transport
        self.cscas = load_cscas(csca_dir) if csca_dir is not None else []
        self.jlis_keys = _public_keys(jlis_keys) if jlis_keys is not None else []
        self.card_timeout = card_timeout
        self.keep_tries = keep_tries
        # Keys a card refused, as keyed digests under a key that lives only in this process: the
        # same key is never sent a second time (a My Number card locks after a few wrong codes).
        self._salt = os.urandom(32)
        self._refused: OrderedDict[bytes, None] = OrderedDict()

    def check(self) -> str:
        """The reader's full name, or ReaderGone (for ``madoguchi selftest``)."""
        with self.transport(self.reader_name) as reader:
            return reader.reader_name()

    def read_photo(self, access: AccessKey, *, between: Callable[[], None] = nothing) -> ChipPhoto:
        """Wait for a card, open it with ``access`` exactly once, read and check its face image.

        A key a card refused before raises WrongAccessCode again without reaching the card.
        ``between`` is called while waiting for the card and before every command to it; what it
        raises (the counter's Cancelled) stops the wait or the read there.
        """
        key = f"{type(access).__name__}{vars(access)}".encode()
        digest = hmac.new(self._salt, key, hashlib.sha256).digest()
        if digest in self._refused:
            raise WrongAccessCode("this code was already refused by the card; it was not sent again")
        try:
            with (
                self.transport(self.reader_name) as reader,
                reader.wait_for_card(self.card_timeout, between=between) as card,
            ):
                encoded, kind, verification = self._read(CheckedChannel(card, between), access)
        except WrongAccessCode:
            self._refused[digest] = None
            while len(self._refused) > REMEMBERED_REFUSALS:
                self._refused.popitem(last=False)
            raise
        return ChipPhoto(image.decode(encoded), kind, verification.verified, verification.detail)

    def _read(self, card: Channel, access: AccessKey) -> tuple[bytearray, str, Verification]:
        if isinstance(access, MrzKey):
            document = icao.read(card, access, self.cscas)
            kind = "passport" if document.document_code.startswith("P") else document.document_code
            return document.face, kind, document.verification
        if isinstance(access, MyNumberKeyB):
            card_face = mynumber.read(card, access, self.jlis_keys, self.keep_tries)
            return card_face.face, "mynumber", card_face.verification
        if isinstance(access, ResidenceCardKey):
            card_face = residence.read(card, access)
            return card_face.face, "residence", card_face.verification
        raise UnsupportedCard(f"no reader for {type(access).__name__}")


def _public_keys(path: Path) -> list[rsa.RSAPublicKey]:
    """Every RSA public key in a PEM file, given as PUBLIC KEY or CERTIFICATE blocks."""
    keys = []
    for match in PEM_BLOCK.finditer(path.read_bytes()):
        if match.group(1) == b"CERTIFICATE":
            keys.append(x509.load_pem_x509_certificate(match.group(0)).public_key())
        else:
            keys.append(serialization.load_pem_public_key(match.group(0)))
    return [key for key in keys if isinstance(key, rsa.RSAPublicKey)]
