"""What can go wrong reading an ID card's chip; each error carries the message ``code`` staff see.

Every class is a :class:`madoguchi.errors.MadoguchiError` and also the built-in it resembles, as in
:mod:`madoguchi.errors`. None of them ever carries data read from the chip.

:func:`bad_data` is the edge where what a library raises on malformed chip bytes (Python's own
``ValueError``, ``IndexError`` …, cryptography's ``InvalidVersion``, ``UnsupportedAlgorithm`` …)
becomes a :class:`ChipDataError`; the parsers and verifiers run their work inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cryptography import exceptions as crypto_errors
from cryptography import x509

from madoguchi.errors import HardwareError, MadoguchiError


class ChipError(MadoguchiError):
    """Root of the chip reader's errors."""

    code = "chip_error"


class WrongAccessCode(ChipError, PermissionError):
    """The card refused the access key (BAC or VERIFY). Nothing was retried.

    ``tries_left`` is what the card reported (ISO 7816-4 SW 63Cx), or None when the card does not say
    (an eMRTD's BAC has no counter).
    """

    code = "chip_wrong_code"

    def __init__(self, message: str, *, tries_left: int | None = None) -> None:
        super().__init__(message)
        self.tries_left = tries_left


class AccessLocked(ChipError, PermissionError):
    """The card's retry counter is spent (SW 6983 or 63C0): only the issuer can reset it."""

    code = "chip_locked"


class CardRemoved(ChipError, ConnectionError):
    """The card left the reader's field before the read finished; nothing read is kept."""

    code = "chip_card_removed"


class NoCard(ChipError, TimeoutError):
    """No card came onto the reader in time."""

    code = "chip_no_card"


class UnsupportedCard(ChipError, ValueError):
    """The card does not hold the application asked for (or any we read)."""

    code = "chip_unsupported_card"


class ChipDataError(ChipError, ValueError):
    """The chip answered with data that does not parse (or a secure-messaging MAC that fails)."""

    code = "chip_bad_data"


class ReaderGone(ChipError, HardwareError):
    """The reader is not connected (unplugged, or pcscd not running)."""

    code = "chip_reader_gone"


FOREIGN_ERRORS: tuple[type[Exception], ...] = (
    ValueError,  # also UnicodeDecodeError and int()'s digit limit
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    crypto_errors.UnsupportedAlgorithm,
    crypto_errors.InternalError,
    crypto_errors.InvalidKey,
    x509.InvalidVersion,
    x509.DuplicateExtension,
    x509.ExtensionNotFound,
    x509.UnsupportedGeneralNameType,
    x509.AttributeNotFound,
)
"""What Python and cryptography raise on bytes that are not what they should be."""


@contextlib.contextmanager
def bad_data(what: str) -> Iterator[None]:
    """Run a parse of chip bytes: a library's error on malformed input becomes ChipDataError naming
    ``what`` and the error's type (never its text, which may quote the bytes)."""
    try:
        yield
    except ChipError:
        raise
    except FOREIGN_ERRORS as error:
        raise ChipDataError(f"{what} does not parse ({type(error).__name__})") from error
