"""What staff do between visitors, through the real counter on simulated devices: their decision on
a score (one press while it is on screen, once), the staff menu (reprint, the day slip), and the
slips that say what happened (no slip for a cancel)."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import time
from datetime import datetime, timedelta, timezone

import pytest

from daemon_doubles import camera_frame, card_page, counter_settings, marker_desk
from madoguchi.audit.figures import read_figures
from madoguchi.audit.files import Files
from madoguchi.counter.calls import Call
from madoguchi.counter.menu import ITEMS, MENU_SECONDS
from madoguchi.counter.state import State
from madoguchi.ops.tally import Tally
from madoguchi.simulate.harness import Desk

GENUINE, OTHER = 7, 9
NOW = datetime(2026, 11, 25, 10, 30, 15, tzinfo=timezone(timedelta(hours=9)))


class Clock:
    """The counter's monotonic clock, which a test may move on (the result and menu times)."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.ahead


class FailingWrites(Files):
    """A disk whose writes fail (an I/O error) once ``failing``; its free space still looks fine, so the
    counter serves on until a write is refused."""

    failing = False

    def write(self, fd: int, data: bytes) -> int:
        if self.failing:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return super().write(fd, data)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def staff_desk(hardware, tmp_path, clock: Clock, *, options: dict | None = None, **counter) -> Desk:
    """The marker desk with staff's decision on, ``clock`` and the wall clock at NOW."""
    config = counter_settings(tmp_path, decisions=True, **counter)
    return marker_desk(hardware, config, clock=clock, now=lambda: NOW, **(options or {}))


@pytest.fixture
def desk(simulated_hardware, tmp_path, clock):
    running = staff_desk(simulated_hardware, tmp_path, clock)
    try:
        yield running
    finally:
        running.close()


def visit(desk: Desk, *people: int) -> None:
    desk.put(card_page(GENUINE))
    desk.show(camera_frame(*(people or (GENUINE,))))


def served(desk: Desk, *people: int):
    """One visitor, from START to the result on screen: the report."""
    visit(desk, *people)
    desk.press("start")
    report = desk.next_report()
    desk.settle()
    return report


def records(desk: Desk) -> list[dict]:
    return [json.loads(line) for line in desk.config.storage.audit_path.read_text().splitlines()]


def pressed(desk: Desk, *buttons: str) -> None:
    for button in buttons:
        desk.press(button)
        desk.settle()


def presenter(desk: Desk):
    return desk.appliance.checks.presenter()


@pytest.mark.parametrize(
    ("button", "decision"), [("start", "issued"), ("mode", "second_check"), ("cancel", "refused")]
)
def test_one_press_at_a_score_records_staff_decision(desk, button, decision):
    report = served(desk)
    assert desk.frames[-1].tobytes() == presenter(desk).result(report.result).tobytes()
    pressed(desk, button)
    scored, decided = records(desk)
    assert (decided["outcome"], decided["about"], decided["decision"]) == (
        "decision",
        scored["number"],
        decision,
    )
    assert (decided["score"], decided["at_or_above"], decided["messages"]) == (None, None, [])
    assert (decided["terminal_id"], decided["time"]) == ("test-01", NOW.isoformat(timespec="seconds"))
    confirmation = presenter(desk).decided(report.result, decision)
    assert desk.frames[-1].tobytes() == confirmation.tobytes()
    restarted = Tally(desk.config.storage.audit_path, today=NOW.date)  # `status` after a restart
    assert dict(restarted.outcomes) == {"scored": 1}

    visit(desk)
    desk.press("start")  # START on the confirmation: the next visitor
    assert desk.next_report().result.number == decided["number"] + 1


def test_a_decision_is_taken_once(desk):
    served(desk)
    pressed(desk, "mode", "mode")  # the decision, then MODE as ever: the next mode
    assert [record["outcome"] for record in records(desk)] == ["scored", "decision"]
    assert desk.counter.mode == "form"
    assert desk.frames[-1].tobytes() == presenter(desk).idle("form").tobytes()


def test_after_the_result_time_a_press_is_an_ordinary_one(desk, clock):
    served(desk)
    clock.ahead += desk.config.counter.result_seconds
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.number == 2
    assert [record["outcome"] for record in records(desk)] == ["scored", "scored"]


def test_a_result_without_a_score_offers_no_decision(desk):
    desk.put(card_page(None))
    desk.press("start")
    assert desk.next_report().result.code == "no_photo"
    desk.settle()
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.code == "scored"
    assert all(record["outcome"] != "decision" for record in records(desk))


def test_with_decisions_off_start_at_a_score_serves_the_next_visitor(simulated_hardware, tmp_path, clock):
    desk = marker_desk(simulated_hardware, counter_settings(tmp_path), clock=clock)
    try:
        report = served(desk)
        footer = presenter(desk).result(report.result)
        assert (
            footer.tobytes()
            != dataclasses.replace(presenter(desk), decisions=True).result(report.result).tobytes()
        )
        visit(desk)
        desk.press("start")
        assert desk.next_report().result.number == 2
    finally:
        desk.close()


