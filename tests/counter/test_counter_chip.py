"""The IC chip as the counter's third source, end to end on simulated devices.

The counter, the runner, the screens, the slip and the audit record are the real code; the IC
reader is :class:`madoguchi.chip.simulated.EmulatedDesk`, so the real reader code (SELECT, VERIFY,
READ BINARY, the signature check, JPEG 2000 decoding) runs against the emulator's cards. The face
engine is the marker double: the chip image is stored losslessly in colour so its marker survives.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
import time
from contextlib import closing
from dataclasses import dataclass

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from PIL import Image

from chip_cards.mynumber_cards import card_key, issuer_key, issuer_pem
from daemon_doubles import camera_frame, draw_face, marker_desk
from madoguchi import config as config_module
from madoguchi.audit import verify
from madoguchi.audit.record import record_from
from madoguchi.chip.emulator import FACE_SIZE, PIN_TRIES, MyNumberCard, personalise
from madoguchi.chip.mynumber import MyNumberKeyB
from madoguchi.counter.state import Event, State
from madoguchi.simulate.harness import Desk

GENUINE, OTHER = 7, 9
KEY = MyNumberKeyB("800101", "2034", "1234")
CODE = "80010120341234"
WRONG = "80010120349999"


def chip_card(person: int = GENUINE, *, signer: rsa.RSAPrivateKey | None = None, **card) -> MyNumberCard:
    """A My Number card whose chip holds ``person``'s marker face (lossless colour JPEG 2000)."""
    face = draw_face(np.full((FACE_SIZE[1], FACE_SIZE[0], 3), 255, np.uint8), person, (40, 50, 150, 200))
    encoded = io.BytesIO()
    Image.fromarray(face).save(encoded, "JPEG2000")  # reversible wavelet: lossless
    files = personalise(encoded.getvalue(), KEY.birth_date, "20340101", signer or issuer_key(), card_key())
    return MyNumberCard(files, KEY.code(), **card)


class ForeignCard:
    """A contactless card without the 券面事項確認AP (a transit or bank card): every SELECT fails."""

    def reset(self) -> None:
        pass

    def execute(self, apdu: bytes) -> bytes:
        return bytes.fromhex("6A82")


@pytest.fixture
def desk(simulated_hardware, tmp_path):
    with closing(chip_desk(simulated_hardware, tmp_path)) as running:
        yield running


def chip_desk(simulated_hardware, tmp_path, *, card_timeout: float = 1.0, **counter) -> Desk:
    """The marker desk in chip mode; ``counter`` overrides keys of its [counter] section."""
    keys = tmp_path / "jlis.pem"
    keys.write_bytes(issuer_pem())
    config = config_module.parse(
        {
            "counter": {
                "municipality": "テスト市",
                "terminal_id": "test-01",
                "threshold": 60,
                "capture_seconds": 0.3,
                "mode": "chip",
                "decisions": False,  # START at a result starts the next visitor
                **counter,
            },
            "hardware": {"kind": "simulated"},
            "storage": {"audit_path": str(tmp_path / "audit.jsonl")},
            "chip": {"enabled": True, "jlis_keys": str(keys), "card_timeout": card_timeout},
        }
    )
    return marker_desk(simulated_hardware, config)


def serve(desk: Desk, code: str = CODE, card=None, visitor: int = GENUINE):
    """START, key in ``code``, and the report; ``card`` is put on the reader first."""
    if card is not None:
        desk.tap(card)
    desk.show(camera_frame(visitor))
    desk.press("start")
    desk.enter_code(code)
    return desk.next_report()


def audit_lines(desk: Desk) -> list[dict]:
    return [json.loads(line) for line in desk.config.storage.audit_path.read_text().splitlines()]


def test_genuine_visitor_against_the_verified_chip_photo(desk, caplog):
    caplog.set_level(logging.DEBUG)
    report = serve(desk, card=chip_card())
    result = report.result
    assert (result.code, result.score, result.mode) == ("scored", 91.5, "chip")
    assert result.detail.record["chip_verified"] is True and result.detail.shown == ("chip_verified",)
    assert "chip_code_prompt" in report.shown and "reading_chip" in report.shown
    assert "busy_press" not in report.shown  # every press during entry was the keypad's
    assert report.slip_printed
    line = audit_lines(desk)[-1]
    assert (line["source"], line["chip_verified"], line["outcome"]) == ("chip", True, "scored")
    assert verify(desk.config.storage.audit_path).ok
    # the code is never logged nor recorded
    assert CODE not in caplog.text and CODE not in desk.config.storage.audit_path.read_text()


def test_someone_else_than_the_chip_photo_scores_below(desk):
    result = serve(desk, card=chip_card(OTHER), visitor=GENUINE).result
    assert (
        result.code == "scored"
        and result.at_or_above is False
        and result.detail.record["chip_verified"] is True
    )


