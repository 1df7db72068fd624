"""ICAO 9303 eMRTD reading on the real PC/SC stack: pcscd + vpcd, with vsmartcard's ePass (vicc) as
the independent implementation of BAC and secure messaging on the card side."""

from __future__ import annotations

import numpy as np
import pytest

from chip_cards import documents, fixtures, stack
from chip_cards.mynumber_cards import mynumber_card
from faces import LFW, astronaut
from madoguchi.chip import (
    CardRemoved,
    ChipReader,
    MrzKey,
    ReaderGone,
    UnsupportedCard,
    WrongAccessCode,
    bac,
    icao,
)
from madoguchi.chip.files import read_tlv_file, select_application
from madoguchi.chip.image import jpeg2000_supported
from madoguchi.chip.transport import PcscReader

cards, pcscd = fixtures.cards, fixtures.pcscd
KEY = MrzKey("TR123456", "800101", "300101")


@pytest.fixture(scope="module")
def pki():
    return documents.TestPki()


@pytest.fixture
def card(cards):
    """Put vicc's ePass with ``files`` on vpcd's reader: ``card(files)``."""

    def put(files):
        cards.append(stack.start_epass(files))
        return cards[-1]

    return put


@pytest.fixture
def csca_dir(tmp_path, pki):
    (tmp_path / "csca.pem").write_bytes(pki.csca_pem())
    return tmp_path


def reference_face() -> np.ndarray:
    """An LFW face (../shared) when present, else scikit-image's astronaut, cropped to the head."""
    people = sorted(LFW.glob("images/*/*.jpg"))[:1] if LFW.exists() else []
    if people:
        from PIL import Image

        with Image.open(people[0]) as image:
            return np.asarray(image.convert("RGB"))[50:200, 60:190]
    return astronaut()[20:220, 150:330]


def passport(pki, face: np.ndarray, kind: str = "jpeg", key: MrzKey = KEY):
    encoded = documents.encoded_face(face, kind)
    dg1 = documents.dg1(documents.td3_mrz(key))
    dg2 = documents.dg2(encoded, face.shape[1], face.shape[0], jpeg2000=kind != "jpeg")
    return {
        icao.EF_COM: documents.ef_com(),
        icao.EF_DG1: dg1,
        icao.EF_DG2: dg2,
        icao.EF_SOD: pki.sod({1: dg1, 2: dg2}),
    }


def test_reads_and_verifies_the_face(card, pki, csca_dir):
    face = reference_face()
    card(passport(pki, face))
    photo = ChipReader(stack.READER, csca_dir).read_photo(KEY)
    assert photo.document == "passport"
    assert photo.verified is True, photo.detail
    assert photo.image.dtype == np.uint8 and photo.image.shape == face.shape
    assert np.abs(photo.image.astype(int) - face).mean() < 8  # the same picture, through JPEG
    assert "face" not in repr(photo) and "array" not in repr(photo)


@pytest.mark.skipif(not jpeg2000_supported(), reason="Pillow without OpenJPEG")
def test_jpeg2000_face_without_csca_is_checked_but_not_vouched_for(card, pki):
    face = astronaut()[20:220, 150:330]
    card(passport(pki, face, "jpeg2000"))
    photo = ChipReader(stack.READER).read_photo(KEY)
    assert photo.verified is None and "no CSCA" in photo.detail
    assert photo.image.shape == face.shape
    assert np.abs(photo.image.astype(int) - face).mean() < 12


def test_swapped_photo_does_not_verify_and_is_still_shown(card, pki, csca_dir):
    genuine = passport(pki, astronaut()[20:220, 150:330])
    forged_face = np.ascontiguousarray(astronaut()[250:450, 150:330])
    forged = passport(pki, forged_face)
    genuine[icao.EF_DG2] = forged[icao.EF_DG2]  # the SOD still hashes the genuine DG2
    card(genuine)
    photo = ChipReader(stack.READER, csca_dir).read_photo(KEY)
    assert photo.verified is False
    assert "DG2" in photo.detail
    assert photo.image.shape == forged_face.shape


def test_signer_from_an_unknown_csca_does_not_verify(card, pki, tmp_path):
    (tmp_path / "other.pem").write_bytes(documents.TestPki("Other CSCA").csca_pem())
    card(passport(pki, astronaut()[20:220, 150:330]))
    photo = ChipReader(stack.READER, tmp_path).read_photo(KEY)
    assert photo.verified is False and "CSCA" in photo.detail


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(documents.with_invalid_point, id="invalid-ec-point"),
        pytest.param(lambda der: documents.with_version(der, 7), id="bad-version"),
    ],
)
def test_a_broken_signer_certificate_is_read_and_not_verified(card, pki, csca_dir, broken):
    """Issue 22: the counter got an exception (internal_error) here; it must score with "not verified"."""
    face = astronaut()[20:220, 150:330]
    files = passport(pki, face)
    groups = {1: files[icao.EF_DG1], 2: files[icao.EF_DG2]}
    files[icao.EF_SOD] = pki.sod(groups, ds_der=broken(pki.ds_der()))
    card(files)
    photo = ChipReader(stack.READER, csca_dir).read_photo(KEY)
    assert photo.verified is False and "Document Signer" in photo.detail, photo.detail
    assert photo.image.shape == face.shape


def test_wrong_mrz_is_refused_once_and_never_resent(card, pki):
    card(passport(pki, astronaut()[20:220, 150:330]))
    reader = ChipReader(stack.READER)
    wrong = MrzKey("TR123456", "800102", "300101")
    with pytest.raises(WrongAccessCode) as refused:
        reader.read_photo(wrong)
    assert refused.value.tries_left is None  # BAC has no retry counter
    with pytest.raises(WrongAccessCode, match="not sent again"):
        reader.read_photo(wrong)
    assert reader.read_photo(KEY).image.size  # the right key still opens the chip


def test_card_removed_mid_read(card, pki):
    process = card(passport(pki, astronaut()[20:220, 150:330]))
    with PcscReader(stack.READER) as reader, reader.wait_for_card(5) as session:
        select_application(session, icao.LDS1_AID, "eMRTD")
        secure = bac.authenticate(session, KEY)
        assert read_tlv_file(secure, icao.EF_COM)
        stack.remove_card(process)
        with pytest.raises(CardRemoved):
            read_tlv_file(secure, icao.EF_DG2)


def test_card_without_an_emrtd_application(cards):
    cards.append(stack.start_mynumber(mynumber_card()))
    with pytest.raises(UnsupportedCard):
        ChipReader(stack.READER).read_photo(KEY)


def test_reader_not_connected(pcscd):
    with pytest.raises(ReaderGone):
        ChipReader("No Such Reader").read_photo(KEY)


def test_pcscd_gone(pcscd):
    if not pcscd.owned:
        pytest.skip("pcscd was not started by these tests")
    pcscd.stop()
    try:
        with pytest.raises(ReaderGone):
            ChipReader(stack.READER).check()
    finally:
        pcscd.start()
    assert ChipReader(stack.READER).check() == stack.READER
