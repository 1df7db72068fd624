"""Fuzzing the chip's parsers and verifiers: on any bytes, their documented result, never a foreign
exception (issue 22: 13 of 20,000 mutated chip inputs escaped, and a broken passport chip became the
counter's ``internal_error``).

Valid inputs are built here (a passport's DG1, DG2 and EF.SOD under ECDSA, RSA and RSA-PSS Document
Signers; a My Number card's files; a residence card's photo; JPEG and JPEG 2000 faces) and mutated
structure-aware (:mod:`chip_inputs`). What each entry may do:

- ``tlv``, ``icao.mrz_of``/``tags_present``, ``biometric.face_image``, ``passive.parse_sod`` and
  ``passive.oid``: a value, or ChipDataError;
- ``passive.verify`` and ``mynumber.check_signature``: a Verification, never an exception;
- ``image.decode``: an RGB array or ChipDataError, the encoded bytes zeroed either way;
- ``ChipReader.read_photo`` on an emulated My Number or residence card whose files are mutated and
  whose answers are garbled: a ChipPhoto or a ChipError.

CI runs a few hundred inputs per harness (seconds). ``make fuzz-long`` (``MADOGUCHI_FUZZ_LONG=1
pytest -s tests/test_fuzz_chip.py``) runs over 100,000 in all and prints each harness's tally,
with its count of foreign exceptions.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from chip_cards import documents
from chip_cards.mynumber_cards import KEY_B, card_key, issuer_key, issuer_pem
from chip_inputs import Mutator, mutated_bytes, tree
from faces import astronaut
from fuzz_inputs import Tally, examples, seeds
from madoguchi.chip import ChipError, ChipPhoto, ChipReader, MrzKey, ResidenceCardKey, tlv
from madoguchi.chip.biometric import face_image
from madoguchi.chip.emulator import MyNumberCard, ResidenceCard, chip_face, personalise
from madoguchi.chip.errors import ChipDataError
from madoguchi.chip.icao import mrz_of, tags_present
from madoguchi.chip.image import decode
from madoguchi.chip.mynumber import EF_CERTIFICATE, EF_FACE_DATA, check_signature
from madoguchi.chip.passive import SignedObject, Verification, oid, parse_sod, verify
from madoguchi.chip.simulated import EmulatedDesk

MRZ_KEY = MrzKey("TR123456", "800101", "300101")
RESIDENCE_KEY = ResidenceCardKey("AB12345678CD")
FACE = np.ascontiguousarray(astronaut()[40:200, 170:310])


@dataclasses.dataclass(frozen=True)
class Passport:
    pki: documents.TestPki
    dg1: bytes
    dg2: bytes
    sod: bytes


def _dg2_39794(jpeg: bytes) -> bytes:
    """DG2 with an ISO/IEC 39794-5 block ('7F2E'): the image inside a DER record."""
    record = tlv.encode(0xA1, tlv.encode(0x80, b"\x01") + tlv.encode(0xA2, tlv.encode(0x80, jpeg)))
    template = tlv.encode(0x7F60, tlv.encode(0x7F2E, record))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + template))


@pytest.fixture(scope="module")
def faces() -> dict[str, bytes]:
    small = FACE[::2, ::2].copy()
    return {
        "jpeg": documents.encoded_face(small, "jpeg"),
        "jpeg2000": chip_face(small, (small.shape[1], small.shape[0]), grey=False),
        "grey jpeg2000": chip_face(small, (small.shape[1], small.shape[0])),
    }


@pytest.fixture(scope="module")
def passports(faces) -> list[Passport]:
    dg1 = documents.dg1(documents.td3_mrz(MRZ_KEY))
    height, width = FACE[::2, ::2].shape[:2]
    made = []
    for signer, face in zip(documents.SIGNERS, ("jpeg", "jpeg2000", "jpeg"), strict=True):
        pki = documents.TestPki(signer=signer)
        dg2 = documents.dg2(faces[face], width, height, jpeg2000=face != "jpeg")
        made.append(Passport(pki, dg1, dg2, pki.sod({1: dg1, 2: dg2})))
    dg2 = _dg2_39794(faces["jpeg"])
    made.append(Passport(made[0].pki, dg1, dg2, made[0].pki.sod({1: dg1, 2: dg2})))
    return made


@pytest.fixture(scope="module")
def mynumber_files(faces) -> dict[int, bytes]:
    return personalise(faces["grey jpeg2000"], KEY_B.birth_date, "20340101", issuer_key(), card_key())


def _is(kind: type):
    return lambda result: isinstance(result, kind)


def _verification(result: object) -> bool:
    return isinstance(result, Verification) and result.verified in (True, False, None) and bool(result.detail)


def _finish(tally: Tally, name: str) -> None:
    print(tally.summary(name))
    assert not tally.crashes, "\n".join(tally.crashes[:20])
    assert tally.outcomes["ok"] > 0  # the inputs reach the end too, not only the first check


def _tag_path(rng: np.random.Generator, data: bytes) -> tuple[int, ...]:
    """A path of tags into ``data``'s tree, as the readers ask for them."""
    path, nodes = [], tree(data)
    while nodes and len(path) < 20:
        node = nodes[int(rng.integers(len(nodes)))]
        if node.tag is None:
            break
        path.append(node.tag)
        nodes = node.children or []
        if rng.random() < 0.3:
            break
    return tuple(path)


