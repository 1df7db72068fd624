"""The face image inside a data group's biometric data block.

ICAO Doc 9303 part 10 §4.7.2 (DG2): a Biometric Information Group Template '7F61' holds one
Biometric Information Template '7F60' per face, each with a Biometric Data Block: '5F2E' for an
ISO/IEC 19794-5:2005 facial record, '7F2E' for an ISO/IEC 39794-5 one (LDS 2 era).

ISO/IEC 19794-5:2005 §5.4–5.7: Facial Record Header (14 bytes: 'FAC\\0', version, record length,
number of faces), then per face a Facial Information block (20 bytes, its first 4 the block length
and the next 2 the number of feature points), feature points (8 bytes each), the Image Information
(12 bytes: type, data type 0 = JPEG / 1 = JPEG 2000, width, height, ...), then the image data.
For ISO/IEC 39794-5 the image sits in a DER-encoded record; we take it by its file signature.
"""

from __future__ import annotations

from madoguchi.chip import tlv
from madoguchi.chip.errors import ChipDataError

JPEG = b"\xff\xd8\xff"
JP2 = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
J2K = b"\xff\x4f\xff\x51"
FACIAL_HEADER = 14
FACIAL_INFO = 20
FEATURE_POINT = 8
IMAGE_INFO = 12


def face_image(data_group: bytes, outer_tag: int = 0x75) -> bytes:
    """The first face image (JPEG or JPEG 2000 bytes) of DG2 or an equivalent data group."""
    group = tlv.find(data_group, outer_tag, 0x7F61)
    for tag, template in tlv.items(group):
        if tag != 0x7F60:
            continue
        for inner_tag, block in tlv.items(template):
            if inner_tag == 0x5F2E:
                return iso19794_image(block)
            if inner_tag == 0x7F2E:
                return signed_image(block)
    raise ChipDataError("no face in the biometric data")


def iso19794_image(block: bytes) -> bytes:
    if block[:4] != b"FAC\x00" or len(block) < FACIAL_HEADER + FACIAL_INFO + IMAGE_INFO:
        raise ChipDataError("not an ISO/IEC 19794-5 facial record")
    info = FACIAL_HEADER
    points = int.from_bytes(block[info + 4 : info + 6], "big")
    start = info + FACIAL_INFO + points * FEATURE_POINT + IMAGE_INFO
    image = block[start:]
    if not image.startswith((JPEG, JP2, J2K)):
        raise ChipDataError("the facial record holds neither JPEG nor JPEG 2000")
    return image


def signed_image(block: bytes) -> bytes:
    """The image in a record we do not parse field by field, located by its JPEG / JPEG 2000 signature
    and bounded by the TLV that contains it."""
    for signature in (JPEG, JP2, J2K):
        start = block.find(signature)
        if start >= 0:
            return block[start:]
    raise ChipDataError("no JPEG or JPEG 2000 image in the biometric data block")
