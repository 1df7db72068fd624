"""The control socket in front of a counter in this process (simulate.harness.Desk): what a visitor
sees when a technician asks during a transaction, the slip after `config set`, the group check."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from control_daemon import ask_as, require_engine
from madoguchi.audit.record import digest
from madoguchi.config import load
from madoguchi.config.hardware import HardwareConfig
from madoguchi.counter.state import State
from madoguchi.errors import Refused
from madoguchi.hardware.factory import make_hardware
from madoguchi.ops.control.client import ask
from madoguchi.ops.control.server import ControlServer, bind
from madoguchi.simulate.harness import Desk

TECH_GID = 4242


class HeldScanner:
    """The simulated scanner, holding each scan until the test lets it go."""

    def __init__(self, scanner) -> None:
        self.scanner = scanner
        self.go = threading.Event()

    def scan(self, *, dpi: int):
        self.go.wait(60)
        return self.scanner.scan(dpi=dpi)

    def load(self, pages) -> None:
        self.scanner.load(pages)

    def close(self) -> None:
        self.scanner.close()


@pytest.fixture
def counter_with_socket():
    """A Desk (the real counter on simulated devices) with a held scanner and its control socket,
    in a directory others may reach, so that a user outside the group meets the daemon's check."""
    require_engine()
    from madoguchi.engine import FaceEngine

    where = Path(tempfile.mkdtemp(prefix="madoguchi-counter-"))
    where.chmod(0o711)
    config_path = where / "config.toml"
    config_path.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        "result_seconds = 600\n"
        f'[hardware]\nkind = "simulated"\n[storage]\naudit_path = "{where / "audit.jsonl"}"\n'
    )
    config = load(config_path)
    hardware = make_hardware(HardwareConfig(kind="simulated"))
    held = HeldScanner(hardware.scanner)
    desk = Desk(
        config,
        FaceEngine.load(),
        hardware=dataclasses.replace(hardware, scanner=held),
        config_path=config_path,
    )
    socket_path = where / "control.sock"
    server = ControlServer(
        desk.appliance,
        bind(socket_path, None),
        tech_gid=TECH_GID,
        wait_seconds=0.5,
    )
    server.start()
    socket_path.chmod(0o666)
    try:
        yield desk, held, socket_path, config_path
    finally:
        held.go.set()
        server.close()
        desk.close()
        hardware.close()
        shutil.rmtree(where)


def test_a_change_asked_during_a_transaction_is_answered_busy_and_never_made(counter_with_socket):
    desk, held, path, config_path = counter_with_socket
    desk.press("start")
    desk.wait_for(State.SCANNING)
    for command, arguments in (("config_set", {"key": "threshold", "value": "70"}), ("status", {})):
        with pytest.raises(Refused) as busy:  # even a reading waits for the step under way to end
            ask(command, path=path, **arguments)
        assert busy.value.code == "busy"
    held.go.set()
    report = desk.next_report()
    desk.settle()
    assert report.result.threshold == 60 and "busy_press" not in report.shown
    assert "threshold = 60\n" in config_path.read_text()  # the withdrawn change was never made
    assert [line for line in desk.audit.path.read_text().splitlines() if "config_changed" in line] == []


def test_the_next_slip_shows_the_threshold_set(counter_with_socket):
    desk, held, path, _ = counter_with_socket
    held.go.set()
    changed, _ = ask("config_set", path=path, key="threshold", value="75")
    assert (changed["old"], changed["new"]) == (60, 75)
    desk.press("start")
    report = desk.next_report()
    assert report.result.threshold == 75
    presenter = desk.appliance.checks.presenter()
    slip = desk.slips[-1]
    before = desk.config.storage.audit_path.read_bytes().splitlines()[-2]  # the config change
    witness = (json.loads(before)["number"], digest(before)[:12])
    assert slip.tobytes() == presenter.slip(report.result, witness=witness).tobytes()
    earlier = dataclasses.replace(report.result, threshold=60)
    assert slip.tobytes() != presenter.slip(earlier, witness=witness).tobytes()
    result_screen = presenter.result(report.result).tobytes()
    frames_before = len(desk.frames)
    ask("selftest", path=path)  # uses the LCD, then puts the result back for staff to read
    desk.settle()
    assert len(desk.frames) == frames_before + 2 and desk.frames[-2].tobytes() != result_screen
    assert desk.frames[-1].tobytes() == result_screen


def test_members_of_the_group_may_ask_and_others_may_not(counter_with_socket):
    _, _, path, _ = counter_with_socket
    member = ask_as(65534, path, groups=(TECH_GID,))
    assert member["ok"] is True and member["data"]["state"] == "idle"
    outsider = ask_as(65534, path, groups=(TECH_GID + 1,))
    assert outsider["ok"] is False and outsider["error"]["code"] == "refused"
