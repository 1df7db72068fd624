"""The counter end to end on simulated devices: buttons pressed on mock pins, outputs read back.

The face engine and document steps are the marker doubles of ``daemon_doubles``; everything else
(state machine, screens, slips, printer bytes, audit record) is the real code.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time

import numpy as np
import pytest
from escpos.image import EscposImage

from daemon_doubles import FakeQuality, camera_frame, card_page, counter_settings, draw_face, marker_desk
from madoguchi.audit import RECORD_KEYS, AuditLog
from madoguchi.counter.state import BUSY_STATES, Event, State
from madoguchi.simulate.harness import Desk
from madoguchi.ui import screens
from madoguchi.ui.slip import render_slip

GENUINE, OTHER = 7, 9


@pytest.fixture
def desk(simulated_hardware, tmp_path):
    running = marker_desk(simulated_hardware, counter_settings(tmp_path))
    try:
        yield running
    finally:
        running.close()


def visit(desk: Desk, page=GENUINE, *people: int) -> None:
    """Put a card on the scanner and a visitor in front of the camera."""
    desk.put(card_page(page) if isinstance(page, int) else page)
    desk.show(camera_frame(*(people or (GENUINE,))))


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
    lcd = desk.frames[-1]
    expected = screens.result_screen(result, look=screens.Look(size=desk.hardware.display.size))
    assert np.array_equal(np.asarray(lcd.convert("RGB")), np.asarray(expected))

    slip = render_slip(
        result,
        municipality="テスト市",
        terminal_id="test-01",
        width_px=desk.hardware.printer.width_px,
        witness=(0, "0" * 12),  # the chain's head before the first record
    )
    assert slip.mode == "1"
    width_bytes, height, pixels = raster(desk.printed[-1])
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
    assert desk.appliance.engine.forgotten == 1  # the engine's interpreters were overwritten too


def test_impostor_is_below_threshold(desk):
    visit(desk, GENUINE, OTHER)
    desk.press("start")
    result = desk.next_report().result
    assert (result.code, result.score, result.at_or_above) == ("scored", 12.0, False)


BAD_INPUTS = {
    "blank_page": lambda desk: desk.put(None),
    "no_photo": lambda desk: desk.put(card_page(None)),
    "no_face_live": lambda desk: desk.show(camera_frame()),
    "multiple_faces_live": lambda desk: desk.show(camera_frame(GENUINE, OTHER)),
    "camera_gone": lambda desk: desk.unplug("camera"),
    "scanner_gone": lambda desk: desk.unplug("scanner"),
}


@pytest.mark.parametrize("code", BAD_INPUTS)
def test_bad_input_is_shown_and_next_visitor_is_served(desk, code):
    visit(desk)
    BAD_INPUTS[code](desk)
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == code
    assert report.result.score is None
    assert code in report.shown and report.slip_printed
    lcd = np.asarray(desk.frames[-1].convert("RGB"))
    assert np.array_equal(
        lcd, np.asarray(screens.result_screen(report.result, look=screens.Look(size=lcd.shape[1::-1])))
    )
    assert audit_lines(desk)[-1]["outcome"] == code

    desk.plug("camera")
    desk.plug("scanner")
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.code == "scored"


def test_printer_out_of_paper_keeps_the_score_on_screen(desk):
    desk.paper(out=True)
    visit(desk)
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == "scored" and not report.slip_printed
    assert report.result.notes[0] == "printer_out_of_paper"
    assert audit_lines(desk)[-1]["slip_printed"] is False

    desk.paper(out=False)
    visit(desk)
    desk.press("start")
    assert desk.next_report().slip_printed


def test_cancel_during_capture(simulated_hardware, tmp_path):
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path, capture_seconds=10.0))
    try:
        visit(desk)
        started = time.monotonic()
        desk.press("start")
        desk.wait_for(State.CAPTURING)
        desk.press("cancel")
        report = desk.next_report()
        assert report.result.code == "cancelled"
        assert time.monotonic() - started < 5
        assert audit_lines(desk)[-1]["outcome"] == "cancelled"
    finally:
        desk.close()


def test_power_cut_mid_transaction_leaves_an_interrupted_record(simulated_hardware, tmp_path):
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path, capture_seconds=10.0))
    at_the_cut = tmp_path / "at-the-cut"
    at_the_cut.mkdir()
    try:
        visit(desk)
        desk.press("start")
        desk.wait_for(State.CAPTURING)
        # The power goes now: what is on disk at this moment is all the next start will find.
        for name in ("audit.jsonl", "audit.jsonl.open"):
            shutil.copy(tmp_path / name, at_the_cut / name)
    finally:
        desk.press("cancel")
        desk.close()
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
    desk.wait_for(BUSY_STATES)
    desk.press("start")
    report = desk.next_report()
    assert report.result.code == "scored"
    assert "busy_press" in report.shown  # the second press was answered on the screen
    desk.settle()
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
        desk = marker_desk(simulated_hardware, config)
        try:
            visit(desk)
            desk.press("start")
            assert desk.next_report().result.number == expected
        finally:
            desk.close()


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
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path))
    try:
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.code == "scored"
        assert camera.frames
        assert all(not frame.any() for frame in camera.frames)
    finally:
        desk.close()


class PressingPrinter:
    """The simulated printer, with START pressed while each slip prints."""

    def __init__(self, printer) -> None:
        self.printer = printer
        self.desk: Desk | None = None

    @property
    def width_px(self) -> int:
        return self.printer.width_px

    def print_slip(self, slip) -> None:
        assert self.desk is not None
        self.desk.counter.submit(Event.START)
        self.printer.print_slip(slip)

    def close(self) -> None:
        self.printer.close()


def test_start_pressed_while_reporting_is_answered_not_acted_on(simulated_hardware, tmp_path):
    printer = PressingPrinter(simulated_hardware.printer)
    hardware = dataclasses.replace(simulated_hardware, printer=printer)
    desk = printer.desk = marker_desk(hardware, counter_settings(tmp_path))
    try:
        visit(desk)
        desk.press("start")
        report = desk.next_report()
        assert report.result.code == "scored" and "busy_press" in report.shown
        desk.settle()
        assert desk.reports.empty() and desk.events.state is State.IDLE
        assert np.array_equal(
            np.asarray(desk.frames[-1]),
            np.asarray(
                screens.result_screen(
                    report.result, notice="busy_press", look=screens.Look(size=desk.display.size)
                )
            ),
        )
    finally:
        desk.close()


def test_mode_pressed_at_the_result_switches_the_mode(desk):
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.mode == "card"
    desk.press("mode")
    desk.settle()
    assert desk.counter.snapshot().mode == "form"
    idle = screens.idle_screen("form", mode_button=True)
    assert np.array_equal(np.asarray(desk.frames[-1]), np.asarray(idle))


def test_capture_guidance_is_shown_and_noted(desk):
    far = draw_face(np.full((480, 640, 3), 90, np.uint8), GENUINE, (300, 200, 360, 280))  # a small face
    desk.put(card_page(GENUINE))
    desk.show(far)
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
    desk = marker_desk(simulated_hardware, settings, assess=glare_on_the_card)
    try:
        visit(desk)
        desk.press("start")
        report = desk.next_report()
        assert report.result.code == code
        assert "remove_glare" in report.result.notes  # on the screen and the slip either way
        assert (report.result.score is None) == (policy == "rescan")
        assert audit_lines(desk)[-1]["outcome"] == code
    finally:
        desk.close()