def test_a_decision_the_record_cannot_keep_is_said_and_the_counter_goes_out_of_service(
    simulated_hardware, tmp_path, clock
):
    disk = FailingWrites()
    desk = staff_desk(simulated_hardware, tmp_path, clock, options={"audit_files": disk})
    try:
        report = served(desk)
        disk.failing = True
        desk.press("start")
        desk.wait_for(State.OUT_OF_SERVICE)
        shown = [frame.tobytes() for frame in desk.frames]
        assert presenter(desk).decided(report.result, "issued", recorded=False).tobytes() in shown
        assert [record["outcome"] for record in records(desk)] == ["scored"]
    finally:
        disk.failing = False
        desk.close()


def test_cancel_between_visitors_opens_the_staff_menu(desk):
    pressed(desk, "cancel")
    assert desk.frames[-1].tobytes() == presenter(desk).menu(ITEMS, 0, last=None).tobytes()
    pressed(desk, "mode", "mode")
    assert desk.frames[-1].tobytes() == presenter(desk).menu(ITEMS, 2, last=None).tobytes()
    pressed(desk, "mode", "start")  # back on the first item: a reprint, with nothing printed yet
    notice = presenter(desk).menu(ITEMS, 0, last=None, notice="nothing_to_reprint")
    assert desk.frames[-1].tobytes() == notice.tobytes()
    pressed(desk, "cancel")  # leaves
    idle = presenter(desk).idle("card")
    deadline = time.monotonic() + 10
    while desk.frames[-1].tobytes() != idle.tobytes() and time.monotonic() < deadline:
        desk.counter.submit(Call(lambda: None))  # the loop shows the idle screen once it has nothing to do
        desk.settle()
    assert desk.frames[-1].tobytes() == idle.tobytes()
    assert desk.slips == [] and records(desk) == []
    visit(desk)
    desk.press("start")
    assert desk.next_report().result.number == 1  # the menu is closed: START serves a visitor


def test_the_menu_closes_by_itself(desk, clock):
    pressed(desk, "cancel")
    clock.ahead += MENU_SECONDS
    pressed(desk, "mode")  # not the menu's any more: MODE switches the mode
    assert desk.counter.mode == "form"
    assert desk.frames[-1].tobytes() == presenter(desk).idle("form").tobytes()


def test_the_last_slip_is_printed_again_after_the_paper_ran_out(desk):
    desk.paper(out=True)
    report = served(desk)
    assert not report.slip_printed and report.result.notes[0] == "printer_out_of_paper"
    pressed(desk, "start")  # staff issue the card: the result was on screen
    desk.paper(out=False)
    pressed(desk, "cancel")
    assert desk.frames[-1].tobytes() == presenter(desk).menu(ITEMS, 0, last=1).tobytes()
    pressed(desk, "start")
    unprinted = dataclasses.replace(report.result, notes=report.result.notes[1:])
    expected = presenter(desk).slip(unprinted, witness=(0, "0" * 12), reprinted_at=NOW)
    assert [slip.tobytes() for slip in desk.slips] == [expected.tobytes()]
    assert desk.frames[-1].tobytes() == presenter(desk).menu_done("reprinted", transaction=1).tobytes()
    reprint = records(desk)[-1]
    assert (reprint["outcome"], reprint["about"], reprint["slip_printed"], reprint["score"]) == (
        "reprint",
        1,
        True,
        None,
    )
    pressed(desk, "cancel", "start")  # again: the same slip, the same witness
    assert desk.slips[-1].tobytes() == expected.tobytes()
    assert [record["outcome"] for record in records(desk)] == ["scored", "decision", "reprint", "reprint"]


def test_a_reprint_without_paper_says_so_and_is_recorded(desk):
    served(desk)
    pressed(desk, "start")
    desk.paper(out=True)
    pressed(desk, "cancel", "start")
    done = presenter(desk).menu_done("printer_out_of_paper", transaction=1)
    assert desk.frames[-1].tobytes() == done.tobytes()
    assert records(desk)[-1]["outcome"] == "reprint" and records(desk)[-1]["slip_printed"] is False


def test_the_day_slip_from_the_menu(desk):
    served(desk)
    pressed(desk, "start")  # issued
    served(desk, GENUINE, OTHER)  # two people at the camera: no score
    pressed(desk, "cancel", "mode", "start")
    figures = read_figures(desk.config.storage.audit_path, NOW.date(), NOW.date())
    assert (figures.total.transactions, figures.total.decided("issued")) == (2, 1)
    assert desk.slips[-1].tobytes() == presenter(desk).day_slip(figures, printed_at=NOW).tobytes()
    assert desk.frames[-1].tobytes() == presenter(desk).menu_done("day_printed", figures=figures).tobytes()


def test_a_cancelled_transaction_prints_no_slip(simulated_hardware, tmp_path, clock):
    desk = staff_desk(simulated_hardware, tmp_path, clock, capture_seconds=10.0)
    try:
        visit(desk)
        desk.press("start")
        desk.wait_for(State.CAPTURING)
        desk.press("cancel")
        report = desk.next_report()
        assert (report.result.code, report.slip_printed) == ("cancelled", False)
        assert desk.slips == [] and desk.printed == []
        (record,) = records(desk)
        assert (record["outcome"], record["slip_printed"]) == ("cancelled", False)
        desk.settle()
        pressed(desk, "cancel", "start")  # nothing to print again: a cancel has no slip
        notice = presenter(desk).menu(ITEMS, 0, last=None, notice="nothing_to_reprint")
        assert desk.frames[-1].tobytes() == notice.tobytes()
    finally:
        desk.close()
