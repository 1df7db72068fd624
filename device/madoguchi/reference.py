"""Where the reference photo comes from: one small interface, one class per source.

A source hands the runner the ID photo as an RGB array kept in the transaction's memory; finding
the face in it, the quality gate and the comparison are the same for every source. Today the
photo is scanned from the card face (交付時来庁) or from the application form (申請時来庁); the
photo in the card's IC chip is the third (:class:`madoguchi.chip.source.ChipSource`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from madoguchi.errors import PhotoTooSmall
from madoguchi.hardware.base import Scanner
from madoguchi.privacy import TransactionMemory, wipe
from madoguchi.state import State


class Progress(Protocol):
    """What a running transaction tells the counter as it goes; each call may raise Cancelled.

    ``step`` enters a step that needs no one's input (a progress screen); ``guidance`` is the
    capture (state CAPTURING), with advice codes for the visitor; ``check`` only looks for CANCEL;
    ``enter`` only changes the state (it never raises). ``ask_digits`` has staff key in ``length``
    digits with the buttons (shown in ``groups``, the screen titled by message ``prompt``) and
    returns them once confirmed; CANCEL raises Cancelled. Nothing is prefilled.
    """

    def enter(self, state: State) -> None: ...
    def step(self, state: State, code: str, hint: str | None = None) -> None: ...
    def guidance(self, codes: tuple[str, ...], seconds_left: float) -> None: ...
    def check(self) -> None: ...
    def ask_digits(self, prompt: str, length: int, *, groups: tuple[int, ...]) -> str: ...


Locate = Callable[..., Any]
"""``locate(page_rgb, engine, *, dpi) -> LocatedPhoto`` with ``.image``; raises PhotoNotFound."""


class ReferenceSource(Protocol):
    """Gives one transaction its reference photo, or raises a FaceError, HardwareError or ChipError
    saying why. ``verified`` is the last photo's issuer-signature check (None: none, as for a scan);
    ``rescannable`` says whether staff can present the photo again better (a page: yes; a chip: no,
    its photo is what the issuer wrote), which decides what the quality gate may ask."""

    name: str
    verified: bool | None
    rescannable: bool

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray: ...


class ScannedPhoto:
    """The photo printed on a page the scanner reads: a card face or an application form.

    The page is scanned at ``dpi``, the photo located on it and cut out; the page is wiped as soon
    as the photo is out, and the photo lives in ``memory`` until the transaction ends. A photo too
    small to compare at ``dpi`` is scanned again at once, at the resolution it needs or ``max_dpi``
    if it needs more: the document still lies on the glass, so staff need do nothing.

    :param name: "card" or "form", the mode it serves.
    :param scanner: the scanner.
    :param engine: the face finder the locator uses.
    :param locate: the photo locator (:func:`madoguchi.document.locate.locate_photo`).
    :param dpi: the scan resolution.
    :param max_dpi: the highest resolution a rescan may ask for (``dpi`` or less: never rescan).
    """

    def __init__(
        self, name: str, *, scanner: Scanner, engine: Any, locate: Locate, dpi: int, max_dpi: int
    ) -> None:
        self.name = name
        self.verified: bool | None = None  # nobody signs a printed photo
        self.rescannable = True
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
