"""Decode a chip's face image in memory (JPEG, or JPEG 2000 through Pillow's OpenJPEG plug-in).

The encoded bytes are zeroed once decoded, so the only copy left is the array the engine wipes with
the rest of the transaction. Nothing is written to disk or logged. Only Pillow's JPEG and JPEG 2000
decoders are offered the bytes (a chip's image is one or the other), and whatever they raise on
malformed data is a ChipDataError.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image, features

from madoguchi.chip.errors import FOREIGN_ERRORS, ChipDataError

MAX_PIXELS = 4096 * 4096
FORMATS = ("JPEG", "JPEG2000")
DECODER_ERRORS = (
    OSError,
    SyntaxError,
    EOFError,
    ZeroDivisionError,
    struct.error,
    Image.DecompressionBombError,
)
"""Besides FOREIGN_ERRORS, what Pillow's decoders raise on a broken file (``UnidentifiedImageError``
is an OSError)."""


def jpeg2000_supported() -> bool:
    return bool(features.check("jpg_2000"))


def decode(encoded: bytearray) -> np.ndarray:
    """RGB uint8 array of the image in ``encoded``; ``encoded`` is zeroed whatever happens."""
    stream = io.BytesIO(encoded)
    try:
        with Image.open(stream, formats=FORMATS) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ChipDataError("the chip image is implausibly large")
            if image.format == "JPEG2000" and not jpeg2000_supported():
                raise ChipDataError("Pillow was built without OpenJPEG: cannot decode JPEG 2000")
            return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    except ChipDataError:
        raise
    except (*DECODER_ERRORS, *FOREIGN_ERRORS) as error:
        raise ChipDataError(f"the chip image does not decode: {type(error).__name__}") from error
    finally:
        encoded[:] = bytes(len(encoded))
        with stream.getbuffer() as copy:  # BytesIO keeps its own copy of the bytes
            copy[:] = bytes(len(copy))
        stream.close()
