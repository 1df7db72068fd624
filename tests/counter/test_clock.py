"""An implausible clock (the image's boot check says so) is shown and noted, never stamped silently."""

from __future__ import annotations

import json

import numpy as np

from daemon_doubles import camera_frame, card_page, counter_settings, marker_desk
from madoguchi import clock
from madoguchi.ui.screens import Look, idle_screen

GENUINE = 7


def test_the_clock_checks_verdict_is_read_bounded(tmp_path):
    status = tmp_path / "status"
    assert clock.clock_problem(status) is None  # no check ran: nothing known against the clock
    status.write_text("ok\n")
    assert clock.clock_problem(status) is None
    status.write_text("implausible: before the image was built (2026-11-01)\n")
    assert clock.clock_problem(status) == "before the image was built (2026-11-01)"
    status.write_bytes(b"implausible: " + b"\xff" * 10_000)  # damaged: read bounded, still a verdict
    assert clock.clock_problem(status) is not None


def test_an_implausible_clock_is_on_the_idle_screen_the_slip_and_the_record(simulated_hardware, tmp_path):
    config = counter_settings(tmp_path)
    desk = marker_desk(simulated_hardware, config, clock_problem=lambda: "before the image was built")
    try:
        expected = idle_screen("card", mode_button=True, notice="clock_implausible", look=Look())
        assert np.array_equal(np.asarray(desk.frames[-1]), np.asarray(expected))
        desk.put(card_page(GENUINE))
        desk.show(camera_frame(GENUINE))
        desk.press("start")
        report = desk.next_report()
        assert report.result.code == "scored" and report.result.notes[0] == "clock_implausible"
        (record,) = [json.loads(line) for line in config.storage.audit_path.read_text().splitlines()]
        assert "clock_implausible" in record["messages"]
    finally:
        desk.close()
