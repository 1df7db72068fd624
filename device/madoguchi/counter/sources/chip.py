"""The photo in a My Number card's IC chip, opened with 照合番号B keyed in by staff: the ``chip`` mode.

Which key: only the My Number card (個人番号カード) is served at the counter. Its 照合番号B is
printed on the card's front (birth date, expiry year, security code). With ``read_code = "scan"``
(the default) the front is scanned first and the code read from it (:mod:`madoguchi.document.card_code`,
Tesseract in memory): a field the reader is not sure of stays blank. Staff then see the code on the
LCD (:class:`madoguchi.counter.keypad.Keypad`), key in what is blank (USB keypad, or the three
buttons), confirm it with START, and only then is it sent, once: no code goes out that was neither
read surely nor keyed in, and none unconfirmed. A page with no card, a scanner that is gone or no
Tesseract on the box leaves every digit blank, as with ``read_code = "keys"``. Passports (MRZ) and
residence cards (card number) need letters; :class:`~madoguchi.chip.ChipReader` reads them for
callers that have the key.

The code lives in this call only: the scanned page is wiped once read, the reader's and the
keypad's buffers are zeroed, the key object is dropped as soon as the card has been read, and none
of them is logged (Python strings cannot be zeroed; they are left to the garbage collector, which
the transaction's end runs).
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
from pydantic import ConfigDict, Field

from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.chip.reader import ChipReader
from madoguchi.chip.simulated import READER_NAME, EmulatedDesk
from madoguchi.chip.transport import PcscReader
from madoguchi.counter.outcome import SourceDetail
from madoguchi.counter.sources.base import CodeReader, Keypad, Progress, SourceKind, SourceParts
from madoguchi.counter.state import State
from madoguchi.errors import ConfigError, HardwareError, MadoguchiError
from madoguchi.hardware.base import Scanner
from madoguchi.language import Text
from madoguchi.privacy import TransactionMemory
from madoguchi.section import AbsolutePath, Section

log = logging.getLogger(__name__)

KEY_B_GROUPS = (6, 4, 4)
"""照合番号B: birth date YYMMDD, expiry year YYYY, security code."""


class ChipConfig(Section):
    """The IC chip as a third reference source."""

    model_config = ConfigDict(title="IC chip")

    enabled: bool = Field(
        default=False,
        title="IC chip source",
        description="Offer the chip mode (MODE cycles card → form → chip): the photo in a My Number "
        "card's chip, opened with 照合番号B keyed in by staff.",
    )
    driver: Literal["auto", "pcsc", "simulated"] = Field(
        default="auto",
        title="Reader driver",
        description="pcsc: a reader through pcscd; simulated: an in-process emulated card on an "
        "emulated reader; auto: simulated when hardware.kind is simulated, else pcsc.",
    )
    reader: str | None = Field(
        default=None,
        title="Reader name",
        description="The start of the reader's PC/SC name, e.g. 「Sony FeliCa Port/PaSoRi 4.0」; "
        "none: the first reader.",
        min_length=1,
        max_length=128,
    )
    csca_dir: AbsolutePath | None = Field(
        default=None,
        title="CSCA certificates",
        description="A directory of CSCA certificates (PEM or DER) for passports' passive authentication.",
    )
    jlis_keys: AbsolutePath | None = Field(
        default=None,
        title="J-LIS keys",
        description="A PEM file of J-LIS public keys or certificates for the My Number card's signature; "
        "none: the signature is checked but shown as not verified by a trusted issuer.",
    )
    card_timeout: float = Field(
        default=20.0,
        title="Card timeout",
        description="Seconds to wait for a card on the reader after the code is confirmed.",
        ge=1.0,
        le=120.0,
    )
    read_code: Literal["scan", "keys"] = Field(
        default="scan",
        title="照合番号B",
        description="scan: the card's front is scanned and the code read from it, for staff to confirm "
        "(what cannot be read surely is keyed in); keys: staff key it all in.",
    )
    face_dpi: int = Field(
        default=300,
        title="Card front resolution",
        description="DPI the card's front is scanned at.",
        ge=200,
        le=600,
    )

    def simulated(self, hardware_kind: str) -> bool:
        """Whether the reader is the emulated one for ``hardware_kind`` ("auto", "real", "simulated")."""
        return self.driver == "simulated" or (self.driver == "auto" and hardware_kind == "simulated")


class ChipSource:
    """The face image in the IC chip of the card on ``reader``, opened with a code from ``keypad``.

    Its detail is the last photo's signature check: verified, not verified (the photo is still
    scored; staff decide), or not checkable (no J-LIS key configured).
    """

    mode = "chip"
    rescannable = False

    def __init__(
        self,
        reader: ChipReader,
        keypad: Keypad | None,
        *,
        scanner: Scanner | None = None,
        code_reader: CodeReader | None = None,
        dpi: int = 300,
    ) -> None:
        self.reader = reader
        self.keypad = keypad
        self.scanner = scanner
        self.code_reader = code_reader
        self.dpi = dpi
        self._verified: bool | None = None

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray:
        self._verified = None
        if self.keypad is None:
            raise MadoguchiError("this IC chip source was built to be checked, not to read cards")
        prefill, notice = self._read_front(memory, progress)
        progress.enter(State.ENTERING_CODE)
        try:
            code = self.keypad.ask(
                "chip_code_prompt",
                sum(KEY_B_GROUPS),
                groups=KEY_B_GROUPS,
                hint="chip_code_prompt_hint",
                prefill=prefill,
                notice=notice,
            )
        finally:
            prefill[:] = bytes(len(prefill))
        key = MyNumberKeyB(code[:6], code[6:10], code[10:])
        del code
        progress.step(State.READING, "reading_chip", "reading_chip_hint")
        try:
            photo = self.reader.read_photo(key, between=progress.check)  # CANCEL stops the wait or the read
        finally:
            del key
        image = memory.keep(photo.image)
        self._verified = photo.verified
        log.info("chip photo from a %s card; signature %s (%s)", photo.document, photo.verified, photo.detail)
        return image

    def _read_front(self, memory: TransactionMemory, progress: Progress) -> tuple[bytearray, str | None]:
        """The code as read from the card's front ("_" where unsure) and what the entry screen says
        of it; all blank, and said so, when it could not be read at all."""
        blank = bytearray(b"_" * sum(KEY_B_GROUPS))
        if self.code_reader is None or self.scanner is None:
            return blank, None
        progress.step(State.SCANNING, "scanning_card_code", "scanning_card_code_hint")
        try:
            page = memory.keep(self.scanner.scan(dpi=self.dpi))
        except HardwareError as error:  # the chip is still readable: the code is keyed in
            log.warning("card front not scanned (%s): the code is keyed in", error)
            return blank, "chip_code_unread"
        try:
            with self.code_reader.read(page, dpi=self.dpi) as read:
                digits = bytearray(read.digits)
                sure = read.sure
        finally:
            memory.release(page)
        if sure:
            return digits, "chip_code_read"
        return digits, "chip_code_partial" if digits.strip(b"_") else "chip_code_unread"

    def detail(self) -> SourceDetail:
        check = {True: "chip_verified", False: "chip_not_verified", None: "chip_unchecked"}[self._verified]
        return SourceDetail(
            shown=(check,), alert=self._verified is not True, record={"chip_verified": self._verified}
        )

    def check(self) -> str:
        """The IC reader is attached and the trust anchors load; no card is read."""
        anchors = f"{len(self.reader.jlis_keys)} J-LIS keys, {len(self.reader.cscas)} CSCA certificates"
        front = "code read from the card's front" if self.code_reader is not None else "code keyed in"
        return f"{self.reader.check()}; {anchors}; {front}"


def make_reader(settings: ChipConfig, hardware_kind: str) -> ChipReader:
    """The reader the ``[chip]`` section asks for: pcscd's, or an emulated one (see ``driver``)."""
    transport = (
        EmulatedDesk(settings.reader or READER_NAME) if settings.simulated(hardware_kind) else PcscReader
    )
    try:
        return ChipReader(
            settings.reader,
            settings.csca_dir,
            jlis_keys=settings.jlis_keys,
            card_timeout=settings.card_timeout,
            transport=transport,
        )
    except (OSError, ValueError) as error:
        raise ConfigError(f"chip: cannot read the trust anchors: {error}") from None


