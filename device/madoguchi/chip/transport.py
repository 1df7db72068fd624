"""PC/SC transport: a named reader through pcscd and pyscard, one card session at a time.

Only this module imports pyscard. Every PC/SC failure becomes one of :mod:`madoguchi.chip.errors`:
a card that leaves the field is :class:`CardRemoved`, a reader or pcscd that is gone is
:class:`ReaderGone`. ``transmit`` follows 61xx with GET RESPONSE and re-sends on 6Cxx (ISO 7816-4
§5.3.2/§5.6), so callers see one response per command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from madoguchi.chip.apdu import Response, command
from madoguchi.chip.errors import CardRemoved, ChipError, NoCard, ReaderGone

POLL_MS = 250
MAX_RESPONSE_CHAIN = 256


class Channel(Protocol):
    """What the document readers need from a card session."""

    def transmit(self, apdu: bytes) -> Response: ...


class Session(Channel, Protocol):
    def __enter__(self) -> Session: ...
    def __exit__(self, *exc) -> None: ...


def nothing() -> None:
    """The default ``between``: nothing to look at between polls or commands."""


class CheckedChannel:
    """``channel`` with ``between`` called before every command: the counter's check for CANCEL,
    so staff can stop a read halfway (its exception propagates; the session is closed as usual)."""

    def __init__(self, channel: Channel, between: Callable[[], None]) -> None:
        self.channel = channel
        self.between = between

    def transmit(self, apdu: bytes) -> Response:
        self.between()
        return self.channel.transmit(apdu)


class Transport(Protocol):
    """A reader, opened by name: :class:`PcscReader`, or an emulated one for the simulator."""

    def reader_name(self) -> str: ...
    def wait_for_card(self, timeout: float, *, between: Callable[[], None] = nothing) -> Session: ...
    def __enter__(self) -> Transport: ...
    def __exit__(self, *exc) -> None: ...


def _scard():
    try:
        from smartcard import scard
    except ImportError as error:  # the `chip` extra is not installed
        raise ReaderGone("pyscard is not installed (pip install madoguchi[chip])") from error
    return scard


def _failed(scard, hresult: int, what: str) -> ChipError:
    """The named error for a PC/SC return code."""
    text = f"{what}: {scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"
    removed = {
        scard.SCARD_W_REMOVED_CARD,
        scard.SCARD_E_NO_SMARTCARD,
        scard.SCARD_W_RESET_CARD,
        scard.SCARD_W_UNPOWERED_CARD,
        scard.SCARD_W_UNRESPONSIVE_CARD,
        scard.SCARD_E_NOT_TRANSACTED,
        scard.SCARD_E_COMM_DATA_LOST,
    }
    if hresult in removed:
        return CardRemoved(text)
    return ReaderGone(text)


class PcscReader:
    """A contactless (or contact) reader known to pcscd.

    ``name`` picks the reader whose PC/SC name starts with it; None takes the first reader.

    >>> with PcscReader("Sony FeliCa Port/PaSoRi 4.0") as reader:
    ...     with reader.wait_for_card(timeout=10) as card:
    ...         card.transmit(bytes.fromhex("00A4040C07A0000002471001"))
    """

    def __init__(self, name: str | None = None) -> None:
        self._scard = _scard()
        self.wanted = name
        hresult, self._context = self._scard.SCardEstablishContext(self._scard.SCARD_SCOPE_USER)
        if hresult != self._scard.SCARD_S_SUCCESS:
            raise _failed(self._scard, hresult, "pcscd is not available")
        self._closed = False

    def reader_name(self) -> str:
        """The full PC/SC name of the reader; ReaderGone if it is not attached."""
        scard = self._scard
        hresult, names = scard.SCardListReaders(self._context, [])
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_NO_READERS_AVAILABLE):
            raise _failed(scard, hresult, "cannot list card readers")
        for name in names or []:
            if self.wanted is None or name.startswith(self.wanted):
                return name
        raise ReaderGone(f"card reader {self.wanted or '(any)'} is not connected")

    def wait_for_card(self, timeout: float, *, between: Callable[[], None] = nothing) -> CardSession:
        """Block until a card is in the field (NoCard after ``timeout`` s) and connect to it;
        ``between`` is called every ``POLL_MS`` while waiting (and may raise to stop the wait)."""
        scard = self._scard
        name = self.reader_name()
        deadline = time.monotonic() + timeout
        states = [(name, scard.SCARD_STATE_UNAWARE)]
        while True:
            between()
            hresult, states = scard.SCardGetStatusChange(self._context, POLL_MS, states)
            if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_TIMEOUT):
                raise _failed(scard, hresult, f"reader {name}")
            state = states[0][1]
            if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                raise ReaderGone(f"card reader {name} went away")
            if state & scard.SCARD_STATE_PRESENT and not state & scard.SCARD_STATE_MUTE:
                return CardSession(scard, self._context, name)
            if time.monotonic() >= deadline:
                raise NoCard(f"no card on {name} within {timeout:g} s")
            states = [(name, state & ~scard.SCARD_STATE_CHANGED)]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._scard.SCardReleaseContext(self._context)

    def __enter__(self) -> PcscReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class CardSession:
    """One connection to the card on a reader; ``close()`` resets the card (leaving no open session)."""

    def __init__(self, scard, context, reader: str) -> None:
        self._scard = scard
        hresult, self._card, self._protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_EXCLUSIVE, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise _failed(scard, hresult, f"cannot connect to the card on {reader}")
        self._closed = False

    def transmit(self, apdu: bytes) -> Response:
        data, sw = self._raw(apdu)
        if sw >> 8 == 0x6C:  # wrong Le: the card says how many bytes it has
            data, sw = self._raw(apdu[:-1] + bytes([sw & 0xFF]))
        chained = bytearray(data)
        for _ in range(MAX_RESPONSE_CHAIN):
            if sw >> 8 != 0x61:
                break
            more, sw = self._raw(command(apdu[0] & 0x03, 0xC0, 0, 0, le=(sw & 0xFF) or 256))
            chained += more
        return Response(bytes(chained), sw)

    def _raw(self, apdu: bytes) -> tuple[bytes, int]:
        hresult, answer = self._scard.SCardTransmit(self._card, self._protocol, list(apdu))
        if hresult != self._scard.SCARD_S_SUCCESS:
            raise _failed(self._scard, hresult, "the card did not answer")
        if len(answer) < 2:
            raise CardRemoved("the card answered without a status word")
        return bytes(answer[:-2]), (answer[-2] << 8) | answer[-1]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._scard.SCardDisconnect(self._card, self._scard.SCARD_RESET_CARD)

    def __enter__(self) -> CardSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
