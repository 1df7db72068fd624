"""Reading an ICAO 9303 eMRTD (passport, or an ICAO-compliant card) over BAC.

Doc 9303 part 10: the LDS1 application (AID A0 00 00 02 47 10 01, §3.6.2) with EF.COM '011E',
EF.DG1 '0101' (MRZ, §4.7.1), EF.DG2 '0102' (face, §4.7.2) and EF.SOD '010D' (§4.6.2); access per
part 11 §4.3 (BAC). PACE (part 11 §4.4) is not implemented: chips that offer PACE must also offer
BAC until the end of the transition the spec allows, and every chip we can test against speaks BAC.
"""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.chip import bac, biometric, tlv
from madoguchi.chip.errors import ChipDataError
from madoguchi.chip.files import read_tlv_file, select_application
from madoguchi.chip.passive import Verification, verify
from madoguchi.chip.transport import Channel

LDS1_AID = bytes.fromhex("A0000002471001")
EF_COM, EF_DG1, EF_DG2, EF_SOD = 0x011E, 0x0101, 0x0102, 0x010D


@dataclass(frozen=True)
class TravelDocument:
    """What the counter needs from an eMRTD: the document code (e.g. "P"), the face image bytes,
    and the result of passive authentication."""

    document_code: str
    face: bytearray
    verification: Verification


def mrz_of(dg1: bytes) -> str:
    """The MRZ in DG1 (template '61', data element '5F1F'), as ASCII."""
    mrz = tlv.find(dg1, 0x61, 0x5F1F)
    try:
        return mrz.decode("ascii")
    except UnicodeDecodeError as error:
        raise ChipDataError("DG1 is not an MRZ") from error


def tags_present(com: bytes) -> bytes:
    """EF.COM's tag list (template '60', data element '5C'): the data groups the chip holds."""
    return tlv.find(com, 0x60, 0x5C)


def read(channel: Channel, key: bac.MrzKey, cscas) -> TravelDocument:
    """Select LDS1, run BAC once, read EF.COM, DG1, DG2 and EF.SOD, and check them."""
    select_application(channel, LDS1_AID, "ICAO eMRTD")
    secure = bac.authenticate(channel, key)
    com = read_tlv_file(secure, EF_COM)
    if 0x75 not in tags_present(com):
        raise ChipDataError("the chip holds no face (DG2)")
    dg1 = read_tlv_file(secure, EF_DG1)
    dg2 = read_tlv_file(secure, EF_DG2)
    face = bytearray(biometric.face_image(dg2))
    sod = read_tlv_file(secure, EF_SOD)
    return TravelDocument(mrz_of(dg1)[:2].rstrip("<"), face, verify(sod, {1: dg1, 2: dg2}, cscas))
