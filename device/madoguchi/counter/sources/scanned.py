"""The photo printed on a page the scanner reads: the card face (交付時来庁) or the application form
(申請時来庁), two modes that share the ``[scan]`` table."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from madoguchi.counter.outcome import SourceDetail
from madoguchi.counter.sources.base import Locate, Progress, SourceKind, SourceParts
from madoguchi.counter.state import State
from madoguchi.errors import PhotoTooSmall
from madoguchi.hardware.base import Scanner
from madoguchi.language import Text
from madoguchi.privacy import TransactionMemory, wipe
from madoguchi.section import Section


class ScanConfig(Section):
    """Scan resolutions."""

    model_config = ConfigDict(title="Scanning")

    card_dpi: int = Field(default=300, title="Card resolution", description="DPI for cards.", ge=150, le=1200)
    form_dpi: int = Field(default=300, title="Form resolution", description="DPI for forms.", ge=150, le=1200)
    rescan_max_dpi: int = Field(
        default=600,
        title="Highest rescan resolution",
        description="A photo too small to compare is scanned again at once, at the resolution it needs"
        " or this (DPI) if it needs more; at or below card_dpi and form_dpi, never.",
        ge=150,
        le=1200,
    )

    @model_validator(mode="after")
    def _rescan_above_scans(self) -> ScanConfig:
        if self.rescan_max_dpi < max(self.card_dpi, self.form_dpi):
            raise ValueError(
                f"scan.rescan_max_dpi: {self.rescan_max_dpi} is below the resolution pages are first scanned "
                f"at ({max(self.card_dpi, self.form_dpi)}): set it at least that high (equal: never rescan)"
            )
        return self

    def dpi(self, mode: str) -> int:
        return self.form_dpi if mode == "form" else self.card_dpi


class ScannedPhoto:
    """The photo printed on a page the scanner reads.

    The page is scanned at ``dpi``, the photo located on it and cut out; the page is wiped as soon
    as the photo is out, and the photo lives in ``memory`` until the transaction ends. A photo too
    small to compare at ``dpi`` is scanned again at once, at the resolution it needs or ``max_dpi``
    if it needs more: the document still lies on the glass, so staff need do nothing.

    :param mode: "card" or "form", the mode it serves.
    :param scanner: the scanner.
    :param engine: the face finder the locator uses.
    :param locate: the photo locator (:func:`madoguchi.document.locate.locate_photo`).
    :param dpi: the scan resolution.
    :param max_dpi: the highest resolution a rescan may ask for (``dpi`` or less: never rescan).
    """

    rescannable = True

    def __init__(
        self, mode: str, *, scanner: Scanner, engine: Any, locate: Locate, dpi: int, max_dpi: int
    ) -> None:
        self.mode = mode
        self.scanner = scanner
        self.engine = engine
        self.locate = locate
        self.dpi = dpi
        self.max_dpi = max_dpi

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray:
        progress.step(State.SCANNING, "scanning", "scanning_hint")
        try:
            return self._photo(memory, progress, self.dpi)
        except PhotoTooSmall as small:
            rescan_dpi = small.rescan_dpi(self.dpi, self.max_dpi)
            if rescan_dpi is None:
                raise
            progress.step(State.SCANNING, "rescanning", "rescanning_hint")
            return self._photo(memory, progress, rescan_dpi)

    def detail(self) -> SourceDetail:
        return SourceDetail()  # nobody signs a printed photo

    def check(self) -> None:
        return None  # the scanner is checked with the other devices

    def _photo(self, memory: TransactionMemory, progress: Progress, dpi: int) -> np.ndarray:
        page = memory.keep(self.scanner.scan(dpi=dpi))
        try:
            progress.step(State.LOCATING, "locating")
            located = self.locate(page, self.engine, dpi=dpi)
            photo = memory.keep(np.array(located.image))  # a copy: the crop may be a view of the page
            wipe(located.image)
        finally:
            memory.release(page)
        return photo


def _kind(mode: str, title: tuple[str, Text], instruction: tuple[str, Text]) -> SourceKind:
    """The kind of a page scanned in ``mode``; ``title`` and ``instruction``: each message's code and text."""

    def build(scan: ScanConfig, parts: SourceParts) -> ScannedPhoto:
        return ScannedPhoto(
            mode,
            scanner=parts.scanner,
            engine=parts.engine,
            locate=parts.locate,
            dpi=scan.dpi(mode),
            max_dpi=scan.rescan_max_dpi,
        )

    return SourceKind(
        mode=mode,
        title=title[0],
        instruction=instruction[0],
        section=("scan", ScanConfig),
        build=build,
        messages={**SCANNING, title[0]: title[1], instruction[0]: instruction[1]},
    )


SCANNING = {
    "scanning": Text("読み取り中です", "Scanning"),
    "scanning_hint": Text("原稿を動かさないでください", "Do not move the document"),
    "rescanning": Text("再読み取り中です", "Rescanning"),
    "rescanning_hint": Text(
        "写真が小さいため高い解像度で読み取り直します。原稿はそのままにしてください",
        "The photo is small: scanning it at a higher resolution. Leave the document in place",
    ),
    "locating": Text("顔写真を確認しています", "Finding the ID photo"),
}
"""The steps of a scan, shown while they run."""

CARD = _kind(
    "card",
    title=("mode_card", Text("交付時来庁（カード）", "Card pick-up (card)")),
    instruction=(
        "place_card",
        Text("カードの表面を下にしてスキャナーに置いてください", "Place the card face down on the scanner"),
    ),
)
FORM = _kind(
    "form",
    title=("mode_form", Text("申請時来庁（申請書）", "Application (form)")),
    instruction=(
        "place_form",
        Text(
            "申請書の写真面を下にしてスキャナーに置いてください",
            "Place the application form photo side down on the scanner",
        ),
    ),
)
