"""Where the reference photo comes from: one small interface, and what each kind of source declares.

A source hands the runner the ID photo as an RGB array kept in the transaction's memory; finding
the face in it, the quality gate and the comparison are the same for every source. Each kind of
source is declared once, as Frigate declares a detector plugin: its mode, its ``config.toml``
table, its sentences, and how it is built (:class:`SourceKind`). The registry
(:mod:`madoguchi.counter.sources`) lists them; the config, the counter, the screens and the
self-test iterate over it, so adding a source is one module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from madoguchi.counter.outcome import SourceDetail
from madoguchi.counter.state import State
from madoguchi.hardware.base import Scanner
from madoguchi.language import Text
from madoguchi.privacy import TransactionMemory
from madoguchi.section import Section


class Progress(Protocol):
    """What a running transaction tells the counter as it goes; each call may raise Cancelled.

    ``step`` enters a step that needs no one's input (a progress screen); ``guidance`` is the
    capture (state CAPTURING), with advice codes for the visitor; ``check`` only looks for CANCEL
    (and runs technicians' read-only calls); ``enter`` only changes the state (it never raises).
    """

    def enter(self, state: State) -> None: ...
    def step(self, state: State, code: str, hint: str | None = None) -> None: ...
    def guidance(self, codes: tuple[str, ...], seconds_left: float) -> None: ...
    def check(self) -> None: ...


class Keypad(Protocol):
    """Staff key in digits (:class:`madoguchi.counter.keypad.Keypad`); CANCEL raises Cancelled."""

    def ask(
        self,
        prompt: str,
        length: int,
        *,
        groups: tuple[int, ...],
        hint: str | None = None,
        prefill: bytes | bytearray | None = None,
        notice: str | None = None,
    ) -> str: ...


class CodeRead(Protocol):
    """A code read from a card's face (:class:`madoguchi.document.card_code.CardCodeRead`): its
    ASCII digits, "_" where a field was not sure; used in a ``with`` block, which wipes them."""

    digits: bytearray

    @property
    def sure(self) -> bool: ...
    def __enter__(self) -> CodeRead: ...
    def __exit__(self, *exc: object) -> None: ...


class CodeReader(Protocol):
    """Reads a code printed on a card's face from a scanned page (OCR, in memory)."""

    def read(self, page_rgb: np.ndarray, *, dpi: int) -> CodeRead: ...


Locate = Callable[..., Any]
"""``locate(page_rgb, engine, *, dpi) -> LocatedPhoto`` with ``.image``; raises PhotoNotFound."""


class ReferenceSource(Protocol):
    """Gives one transaction its reference photo, or raises a FaceError, HardwareError or ChipError
    saying why. ``detail()`` is what the last acquisition adds to the result (a signature check);
    ``rescannable`` says whether staff can present the photo again better (a page: yes; a chip:
    no, its photo is what the issuer wrote), which decides what the quality gate may ask.
    ``check()`` is the source's own device check for the self-test (None: it has none)."""

    mode: str
    rescannable: bool

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray: ...
    def detail(self) -> SourceDetail: ...
    def check(self) -> str | None: ...


@dataclass(frozen=True)
class SourceParts:
    """What the composition root offers a source to be built from. ``keypad`` is None where nobody
    keys anything in (the self-test run without the daemon): such sources are checked, never used.
    ``code_reader`` opens the card-face reader (its libraries load only then); MadoguchiError when
    it cannot be had here."""

    scanner: Scanner
    engine: Any
    locate: Locate
    keypad: Keypad | None
    hardware_kind: str
    code_reader: Callable[[], CodeReader]


@dataclass(frozen=True)
class SourceKind:
    """A kind of reference source, as the config, the counter and the screens know it.

    :param mode: the mode staff switch to with MODE, and the source's name in results and records.
    :param title: message code of the mode's name (idle screen, slip).
    :param instruction: message code of what staff do at the idle screen.
    :param section: the ``config.toml`` table the source reads, and its model (several kinds may
        share one table, as card and form share ``[scan]``); None: it has none.
    :param messages: the source's own sentences (its titles, progress steps and faults), by code.
    :param actions: what staff do after each of its faults, by code.
    :param build: the source from its table and the parts; None when this config does not offer it.
    :param unavailable: why ``counter.mode`` may not name it under this table, or None.
    :param device: the self-test's name for the source's own device, if it has one.
    """

    mode: str
    title: str
    instruction: str
    section: tuple[str, type[Section]] | None
    build: Callable[[Any, SourceParts], ReferenceSource | None]
    messages: Mapping[str, Text] = field(default_factory=dict)
    actions: Mapping[str, Text] = field(default_factory=dict)
    unavailable: Callable[[Any], str | None] = lambda _settings: None
    device: str | None = None