def test_tlv(passports, mynumber_files):
    corpus = [p.sod for p in passports] + [passports[0].dg2, passports[0].dg1, documents.ef_com()]
    corpus += [*mynumber_files.values(), passports[0].pki.ds_der()]
    mutators = [Mutator(data, corpus) for data in corpus]
    tally = Tally(allowed=ChipDataError)
    for rng in seeds(examples(300, long=25_000), base=22_000):
        index = int(rng.integers(len(corpus)))
        mutant, path = mutators[index].mutant(rng), _tag_path(rng, corpus[index])
        data, about = mutant.data, f"input {index}: {mutant.description}"
        tally.run(f"items({about})", _is(list), lambda d: list(tlv.items(d)), data)
        tally.run(f"find({about}, {path})", _is(bytes), tlv.find, data, *path)
        tally.run(f"header_size({about})", _is(int), tlv.header_size, data)
    _finish(tally, "tlv")


def test_data_groups(passports):
    com = documents.ef_com()
    groups = [Mutator(passports[0].dg1), Mutator(com), *(Mutator(p.dg2, [com]) for p in passports)]
    mrz = passports[0].dg1
    tally = Tally(allowed=ChipDataError)
    for rng in seeds(examples(300, long=20_000), base=22_100):
        index = int(rng.integers(len(groups)))
        mutant = groups[index].mutant(rng)
        if index == 0:
            if rng.random() < 0.3:  # the MRZ's own bytes: not TLV
                inner = mutated_bytes(rng, tlv.find(mrz, 0x61, 0x5F1F))
                mutant = dataclasses.replace(mutant, data=tlv.encode(0x61, tlv.encode(0x5F1F, inner.data)))
            tally.run(f"mrz_of({mutant.description})", _is(str), mrz_of, mutant.data)
        elif index == 1:
            tally.run(f"tags_present({mutant.description})", _is(bytes), tags_present, mutant.data)
        else:
            tally.run(
                f"face_image(DG2 {index - 2}: {mutant.description})", _is(bytes), face_image, mutant.data
            )
    _finish(tally, "DG1, EF.COM, DG2")