def test_signature_that_does_not_verify_is_scored_and_shown_as_not_verified(desk):
    result = serve(desk, card=chip_card(signer=rsa.generate_private_key(65537, 2048))).result
    assert result.code == "scored" and result.score == 91.5
    assert result.detail.record["chip_verified"] is False and result.detail.shown == ("chip_not_verified",)
    assert audit_lines(desk)[-1]["chip_verified"] is False


def test_wrong_code_says_tries_left_and_is_never_sent_again(desk):
    card = chip_card()
    first = serve(desk, WRONG, card=card).result
    assert (first.code, first.values["tries"], first.score) == ("chip_wrong_code", 9, None)
    assert card.tries == 9
    desk.settle()
    again = serve(desk, WRONG).result
    assert again.code == "chip_code_refused" and card.tries == 9  # not sent to the card
    assert "tries" not in audit_lines(desk)[-1]
    desk.settle()
    assert serve(desk).result.code == "scored"  # the right code still opens it


@pytest.mark.parametrize(
    ("card", "code"),
    [
        (lambda: chip_card(tries=0), "chip_locked"),
        (lambda: chip_card(tries=2), "chip_few_tries"),
        (lambda: chip_card(tear_after=1), "chip_card_removed"),
        (lambda: ForeignCard(), "chip_unsupported_card"),
        (lambda: None, "chip_no_card"),
    ],
    ids=["locked", "few_tries", "removed_mid_read", "unsupported", "no_card"],
)
def test_chip_failures_are_reported_and_the_counter_serves_on(desk, card, code):
    placed = card()
    report = serve(desk, card=placed)
    assert report.result.code == code and report.result.score is None
    if isinstance(placed, MyNumberCard) and code != "chip_card_removed":
        assert placed.tries in (0, 2)  # nothing was sent to a card with too few tries
    assert audit_lines(desk)[-1]["outcome"] == code
    desk.settle()
    assert serve(desk, card=chip_card()).result.code == "scored"


def test_bad_chip_data_is_reported(desk):
    card = MyNumberCard(
        personalise(b"not an image", KEY.birth_date, "20340101", issuer_key(), card_key()), KEY.code()
    )
    assert serve(desk, card=card).result.code == "chip_bad_data"


def test_reader_unplugged_is_reported_and_recovers(desk):
    desk.tap(chip_card())
    desk.unplug("chip")
    assert serve(desk).result.code == "chip_reader_gone"
    desk.plug("chip")
    desk.settle()
    assert serve(desk).result.code == "scored"


def test_cancel_during_entry_sends_nothing(desk):
    card = chip_card()
    desk.tap(card)
    desk.press("start")
    desk.wait_for(State.ENTERING_CODE)
    for _ in range(3):
        desk.press("mode")
    desk.press("cancel")
    report = desk.next_report()
    assert report.result.code == "cancelled" and card.tries == 10 and card.reads == 0


def test_a_code_left_half_entered_is_wiped_and_the_transaction_cancelled(simulated_hardware, tmp_path):
    with closing(chip_desk(simulated_hardware, tmp_path, code_seconds=2.0)) as desk:
        card = chip_card()
        desk.tap(card)
        desk.press("start")
        desk.wait_for(State.ENTERING_CODE)
        desk.press("mode")  # one digit keyed, then nobody presses anything
        report = desk.next_report()
        assert report.result.code == "cancelled" and card.tries == 10 and card.reads == 0
        assert serve(desk, card=card).result.code == "scored"  # and the next visitor is served


def test_cancel_while_waiting_for_the_card_ends_the_wait(simulated_hardware, tmp_path):
    with closing(chip_desk(simulated_hardware, tmp_path, card_timeout=60.0)) as desk:
        desk.show(camera_frame(GENUINE))
        desk.press("start")
        desk.enter_code(CODE)
        desk.wait_for(State.READING)  # no card on the reader
        desk.press("cancel")
        assert desk.next_report().result.code == "cancelled"  # not "no card" a minute later


@dataclass
class SlowCard(MyNumberCard):
    """A card that answers READ BINARY slowly, as a weak field or a long file does."""

    def execute(self, apdu: bytes) -> bytes:
        if apdu[1:2] == b"\xb0":
            time.sleep(0.05)
        return super().execute(apdu)


def test_cancel_during_the_read_stops_it_between_commands(desk):
    whole = chip_card()
    card = SlowCard(whole.files, whole.pin)
    desk.tap(card)
    desk.show(camera_frame(GENUINE))
    desk.press("start")
    desk.enter_code(CODE)
    desk.wait_for(State.READING)
    desk.press("cancel")
    assert desk.next_report().result.code == "cancelled"
    face_file_reads = len(whole.files[max(whole.files, key=lambda fid: len(whole.files[fid]))]) // 0xFF
    assert card.reads < face_file_reads  # stopped partway, not after the whole photo


