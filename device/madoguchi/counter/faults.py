"""The one table from an error to what staff see: its message code, and the device it names.

An error carries its own ``code`` (:mod:`madoguchi.errors`, :mod:`madoguchi.chip.errors`); a few
mean something else on the ID photo's side than on the camera's (no face in the photo is fixed by
placing the card again; no face at the camera by asking the visitor to step in), and a device's
fault names the device, so :func:`fault_code` reads :data:`FAULTS` first, in order (subclasses
before their bases). The printer's faults never stop a transaction: they are notes on its result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from madoguchi.chip.errors import ChipError, WrongAccessCode
from madoguchi.errors import (
    AuditFileChanged,
    CameraGone,
    FaceError,
    HardwareError,
    MultipleFacesFound,
    NoFaceFound,
    PrinterError,
    PrinterOutOfPaper,
    ScannerGone,
)
from madoguchi.ui.messages import MESSAGES

Side = Literal["reference", "live"]

INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class Fault:
    """``error`` (on ``side``'s image, if given) is shown as message ``code`` (None: the error's own
    ``code``); ``device`` is the device it says is at fault (``madoguchi status`` keeps each device's
    last one)."""

    error: type[BaseException]
    code: str | None
    side: Side | None = None
    device: str | None = None


FAULTS: tuple[Fault, ...] = (
    Fault(NoFaceFound, "no_face_reference", side="reference"),
    Fault(NoFaceFound, "no_face_live", side="live"),
    Fault(MultipleFacesFound, "multiple_faces_reference", side="reference"),
    Fault(MultipleFacesFound, "multiple_faces_live", side="live"),
    Fault(ScannerGone, "scanner_gone", device="scanner"),
    Fault(CameraGone, "camera_gone", device="camera"),
    Fault(PrinterOutOfPaper, "printer_out_of_paper", device="printer"),
    Fault(PrinterError, "printer_error", device="printer"),
    Fault(AuditFileChanged, "audit_file_changed"),  # no slip: its record would not land in the file
    Fault(ChipError, None),  # the reader's faults too (ReaderGone is also a HardwareError)
    Fault(FaceError, None),
    Fault(HardwareError, "scanner_gone", side="reference", device="scanner"),
    Fault(HardwareError, "camera_gone", side="live", device="camera"),
)
"""The first row an error matches gives its code; anything else is an internal error."""

DEVICE_OF_CODE = {fault.code: fault.device for fault in FAULTS if fault.code and fault.device}
"""The device each fault code names: ``madoguchi status`` keeps each device's last fault."""


def fault_code(error: BaseException, side: Side) -> str:
    """The message code for ``error``, raised while working on ``side``'s image (or on the side the
    error itself names)."""
    if isinstance(error, FaceError) and error.side in ("reference", "live"):
        side = error.side  # type: ignore[assignment]
    if isinstance(error, WrongAccessCode) and error.tries_left is None:
        return "chip_code_refused"  # not sent again, or a card that does not count
    fault = next((f for f in FAULTS if isinstance(error, f.error) and f.side in (None, side)), None)
    code = None if fault is None else fault.code or getattr(error, "code", None)
    return code if code in MESSAGES else INTERNAL_ERROR


def fault_values(error: BaseException) -> dict[str, int | str | None]:
    """What the fault's message says besides its code: the tries a chip has left."""
    if isinstance(error, WrongAccessCode):
        return {"tries": error.tries_left}
    return {}