def test_passive_authentication(passports):
    sods = [p.sod for p in passports]
    mutators = [Mutator(sod, sods) for sod in sods]
    certificates = [Mutator(p.pki.ds_der()) for p in passports]
    other = documents.TestPki("Other CSCA")
    parsed, verified = Tally(allowed=ChipDataError), Tally(allowed=())
    for rng in seeds(examples(300, long=30_000), base=22_200):
        index = int(rng.integers(len(passports)))
        passport = passports[index]
        if rng.random() < 0.25:  # the Document Signer's certificate, mutated on its own
            mutant = certificates[index].mutant(rng)
            sod, about = (
                passport.pki.sod({1: passport.dg1, 2: passport.dg2}, ds_der=mutant.data),
                "DS certificate",
            )
        else:
            mutant = mutators[index].mutant(rng)
            sod, about = mutant.data, "SOD"
        groups = {1: passport.dg1, 2: passport.dg2}
        if rng.random() < 0.1:
            groups[int(rng.choice([1, 2, 3, 14]))] = bytes(rng.integers(0, 256, 20, dtype=np.uint8))
        cscas = [None, [], [passport.pki.csca], [other.csca, passport.pki.csca]][int(rng.integers(4))]
        description = f"passport {index} ({passport.pki.signer}), {about}: {mutant.description}"
        parsed.run(description, _is(SignedObject), parse_sod, sod)
        verified.run(description, _verification, verify, sod, groups, cscas)
    print(parsed.summary("passive.parse_sod"))
    _finish(verified, "passive.verify")
    assert not parsed.crashes, "\n".join(parsed.crashes[:20])


def test_object_identifiers(passports):
    contents = sorted({node.value for node in _all_nodes(tree(passports[0].sod)) if node.tag == 0x06})
    tally = Tally(allowed=ChipDataError)
    for rng in seeds(examples(300, long=5_000), base=22_300):
        mutant = mutated_bytes(rng, contents[int(rng.integers(len(contents)))])
        tally.run(f"oid({mutant.data[:20].hex()}…: {mutant.description})", _is(str), oid, mutant.data)
    _finish(tally, "passive.oid")


def _all_nodes(nodes):
    for node in nodes:
        yield node
        yield from _all_nodes(node.children or [])


def test_mynumber_signatures(mynumber_files):
    face_data, certificate = mynumber_files[EF_FACE_DATA], mynumber_files[EF_CERTIFICATE]
    files = list(mynumber_files.values())
    face_mutator, certificate_mutator = Mutator(face_data, files), Mutator(certificate, files)
    issuer = issuer_key().public_key()
    stranger = card_key().public_key()
    tally = Tally(allowed=())
    for rng in seeds(examples(300, long=15_000), base=22_400):
        which = int(rng.integers(3))
        data = face_mutator.mutant(rng) if which != 1 else None
        cert = certificate_mutator.mutant(rng) if which != 0 else None
        keys = [[], [issuer], [stranger, issuer]][int(rng.integers(3))]
        about = f"face data: {data.description if data else '-'}"
        about += f"; certificate: {cert.description if cert else '-'}"
        tally.run(
            about,
            _verification,
            check_signature,
            data.data if data else face_data,
            cert.data if cert else certificate,
            keys,
        )
    _finish(tally, "mynumber.check_signature")


class GarblingCard:
    """A card whose answers are garbled at ``rate`` (data bytes flipped, cut or added, or a status
    word changed), as a hostile or failing chip might answer."""

    STATUS_WORDS = (b"\x61\x10", b"\x62\x82", b"\x63\xc1", b"\x6c\x05", b"\x90\x00", b"\x6a\x82")

    def __init__(self, card, rng: np.random.Generator, rate: float) -> None:
        self.card, self.rng, self.rate = card, rng, rate

    def reset(self) -> None:
        self.card.reset()

    def execute(self, apdu: bytes) -> bytes:
        answer = self.card.execute(apdu)
        if self.rng.random() >= self.rate:
            return answer
        data, sw = answer[:-2], answer[-2:]
        if self.rng.random() < 0.2:
            sw = self.STATUS_WORDS[int(self.rng.integers(len(self.STATUS_WORDS)))]
        else:
            data = mutated_bytes(self.rng, data).data
        return data + sw