def test_start_on_a_blank_digit_is_answered_and_mode_corrects_at_the_end(desk):
    desk.tap(chip_card())
    desk.show(camera_frame(GENUINE))
    desk.press("start")
    desk.wait_for(State.ENTERING_CODE)
    desk.press("start")  # the first digit is still blank
    desk.enter_code(WRONG, confirm=False)
    desk.press("mode")  # at the confirmation: back to the first digit
    for digit in range(14):  # step each digit on to the right code
        wanted, have = int(CODE[digit]), int(WRONG[digit])
        for _ in range((wanted - have) % 10):
            desk.press("mode")
        desk.press("start")
    desk.press("start")
    report = desk.next_report()
    assert "digit_blank" in report.shown and report.result.code == "scored"


def test_mode_cycles_through_the_chip(desk):
    seen = []
    for _ in range(3):
        desk.press("mode")
        desk.settle()
        seen.append(desk.counter.snapshot().mode)
    assert seen == ["card", "form", "chip"]


def test_records_written_before_the_new_fields_still_parse():
    old = {
        "number": 1,
        "time": "2026-11-25T09:41:05+09:00",
        "terminal_id": "t",
        "mode": "card",
        "threshold": 60,
        "outcome": "scored",
        "score": 72.6,
        "at_or_above": True,
        "messages": [],
        "slip_printed": True,
        "prev": "0" * 64,
        "epoch": None,
        "seal": None,
    }
    record = record_from(old)
    assert record.source is None and record.chip_verified is None


def test_selftest_checks_the_reader(desk):
    checks = {check.name: check for check in desk.appliance.checks.selftest(scan=False, print_slip=False)}
    reader = checks["IC reader"]
    assert reader.ok is True and reader.detail.startswith("Madoguchi Emulated Reader 00 00; 1 J-LIS keys")


def printed_card(person: int = GENUINE) -> tuple[np.ndarray, MyNumberCard]:
    """A scanned card front whose printed 照合番号B the reader reads surely, and the emulated chip
    that opens with it (holding ``person``'s marker face); skipped without Tesseract."""
    from madoguchi.document.card_code import CardCodeReader
    from madoguchi.errors import MadoguchiError
    from madoguchi.synthetic.card_faces import card_scan

    try:
        reader = CardCodeReader()
    except MadoguchiError as error:
        pytest.skip(f"no card-face reader here: {error}")
    try:
        for seed in range(40):  # the reader is sure of about half the tuning family's fronts
            page, printed = card_scan("gothic", seed, today=datetime.date.today())
            with reader.read(page, dpi=printed.conditions.dpi) as read:
                if read.sure and read.digits.decode() == printed.holder.key_b:
                    break
        else:
            pytest.fail("no card front in 40 that the reader is sure of")
    finally:
        reader.close()
    holder = printed.holder
    key = MyNumberKeyB(f"{holder.birth:%y%m%d}", f"{holder.expiry.year:04d}", holder.security_code)
    face = draw_face(np.full((FACE_SIZE[1], FACE_SIZE[0], 3), 255, np.uint8), person, (40, 50, 150, 200))
    encoded = io.BytesIO()
    Image.fromarray(face).save(encoded, "JPEG2000")
    files = personalise(
        encoded.getvalue(), key.birth_date, f"{holder.expiry:%Y%m%d}", issuer_key(), card_key()
    )
    return page, MyNumberCard(files, key.code())


def test_the_code_read_from_the_card_front_is_sent_with_one_press(desk):
    """The front scanned, its code read surely: staff see it and send it with START; nothing keyed."""
    page, card = printed_card()
    desk.put(page)
    desk.tap(card)
    desk.show(camera_frame(GENUINE))
    desk.press("start")
    desk.wait_for(State.ENTERING_CODE)
    desk.counter.submit(Event.START)  # the confirmation: the code shown is sent, once
    report = desk.next_report()
    assert (report.result.code, report.result.detail.record["chip_verified"]) == ("scored", True)
    assert {"scanning_card_code", "chip_code_read", "reading_chip"} <= set(report.shown)
    assert card.tries == PIN_TRIES  # the one code sent was right: no try used up


def test_a_front_that_cannot_be_read_leaves_every_digit_to_key_in(desk):
    """A blank glass (the card already on the reader): nothing read, nothing guessed."""
    report = serve(desk, card=chip_card())
    assert report.result.code == "scored" and "chip_code_unread" in report.shown


def test_the_usb_keypad_keys_the_code_in(tmp_path):
    from madoguchi.config.hardware import HardwareConfig
    from madoguchi.hardware.factory import make_hardware

    hardware = make_hardware(HardwareConfig(kind="simulated", keypad={"driver": "mock"}))
    try:
        with closing(chip_desk(hardware, tmp_path)) as desk:
            desk.tap(chip_card())
            desk.show(camera_frame(GENUINE))
            desk.press("start")
            desk.wait_for(State.ENTERING_CODE)
            keys = hardware.keypad.device  # type: ignore[union-attr]
            for key in ("9", "backspace", *CODE, "enter"):  # a slip corrected, the code, then send
                keys.press(key)
            report = desk.next_report()
            assert report.result.code == "scored" and report.result.detail.record["chip_verified"] is True
            assert "busy_press" not in report.shown
            keys.press("5")  # outside an entry a key means nothing
            desk.settle()
            assert desk.reports.empty()
    finally:
        hardware.close()
