"""The photo in a My Number card's IC chip, opened with 照合番号B keyed in by staff: the ``chip`` mode.

Which key: only the My Number card (個人番号カード) is served at the counter. Its 照合番号B is
printed on the card's front (birth date, expiry year, security code); staff holding the card key
it in (:class:`madoguchi.counter.keypad.Keypad`), confirm it with START, and only then is it sent,
once. Nothing is guessed or prefilled. Passports (MRZ) and residence cards (card number) need
letters, which three buttons cannot key in sensibly; :class:`~madoguchi.chip.ChipReader` reads them
for callers that have the key.

The code lives in this call only: the keypad zeroes its buffer, the key object is dropped as soon as
the card has been read, and neither is logged (Python strings cannot be zeroed; they are left to the
garbage collector, which the transaction's end runs).
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
from madoguchi.counter.sources.base import Keypad, Progress, SourceKind, SourceParts
from madoguchi.counter.state import State
from madoguchi.errors import ConfigError, MadoguchiError
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

    def __init__(self, reader: ChipReader, keypad: Keypad | None) -> None:
        self.reader = reader
        self.keypad = keypad
        self._verified: bool | None = None

    def acquire(self, memory: TransactionMemory, progress: Progress) -> np.ndarray:
        self._verified = None
        if self.keypad is None:
            raise MadoguchiError("this IC chip source was built to be checked, not to read cards")
        progress.enter(State.ENTERING_CODE)
        code = self.keypad.ask(
            "chip_code_prompt", sum(KEY_B_GROUPS), groups=KEY_B_GROUPS, hint="chip_code_prompt_hint"
        )
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

    def detail(self) -> SourceDetail:
        check = {True: "chip_verified", False: "chip_not_verified", None: "chip_unchecked"}[self._verified]
        return SourceDetail(
            shown=(check,), alert=self._verified is not True, record={"chip_verified": self._verified}
        )

    def check(self) -> str:
        """The IC reader is attached and the trust anchors load; no card is read."""
        anchors = f"{len(self.reader.jlis_keys)} J-LIS keys, {len(self.reader.cscas)} CSCA certificates"
        return f"{self.reader.check()}; {anchors}"


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
    return ChipSource(make_reader(settings, parts.hardware_kind), parts.keypad)


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
            "カードをICカードリーダーに置き、開始ボタンを押して照合番号Bを入力してください",
            "Put the card on the IC reader, press START and key in its code B",
        ),
        "chip_code_prompt": Text("照合番号Bの入力", "Card code B"),
        "chip_code_prompt_hint": Text(
            "カード表面の生年月日6桁・有効期限の西暦4桁・セキュリティコード4桁",
            "Birth date YYMMDD, expiry year YYYY, security code (card front)",
        ),
        "reading_chip": Text("ICチップを読み取り中です", "Reading the IC chip"),
        "reading_chip_hint": Text("カードをリーダーから動かさないでください", "Keep the card on the reader"),
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
