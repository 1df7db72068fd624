"""The ``[chip]`` section: the IC chip as the counter's third reference source."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from madoguchi.section import AbsolutePath, Section


class ChipConfig(Section):
    enabled: bool = Field(
        default=False,
        title="IC chip source",
        description="Offer the chip mode (MODE cycles card → form → chip): the photo in a My Number "
        "card's chip, opened with 照合番号B keyed in by staff.",
    )
    driver: Literal["auto", "pcsc", "simulated"] = Field(
        default="auto",
        title="Reader driver",
        description="pcsc: a reader through pcscd; simulated: an in-process emulated card on an "
        "emulated reader; auto: simulated when hardware.kind is simulated, else pcsc.",
    )
    reader: str | None = Field(
        default=None,
        title="Reader name",
        description="The start of the reader's PC/SC name, e.g. 「Sony FeliCa Port/PaSoRi 4.0」; "
        "none: the first reader.",
        min_length=1,
        max_length=128,
    )
    csca_dir: AbsolutePath | None = Field(
        default=None,
        title="CSCA certificates",
        description="A directory of CSCA certificates (PEM or DER) for passports' passive authentication.",
    )
    jlis_keys: AbsolutePath | None = Field(
        default=None,
        title="J-LIS keys",
        description="A PEM file of J-LIS public keys or certificates for the My Number card's signature; "
        "none: the signature is checked but shown as not verified by a trusted issuer.",
    )
    card_timeout: float = Field(
        default=20.0,
        title="Card timeout",
        description="Seconds to wait for a card on the reader after the code is confirmed.",
        ge=1.0,
        le=120.0,
    )

    def simulated(self, hardware_kind: str) -> bool:
        """Whether the reader is the emulated one for ``hardware_kind`` ("auto", "real", "simulated")."""
        return self.driver == "simulated" or (self.driver == "auto" and hardware_kind == "simulated")
