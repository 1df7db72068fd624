"""Every exception madoguchi raises on purpose, and the exit codes of its commands.

One root exception; each subclass also inherits the built-in it resembles (as gpiozero's exc.py).
An error that staff may see carries ``code``, the message code of :mod:`madoguchi.ui.messages`; the
one table from an error to what staff see is :mod:`madoguchi.counter.faults`. The IC chip's errors
live in :mod:`madoguchi.chip.errors`, under the same root.
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The exit status of every ``madoguchi`` command (sysexits.h where one fits)."""

    OK = 0
    FAILED = 1
    """A check failed (selftest, scan-test without a photo, privacy-check, audit verify...)."""
    USAGE = 2
    """An unknown option or a missing argument (argparse's own)."""
    AUDIT_WIPED = 66
    """EX_NOINPUT: the audit record, its state and its key are gone where a record was kept (a wipe);
    ``madoguchi audit setup-key --reinstall`` must record the reinstall first. Never restarted."""
    UNAVAILABLE = 69
    """EX_UNAVAILABLE: the daemon is not running, still serving a visitor, or refusing this user."""
    ALREADY_RUNNING = 75
    """EX_TEMPFAIL: another daemon already serves this audit record (``madoguchi run`` twice)."""
    CONFIG = 78
    """EX_CONFIG: the config file is invalid; systemd's RestartPreventExitStatus keeps it from looping."""
    CUT_OFF = 141
    """128 + SIGPIPE, as a shell says of a command whose reader went away (``| head``) before all its
    output was written; a command that had its answer says that instead."""


class MadoguchiError(Exception):
    """Root of every error madoguchi raises on purpose."""


class ConfigError(MadoguchiError, ValueError):
    """The configuration file is missing, unreadable or invalid."""


class FontNotFound(ConfigError, FileNotFoundError):
    """No font with Japanese glyphs is installed, or the configured one is missing or not a font."""


class ModelError(MadoguchiError, RuntimeError):
    """A model file is missing, corrupt or does not match MODELS.md."""


class FaceError(MadoguchiError, ValueError):
    """The image cannot be scored as it is; ``code`` says why in a word staff can act on.

    ``side`` is "reference" (the ID photo) or "live" (the camera) when the engine knows it.
    """

    code = "face"

    def __init__(self, message: str, *, side: str | None = None) -> None:
        super().__init__(message)
        self.side = side


class UnreadableImage(FaceError):
    code = "unreadable_image"


class NoFaceFound(FaceError):
    code = "no_face"


class MultipleFacesFound(FaceError):
    code = "multiple_faces"


class PhotoNotFound(FaceError):
    """No ID photo could be located on a scanned page (includes a blank page)."""

    code = "no_photo"


class PoorPhotoQuality(FaceError):
    """The ID photo was found but is not fit to compare as scanned (glare, blur, exposure)."""

    code = "poor_photo_quality"


class BlankPage(PhotoNotFound):
    code = "blank_page"


class SeveralPhotos(PhotoNotFound):
    code = "several_photos"


class PhotoTooSmall(PhotoNotFound):
    """The face on the page has too few pixels; ``needed_dpi`` is the scan resolution that would
    give it enough (the scanner can be asked for it while the document is still on the glass)."""

    code = "photo_too_small"

    def __init__(self, message: str, *, needed_dpi: int, side: str | None = None) -> None:
        super().__init__(message, side=side)
        self.needed_dpi = needed_dpi

    def rescan_dpi(self, dpi: int, highest: int) -> int | None:
        """The resolution to scan again at, after a scan at ``dpi`` with ``highest`` allowed: the one
        needed, or ``highest`` if it needs more; None when that is no higher than ``dpi``."""
        again = min(self.needed_dpi, highest)
        return again if again > dpi else None


class PhotoCutOff(PhotoNotFound):
    code = "photo_cut_off"


class PhotoRotated(PhotoNotFound):
    """The page is rotated beyond what deskewing can recover."""

    code = "photo_rotated"


class HardwareError(MadoguchiError, OSError):
    """A device failed; the transaction shows it and the daemon keeps serving."""


class DeviceNotFound(HardwareError):
    """The device is not connected, or its driver cannot find it; ``device`` says which, if known."""

    def __init__(self, message: str, *, device: str | None = None) -> None:
        super().__init__(message)
        self.device = device


class DeviceClosed(HardwareError):
    """The device was used after close()."""


class CameraGone(HardwareError):
    pass


class ScannerGone(HardwareError):
    pass


class PrinterError(HardwareError):
    pass


class PrinterOutOfPaper(PrinterError):
    pass


class AlreadyRunning(MadoguchiError, BlockingIOError):
    """Another daemon holds the lock on this audit record: one daemon per record."""


class Cancelled(MadoguchiError):
    """CANCEL was pressed, or the daemon is stopping, while a transaction ran."""


class NothingToReprint(MadoguchiError, LookupError):
    """No transaction's slip has been printed (or tried) since the daemon started: none to print again."""

    code = "nothing_to_reprint"


class Busy(MadoguchiError):
    """A technician's call was withdrawn: a visitor was being served longer than its caller would wait."""


class Unavailable(MadoguchiError):
    """No daemon answers on the control socket (not running, or the socket is missing)."""


class Refused(MadoguchiError):
    """The daemon answered a request with an error; ``code`` is one of the protocol's error codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ProtocolError(Refused):
    """A control message that breaks the protocol, answered with its ``code`` (bad_request...)."""


class AuditUnavailable(MadoguchiError, OSError):
    """No audit record can be kept now (disk full, read-only, I/O error); ``reason`` says why.

    No transaction may start while it lasts: a score without a record is not given.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"audit record unavailable: {reason}")
        self.reason = reason


class AuditFileChanged(AuditUnavailable):
    """The audit record's file changed under the daemon while it held it open: ``change`` is
    "deleted", "replaced", "truncated" or "grown" (by another writer); ``seen`` says what was found
    (inode, size, the size written, the last transaction number). Nothing more is written until
    :meth:`madoguchi.audit.AuditLog.recover` starts a new file with an ``audit_lost`` record.
    """

    def __init__(self, change: str, seen: str) -> None:
        super().__init__(f"record {change} while open ({seen})")
        self.change = change
        self.seen = seen


class AuditWiped(MadoguchiError, RuntimeError):
    """The audit record, its state and its sealing key are all gone where an install marker says a
    record was kept: a wipe, which the daemon must not answer by starting again at number 1.
    ``madoguchi audit setup-key --reinstall`` records the reinstall and lets it start."""
