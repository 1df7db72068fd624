"""Paper sizes and the millimetre-pixel conversion, for the scanner, the photo locator and the simulators."""

from __future__ import annotations

MM_PER_INCH = 25.4

ID1_MM = (85.6, 53.98)
"""Width and height of an ID-1 card (ISO/IEC 7810) such as the My Number card."""
A4_MM = (210.0, 297.0)
A5_MM = (148.0, 210.0)
FORM_PHOTO_MM = (35.0, 45.0)
"""Width and height of the photo glued on an application form."""


def mm_to_px(mm: float, dpi: float) -> int:
    """The whole number of pixels ``mm`` millimetres span at ``dpi``."""
    return round(mm / MM_PER_INCH * dpi)
