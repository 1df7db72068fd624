"""An emulated reader in this process: the PC/SC transport replaced, everything above it the same.

As OctoPrint's virtual printer stands in for the serial port, :class:`EmulatedDesk` stands in for
pcscd and a USB reader: :class:`~madoguchi.chip.reader.ChipReader` opens it through its
``transport`` and sends the same APDUs (SELECT, VERIFY, READ BINARY) to a card of
:mod:`madoguchi.chip.emulator`, and checks the same signatures. The simulator and the counter's
tests use it on any PC; the real-stack tests keep pcscd + vpcd. Staff's hands are
:meth:`EmulatedDesk.tap`, :meth:`~EmulatedDesk.remove` and :meth:`~EmulatedDesk.unplug`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
from cryptography.hazmat.primitives.asymmetric import rsa

from madoguchi.chip.apdu import Response
from madoguchi.chip.emulator import MyNumberCard, ResidenceCard, chip_face, personalise
from madoguchi.chip.errors import CardRemoved, NoCard, ReaderGone
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.transport import POLL_MS, nothing

Card = MyNumberCard | ResidenceCard
READER_NAME = "Madoguchi Emulated Reader 00 00"


class EmulatedDesk:
    """One emulated contactless reader and whatever card lies on it; call it as a ChipReader transport."""

    def __init__(self, name: str = READER_NAME) -> None:
        self.name = name
        self._card: Card | None = None
        self._plugged = True
        self._changed = threading.Condition()

    def tap(self, card: Card) -> None:
        """Put ``card`` on the reader (powered up afresh, as a card entering the field)."""
        with self._changed:
            card.reset()
            self._card = card
            self._changed.notify_all()

    def remove(self) -> None:
        """Take the card off the reader."""
        with self._changed:
            self._card = None
            self._changed.notify_all()

    def unplug(self) -> None:
        with self._changed:
            self._plugged = False
            self._changed.notify_all()

    def plug(self) -> None:
        with self._changed:
            self._plugged = True
            self._changed.notify_all()

    def __call__(self, wanted: str | None = None) -> EmulatedReader:
        return EmulatedReader(self, wanted)

    def _check_plugged(self) -> None:
        if not self._plugged:
            raise ReaderGone(f"card reader {self.name} is not connected")


class EmulatedReader:
    """What :class:`~madoguchi.chip.transport.PcscReader` is to pcscd, for an :class:`EmulatedDesk`."""

    def __init__(self, desk: EmulatedDesk, wanted: str | None) -> None:
        self.desk = desk
        self.wanted = wanted

    def reader_name(self) -> str:
        self.desk._check_plugged()
        if self.wanted is not None and not self.desk.name.startswith(self.wanted):
            raise ReaderGone(f"card reader {self.wanted} is not connected")
        return self.desk.name

    def wait_for_card(self, timeout: float, *, between: Callable[[], None] = nothing) -> EmulatedSession:
        name = self.reader_name()
        desk = self.desk
        deadline = time.monotonic() + timeout
        while True:
            between()
            left = deadline - time.monotonic()
            with desk._changed:
                there = desk._changed.wait_for(
                    lambda: desk._card is not None or not desk._plugged, min(POLL_MS / 1000, max(left, 0.0))
                )
                if there or left <= 0:
                    desk._check_plugged()
                    if desk._card is None:
                        raise NoCard(f"no card on {name} within {timeout:g} s")
                    return EmulatedSession(desk, desk._card)

    def __enter__(self) -> EmulatedReader:
        return self

    def __exit__(self, *exc) -> None:
        pass


class EmulatedSession:
    """One connection to the card on the emulated reader; a card torn away is CardRemoved."""

    def __init__(self, desk: EmulatedDesk, card: Card) -> None:
        self.desk = desk
        self.card = card

    def transmit(self, apdu: bytes) -> Response:
        desk = self.desk
        with desk._changed:
            desk._check_plugged()
            if desk._card is not self.card:
                raise CardRemoved("the card left the reader")
            try:
                answer = self.card.execute(apdu)
            except ConnectionAbortedError:  # the emulator's card leaves the field mid-read
                desk._card = None
                raise CardRemoved("the card left the reader mid-read") from None
        return Response(answer[:-2], int.from_bytes(answer[-2:], "big"))

    def __enter__(self) -> EmulatedSession:
        return self

    def __exit__(self, *exc) -> None:
        self.card.reset()


def mynumber_card(
    face: np.ndarray,
    key: MyNumberKeyB,
    issuer: rsa.RSAPrivateKey,
    *,
    tries: int = 10,
    tear_after: int | None = None,
) -> MyNumberCard:
    """A My Number card whose chip holds ``face``, opened by ``key``, signed under ``issuer``."""
    files = personalise(chip_face(face), key.birth_date, key.expiry_year + "0101", issuer)
    return MyNumberCard(files, key.code(), tries=tries, tear_after=tear_after)