def _build(settings: ChipConfig, parts: SourceParts) -> ChipSource | None:
    if not settings.enabled:
        return None
    code_reader = None
    if settings.read_code == "scan":
        try:
            code_reader = parts.code_reader()
        except MadoguchiError as error:  # e.g. no Tesseract on this box: staff key the code in
            log.warning("chip: the card's front cannot be read here (%s): the code is keyed in", error)
    reader = make_reader(settings, parts.hardware_kind)
    return ChipSource(
        reader, parts.keypad, scanner=parts.scanner, code_reader=code_reader, dpi=settings.face_dpi
    )


_TRY_AGAIN = Text(
    "もう一度開始してください。繰り返す場合は券面で確認してください",
    "Press START again; if it repeats, check the card by its face",
)
_CHIP_UNUSABLE = Text(
    "ICチップは使えません。券面で確認するか、市区町村の窓口で照合番号の再設定を案内してください",
    "The chip cannot be used: check the card by eye, or refer the holder to reset the code",
)

CHIP = SourceKind(
    mode="chip",
    title="mode_chip",
    instruction="place_chip",
    section=("chip", ChipConfig),
    build=_build,
    unavailable=lambda settings: None if settings.enabled else "chip needs [chip] enabled = true",
    device="IC reader",
    messages={
        "mode_chip": Text("ICチップ（マイナンバーカード）", "IC chip (My Number card)"),
        "place_chip": Text(
            "カードの表面を下にしてスキャナーに置き、開始ボタンを押してください（照合番号Bを読み取り、"
            "ICチップを読みます）",
            "Place the card face down on the scanner and press START (its code B is read, then its chip)",
        ),
        "chip_code_prompt": Text("照合番号Bの入力", "Card code B"),
        "chip_code_prompt_hint": Text(
            "カード表面の生年月日6桁・有効期限の西暦4桁・セキュリティコード4桁",
            "Birth date YYMMDD, expiry year YYYY, security code (card front)",
        ),
        "scanning_card_code": Text("カード表面を読み取っています", "Reading the card's front"),
        "scanning_card_code_hint": Text(
            "照合番号Bを読み取ります。カードの表面を下にしてスキャナーに置いてください",
            "Reading its code B: place the card face down on the scanner",
        ),
        "chip_code_read": Text(
            "カード表面から読み取りました。確かめて、開始ボタンで送信してください",
            "Read from the card's front: check it, then START sends it",
        ),
        "chip_code_partial": Text(
            "読み取れなかった数字を入力してください", "Key in the digits that could not be read"
        ),
        "chip_code_unread": Text(
            "カード表面から読み取れませんでした。照合番号Bを入力してください",
            "The card's front could not be read: key in code B",
        ),
        "reading_chip": Text("ICチップを読み取り中です", "Reading the IC chip"),
        "reading_chip_hint": Text(
            "カードをICカードリーダーに置いて、読み取りが終わるまで動かさないでください",
            "Put the card on the IC reader and keep it there until it has been read",
        ),
        # the photo's signature, beside the score
        "chip_verified": Text("ICチップ写真：署名を確認しました", "IC chip photo, signature verified"),
        "chip_not_verified": Text(
            "ICチップ写真：署名を確認できません（職員が判断）",
            "IC chip photo, signature NOT verified — staff decide",
        ),
        "chip_unchecked": Text(
            "ICチップ写真：署名の検証鍵が未設定です", "IC chip photo, signature not checked (no issuer key)"
        ),
        # faults (the codes of madoguchi.chip.errors)
        "chip_wrong_code": Text(
            "ICチップが照合番号を受け付けませんでした（残り{tries}回）",
            "The chip refused the code ({tries} tries left)",
        ),
        "chip_code_refused": Text(
            "この照合番号はICチップに受け付けられませんでした（再送していません）",
            "The chip refused this code (it was not sent again)",
        ),
        "chip_locked": Text("ICチップがロックされています", "The chip is locked"),
        "chip_few_tries": Text(
            "照合番号の残り回数が少ないため送信しませんでした",
            "Too few tries left on the card: the code was not sent",
        ),
        "chip_card_removed": Text(
            "読み取り中にカードが離れました", "The card left the reader during the read"
        ),
        "chip_no_card": Text("ICカードリーダーにカードがありません", "No card on the IC reader"),
        "chip_unsupported_card": Text(
            "このカードのICチップには対応していません", "This card's chip is not supported"
        ),
        "chip_bad_data": Text("ICチップのデータを読み取れませんでした", "The chip's data could not be read"),
        "chip_reader_gone": Text("ICカードリーダーが応答しません", "The IC card reader is not responding"),
        "chip_error": Text("ICチップを読み取れませんでした", "The chip could not be read"),
    },
    actions={
        "chip_wrong_code": Text(
            "カード表面の照合番号Bを確かめ、もう一度開始してください。同じ番号は送信しません",
            "Check code B on the card's front and press START again; the same code is never sent twice",
        ),
        "chip_code_refused": Text(
            "カード表面の照合番号Bを確かめ、正しい番号で開始し直してください",
            "Check code B on the card's front and start again with the right code",
        ),
        "chip_locked": _CHIP_UNUSABLE,
        "chip_few_tries": _CHIP_UNUSABLE,
        "chip_card_removed": Text(
            "カードをリーダーに置いたまま、もう一度開始してください",
            "Keep the card on the reader and press START again",
        ),
        "chip_no_card": Text(
            "カードをICカードリーダーに置いて、もう一度開始してください",
            "Put the card on the IC reader and press START again",
        ),
        "chip_unsupported_card": Text(
            "マイナンバーカードを置いてください。他のカードは券面で確認してください",
            "Use a My Number card; check other cards by their face",
        ),
        "chip_bad_data": _TRY_AGAIN,
        "chip_error": _TRY_AGAIN,
        "chip_reader_gone": Text(
            "ICカードリーダーのケーブルを確認してください",
            "Check the IC card reader's cable",
        ),
    },
)
