"""The counter end to end on simulated devices: buttons pressed on mock pins, outputs read back.

The face engine and document steps are the marker doubles of ``daemon_doubles``; everything else
(state machine, screens, slips, printer bytes, audit record) is the real code.
"""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest
from escpos.image import EscposImage

from daemon_doubles import Desk, FakeQuality, camera_frame, card_page, counter_settings, draw_face
from madoguchi import screens
from madoguchi.audit import RECORD_KEYS, AuditLog
from madoguchi.slip import render_slip
from madoguchi.transaction import Event, State

GENUINE, OTHER = 7, 9


@pytest.fixture
def desk(simulated_hardware, tmp_path):
    running = Desk(simulated_hardware, counter_settings(tmp_path))
    try:
        yield running
    finally:
        running.stop()


def visit(desk: Desk, page=GENUINE, *people: int) -> None:
    """Put a card on the scanner and a visitor in front of the camera."""
    desk.hardware.scanner.load([card_page(page) if isinstance(page, int) else page])
    desk.hardware.camera.load([camera_frame(*(people or (GENUINE,)))])


def raster(output: bytes) -> tuple[int, int, bytes]:
    """Width in bytes, total height and pixels of every GS v 0 raster image in ``output``."""
    width, height, pixels = 0, 0, b""
    at = output.find(b"\x1dv0")
    while at >= 0:
        x = output[at + 4] + 256 * output[at + 5]
        y = output[at + 6] + 256 * output[at + 7]
        width, height = x, height + y
        pixels += output[at + 8 : at + 8 + x * y]
        at = output.find(b"\x1dv0", at + 8 + x * y)
    return width, height, pixels


def audit_lines(desk: Desk) -> list[dict]:
    return [json.loads(line) for line in desk.config.storage.audit_path.read_text().splitlines()]


def test_genuine_visitor_gets_score_screen_slip_and_record(desk):
    visit(desk)
    desk.press("start")
    report = desk.next_report()

    result = report.result
    assert (result.code, result.score, result.at_or_above, report.slip_printed) == (
        "scored",
        91.5,
        True,
        True,
    )
    assert report.shown[:3] == ("scanning", "locating", "capturing")
    lcd = desk.hardware.display.device.image
    expected = screens.result_screen(result, size=desk.hardware.display.size)
    assert np.array_equal(np.asarray(lcd.convert("RGB")), np.asarray(expected))

    slip = render_slip(
        result, municipality="テスト市", terminal_id="test-01", width_px=desk.hardware.printer.width_px
    )
    assert slip.mode == "1"
    width_bytes, height, pixels = raster(desk.hardware.printer.printer.slips[-1])
    # The printer received exactly the slip rendered from the result (numbers and words, no image).
    assert (width_bytes * 8, height) == slip.size
    assert pixels == EscposImage(slip).to_raster_format()

    (record,) = audit_lines(desk)
    assert set(record) == RECORD_KEYS
    assert (record["number"], record["outcome"], record["score"], record["at_or_above"]) == (
        1,
        "scored",
        91.5,
        True,
    )
    assert desk.counter.engine.forgotten == 1  # the engine's interpreters were overwritten too


def test_impostor_is_below_threshold(desk):
    visit(desk, GENUINE, OTHER)
    desk.press("start")
    result = desk.next_report().result
    assert (result.code, result.score, result.at_or_above) == ("scored", 12.0, False)


BAD_INPUTS = {
    "blank_page": lambda hw: hw.scanner.load([None]),
    "no_photo": lambda hw: hw.scanner.load([card_page(None)]),
    "no_face_live": lambda hw: hw.camera.load([camera_frame()]),
    "multiple_faces_live": lambda hw: hw.camera.load([camera_frame(GENUINE, OTHER)]),
    "camera_gone": lambda hw: hw.camera.unplug(),
    "scanner_gone": lambda hw: hw.scanner.unplug(),
}


@pytest.mark.parametrize("code", BAD_INPUTS)
def test_bad_input_is_shown_and_next_visitor_is_served(desk, code):
    visit(desk)
    BAD_INPUTS[code](desk.hardware)
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == code
    assert report.result.score is None
    assert code in report.shown and report.slip_printed
    lcd = np.asarray(desk.hardware.display.device.image.convert("RGB"))
    assert np.array_equal(lcd, np.asarray(screens.result_screen(report.result, size=lcd.shape[1::-1])))
    assert audit_lines(desk)[-1]["outcome"] == code

    desk.hardware.camera.plug()
    desk.hardware.scanner.plug()
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.code == "scored"


def test_printer_out_of_paper_keeps_the_score_on_screen(desk):
    desk.hardware.printer.printer.paper = "out"
    visit(desk)
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == "scored" and not report.slip_printed
    assert report.result.notes[0] == "printer_out_of_paper"
    assert audit_lines(desk)[-1]["slip_printed"] is False

    desk.hardware.printer.printer.paper = "ok"
    visit(desk)
    desk.press("start")
    assert desk.next_report().slip_printed