def _photo(result: object) -> bool:
    return isinstance(result, ChipPhoto) and result.image.dtype == np.uint8 and result.image.ndim == 3


def test_reading_mutated_mynumber_cards(tmp_path, mynumber_files):
    (tmp_path / "jlis.pem").write_bytes(issuer_pem())
    desk = EmulatedDesk()
    mutators = {
        fid: Mutator(content, list(mynumber_files.values())) for fid, content in mynumber_files.items()
    }
    tally = Tally(allowed=ChipError)
    for rng in seeds(examples(100, long=4_000), base=22_500):
        files, about = dict(mynumber_files), []
        for fid, mutator in mutators.items():
            if rng.random() < 0.6:
                mutant = mutator.mutant(rng)
                files[fid] = mutant.data
                about.append(f"{fid:04X}: {mutant.description}")
        rate = float(rng.choice([0.0, 0.05, 0.3]))
        desk.tap(GarblingCard(MyNumberCard(files, KEY_B.code()), rng, rate))
        # a new reader each time: one remembers the keys a card refused and never sends them again
        reader = ChipReader(desk.name, jlis_keys=tmp_path / "jlis.pem", card_timeout=1, transport=desk)
        tally.run(f"{'; '.join(about)}; answers garbled at {rate}", _photo, reader.read_photo, KEY_B)
    _finish(tally, "ChipReader, My Number card")


def test_reading_mutated_residence_cards(faces):
    photo = tlv.encode(0xD1, faces["jpeg2000"])
    mutator = Mutator(photo)
    desk = EmulatedDesk()
    tally = Tally(allowed=ChipError)
    for rng in seeds(examples(100, long=4_000), base=22_600):
        mutant = mutator.mutant(rng) if rng.random() < 0.6 else mutated_bytes(rng, photo)
        card = ResidenceCard(RESIDENCE_KEY.card_number.encode(), mutant.data)
        rate = float(rng.choice([0.0, 0.1, 0.5]))
        desk.tap(GarblingCard(card, rng, rate))
        reader = ChipReader(desk.name, card_timeout=1, transport=desk)
        tally.run(
            f"photo: {mutant.description}; answers garbled at {rate}",
            _photo,
            reader.read_photo,
            RESIDENCE_KEY,
        )
    _finish(tally, "ChipReader, residence card")


def test_decoding_mutated_images(faces):
    images = list(faces.values())
    tally = Tally(allowed=ChipDataError)

    def decoded_and_wiped(encoded: bytearray) -> bool | np.ndarray:
        result = decode(encoded)
        return result if not any(encoded) else False

    for rng in seeds(examples(150, long=6_000), base=22_700):
        index = int(rng.integers(len(images)))
        mutant = mutated_bytes(rng, images[index])
        encoded = bytearray(mutant.data)
        tally.run(f"image {index}: {mutant.description}", _rgb, decoded_and_wiped, encoded)
        assert not any(encoded), "the encoded image was not zeroed"
    _finish(tally, "image.decode")


def _rgb(result: object) -> bool:
    return (
        isinstance(result, np.ndarray)
        and result.dtype == np.uint8
        and result.ndim == 3
        and result.shape[2] == 3
    )


def test_the_valid_inputs_verify(passports, mynumber_files):
    """The corpus is what it claims: every harness starts from inputs that pass."""
    for passport in passports:
        result = verify(passport.sod, {1: passport.dg1, 2: passport.dg2}, [passport.pki.csca])
        assert result.verified is True, (passport.pki.signer, result.detail)
        assert face_image(passport.dg2)
    face_data, certificate = mynumber_files[EF_FACE_DATA], mynumber_files[EF_CERTIFICATE]
    assert check_signature(face_data, certificate, [issuer_key().public_key()]).verified is True