def wait_for_state(desk: Desk, state: State, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while desk.counter.state is not state:
        assert time.monotonic() < deadline, f"counter never reached {state}"
        time.sleep(0.005)


def test_cancel_during_capture(simulated_hardware, tmp_path):
    desk = Desk(simulated_hardware, counter_settings(tmp_path, capture_seconds=10.0))
    try:
        visit(desk)
        started = time.monotonic()
        desk.press("start")
        wait_for_state(desk, State.CAPTURING)
        desk.press("cancel")
        report = desk.next_report()
        assert report.result.code == "cancelled"
        assert time.monotonic() - started < 5
        assert audit_lines(desk)[-1]["outcome"] == "cancelled"
    finally:
        desk.stop()


def test_power_cut_mid_transaction_leaves_an_interrupted_record(simulated_hardware, tmp_path):
    desk = Desk(simulated_hardware, counter_settings(tmp_path, capture_seconds=10.0))
    at_the_cut = tmp_path / "at-the-cut"
    at_the_cut.mkdir()
    try:
        visit(desk)
        desk.press("start")
        wait_for_state(desk, State.CAPTURING)
        # The power goes now: what is on disk at this moment is all the next start will find.
        for name in ("audit.jsonl", "audit.jsonl.open"):
            shutil.copy(tmp_path / name, at_the_cut / name)
    finally:
        desk.press("cancel")
        desk.stop()
    restarted = AuditLog.open(at_the_cut / "audit.jsonl")
    restarted.close()
    (record,) = [json.loads(line) for line in (at_the_cut / "audit.jsonl").read_text().splitlines()]
    assert (record["number"], record["outcome"], record["slip_printed"]) == (1, "interrupted", None)
    assert restarted.next_number() == 2
    # the counter that was not cut off recorded the same transaction as cancelled, and nothing is pending
    assert audit_lines(desk)[-1]["outcome"] == "cancelled"
    assert not (tmp_path / "audit.jsonl.open").exists()


def test_double_press_starts_one_transaction(desk):
    visit(desk)
    desk.press("start")
    time.sleep(0.06)
    desk.press("start")
    assert desk.next_report().result.code == "scored"
    time.sleep(0.6)
    assert desk.reports.empty()
    assert len(audit_lines(desk)) == 1


def test_mode_button_switches_to_form(desk):
    desk.press("mode")
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.mode == "form"


def test_transaction_numbers_continue_after_restart(simulated_hardware, tmp_path):
    config = counter_settings(tmp_path)
    for expected in (1, 2):
        desk = Desk(simulated_hardware, config)
        try:
            visit(desk)
            desk.press("start")
            assert desk.next_report().result.number == expected
        finally:
            desk.stop()


class KeepingCamera:
    """The simulated camera, keeping a reference to every frame it hands out."""

    def __init__(self, camera) -> None:
        self.camera = camera
        self.frames: list[np.ndarray] = []

    def read(self) -> np.ndarray:
        frame = self.camera.read()
        self.frames.append(frame)
        return frame

    def __getattr__(self, name: str):
        return getattr(self.camera, name)


def test_every_camera_frame_is_wiped(simulated_hardware, tmp_path):
    camera = KeepingCamera(simulated_hardware.camera)
    simulated_hardware.camera = camera
    desk = Desk(simulated_hardware, counter_settings(tmp_path))
    try:
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.code == "scored"
        assert camera.frames
        assert all(not frame.any() for frame in camera.frames)
    finally:
        desk.stop()


def test_start_pressed_while_reporting_is_dropped(simulated_hardware, tmp_path):
    desk = Desk(simulated_hardware, counter_settings(tmp_path))
    desk.counter.observers.insert(0, lambda report: desk.counter.post(Event.START))  # a press mid-report
    try:
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.code == "scored"
        time.sleep(0.5)
        assert desk.reports.empty() and desk.counter.state is State.IDLE
    finally:
        desk.stop()


def test_capture_guidance_is_shown_and_noted(desk):
    far = draw_face(np.full((480, 640, 3), 90, np.uint8), GENUINE, (300, 200, 360, 280))  # a small face
    desk.hardware.scanner.load([card_page(GENUINE)])
    desk.hardware.camera.load([far])
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == "scored"
    assert "move_closer" in report.shown and report.result.notes == ("move_closer",)


def glare_on_the_card(rgb, face, *, side):
    """The quality gate's verdict on a card photo with a reflection across it."""
    if side == "reference":
        return FakeQuality(0.2, False, ("remove_glare",))
    return FakeQuality(0.9, True, ())


@pytest.mark.parametrize(("policy", "code"), [("rescan", "poor_photo_quality"), ("note", "scored")])
def test_photo_failing_the_quality_gate_asks_for_a_rescan_or_is_noted(
    simulated_hardware, tmp_path, policy, code
):
    settings = counter_settings(tmp_path, reference_quality=policy)
    desk = Desk(simulated_hardware, settings, assess=glare_on_the_card)
    try:
        visit(desk)
        desk.press("start")
        report = desk.next_report()
        assert report.result.code == code
        assert "remove_glare" in report.result.notes  # on the screen and the slip either way
        assert (report.result.score is None) == (policy == "rescan")
        assert audit_lines(desk)[-1]["outcome"] == code
    finally:
        desk.stop()
