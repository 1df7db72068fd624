"""The technician's commands against the real daemon (a subprocess) on simulated hardware."""

from __future__ import annotations

import json
import shutil
import socket
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest

from control_daemon import COUNTER, Daemon, ask_as, start
from madoguchi.engine.models import MANIFEST, models_dir
from madoguchi.errors import ProtocolError
from madoguchi.ops.commands.camera_check import CameraCheckAnswer
from madoguchi.ops.control import protocol

COMMANDS = (
    "status",
    "selftest",
    "camera-check",
    "print-test",
    "scan-test",
    "reprint",
    "day-slip",
    "report",
    "config",
    "logs",
    "version",
    "privacy-check",
)


def audit_records(daemon: Daemon) -> list[dict]:
    return [json.loads(line) for line in (daemon.box / "audit.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_the_exit_codes(command):
    from madoguchi.cli.main import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([command, "--help"])
    assert exited.value.code == 0
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([command, "--no-such-option"])
    assert exited.value.code == 2


def test_each_command_between_visitors(daemon):
    code, status = daemon.cli_json("status")
    assert code == 0, status
    data = status["data"]
    assert (data["state"], data["transaction"], data["threshold"], data["hardware"]) == (
        "idle",
        None,
        60,
        "simulated",
    )
    assert [device["name"] for device in data["devices"]] == [
        "camera",
        "scanner",
        "display",
        "printer",
        "buttons",
    ]
    assert data["seccomp_filter"] is True and data["clock_ok"] is True
    assert data["audit_last_number"] == 0 and data["audit_free_bytes"] > 0

    code, version = daemon.cli_json("version")
    manifest = json.loads((models_dir() / MANIFEST).read_text())
    assert code == 0 and version["data"]["daemon"]["models"] == manifest

    code, selftest = daemon.cli_json("selftest", "--scan", "--print")
    assert code == 0, selftest
    assert selftest["data"]["direct"] is False
    assert [check["name"] for check in selftest["data"]["checks"]] == [
        "config",
        "font",
        "models",
        "devices",
        "camera",
        "scanner",
        "display",
        "printer",
        "audit record",
    ]

    code, camera = daemon.cli_json("camera-check", "--seconds", "1")
    assert code == 0 and camera["data"]["frames"] >= 1
    assert set(camera["data"]) == set(CameraCheckAnswer.model_fields) | {"waited"}

    assert daemon.cli("print-test").returncode == 0
    code, scan = daemon.cli_json("scan-test")  # nothing on the glass: the page is scanned, no photo on it
    assert code == 1
    assert (scan["data"]["dpi"], scan["data"]["card_found"]) == (300, False)
    assert scan["data"]["width_px"] > 0 and "blank_page" in scan["data"]["detail"]

    code, shown = daemon.cli_json("config", "show")
    assert code == 0 and shown["data"]["values"]["terminal_id"] == "test-01"
    assert daemon.cli("config", "validate").returncode == 0

    code, logs = daemon.cli_json("logs", "--since", "1 hour ago")
    assert code in (0, 1) and ("entries" in logs["data"] or "error" in logs["data"])

    words = daemon.cli("status", "--lang", "ja").stdout
    assert "状態: 待機中" in words and "しきい値: 60" in words
    assert "threshold: 60" in daemon.cli("status", "--lang", "en").stdout


def test_commands_during_a_transaction_wait_and_leave_the_visitor_alone(daemon, visitor):
    undisturbed, _ = daemon.ask("press", button="start", wait=True, **visitor)
    assert undisturbed["outcome"] == "scored"

    daemon.ask("press", button="start", **visitor)  # START is queued first: what follows meets the visitor
    status, waited = daemon.ask("status")  # only reads: answered between two steps
    assert status["transaction"] == undisturbed["last_transaction"] + 1 and waited is False
    selftest, waited = daemon.ask("selftest", print_slip=True)  # uses the devices: after the visitor
    assert selftest["ok"] is True and waited is True
    shown, _ = daemon.ask("config_show")
    assert shown["values"]["threshold"] == 60

    first, second = audit_records(daemon)[-2:]
    assert first["outcome"] == second["outcome"] == "scored"
    assert second["slip_printed"] is True
    assert "busy_press" not in second["messages"]  # nothing the technician did showed on the screen
    _, status = daemon.cli_json("status")
    assert status["data"]["outcomes_today"] == {"scored": 2}


def test_sigterm_after_a_scan_stops_the_daemon_cleanly(daemon):
    """libsane replaces SIGTERM's handler while it scans; the scanner driver puts it back."""
    code, _ = daemon.cli_json("scan-test")
    assert code in (0, 1)  # a page was scanned (SANE's test pattern holds no photo)
    assert daemon.stop() == 0


def test_config_set_threshold_is_applied_to_the_next_transaction_and_audited(daemon):
    code, changed = daemon.cli_json("config", "set", "threshold", "72")
    assert code == 0, changed
    assert (changed["data"]["old"], changed["data"]["new"], changed["data"]["applied"]) == (60, 72, True)
    assert "threshold = 72\n" in daemon.config.read_text()
    assert daemon.cli("config", "validate").returncode == 0
    record = audit_records(daemon)[-1]
    assert record["outcome"] == "config_changed" and record["threshold"] == 72
    assert record["messages"][0] == "threshold: 60 -> 72"
    assert record["messages"][1].startswith("by root (uid 0, pid ")

    pressed, _ = daemon.ask("press", button="start", wait=True)  # an empty glass: still a transaction
    assert pressed["threshold"] == 72  # the slip and the screen are drawn from this result
    assert audit_records(daemon)[-1]["threshold"] == 72

    before = daemon.config.read_text()
    code, refused = daemon.cli_json("config", "set", "threshold", "101")
    assert code == 78 and "less than or equal to 100" in refused["data"]["message"]
    assert daemon.config.read_text() == before and len(audit_records(daemon)) == 2
    assert daemon.cli("config", "set", "language", "fr").returncode == 78
    assert daemon.cli("config", "set", "municipality", "x").returncode == 2  # not settable: usage


def test_a_user_outside_the_group_is_refused(tmp_path):
    box = Path(tempfile.mkdtemp(prefix="madoguchi-control-"))  # reachable by others, unlike tmp_path
    try:
        box.chmod(0o711)
        running = start(box, log=tmp_path / "daemon.log")
        try:
            running.socket.chmod(0o666)  # so that the kernel lets the peer in and the daemon decides
            reply = ask_as(65534, running.socket)
            assert reply == {
                "v": 1,
                "ok": False,
                "error": {"code": "refused", "message": reply["error"]["message"]},
            }
            assert running.ask("status")[0]["state"] == "idle"  # root still may
        finally:
            running.stop()
        assert "control socket: refused nobody (uid 65534" in running.log.read_text()
    finally:
        shutil.rmtree(box)


def _raw(path: Path, payload: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(str(path))
        sock.sendall(payload)
        return protocol.read_frame(sock)


def _frame(message: object) -> bytes:
    body = json.dumps(message).encode()
    return struct.pack(">I", len(body)) + body


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (struct.pack(">I", protocol.MAX_FRAME + 1) + b"{}", "too_large"),
        (struct.pack(">I", 0xFFFFFFFF), "too_large"),
        (struct.pack(">I", 5) + b"hello", "bad_request"),
        (struct.pack(">I", 4) + b"\xff\xfe{}", "bad_request"),
        (_frame([1, 2, 3]), "bad_request"),
        (_frame({"v": 2, "cmd": "status", "args": {}}), "version"),
        (_frame({"v": 1, "cmd": "rm -rf", "args": {}}), "bad_request"),
        (_frame({"v": 1, "cmd": "status", "args": {"all": True}}), "bad_request"),
        (_frame({"v": 1, "cmd": "camera_check", "args": {"seconds": 100000}}), "bad_request"),
        (_frame({"v": 1, "cmd": "camera_check", "args": {"seconds": "5"}}), "bad_request"),
        (_frame({"v": 1, "cmd": "config_set", "args": {"key": "font", "value": "/x"}}), "bad_request"),
        (_frame({"v": 1, "cmd": "status", "args": {}, "extra": 1}), "bad_request"),
        (_frame({"v": 1, "cmd": "press", "args": {"button": "start", "frames": ["x"] * 31}}), "bad_request"),
        (struct.pack(">I", 100) + b"{", "bad_request"),  # cut short: answered once the read times out
    ],
)
def test_malformed_or_oversized_requests_are_answered_with_an_error(shared_daemon, payload, code):
    reply = _raw(shared_daemon.socket, payload)
    assert reply["ok"] is False and reply["error"]["code"] == code, reply
    assert shared_daemon.ask("status")[0]["state"] == "idle"  # and the daemon serves on


def test_socket_passed_by_systemd_is_used(tmp_path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(tmp_path / "activated.sock"))
    listener.listen(8)
    with listener:
        running = start(tmp_path / "box", log=tmp_path / "daemon.log", listener=listener)
        try:
            assert running.socket == tmp_path / "activated.sock"
            assert running.ask("status")[0]["state"] == "idle"
            assert not (tmp_path / "box" / "control.sock").exists()  # it bound nothing itself
        finally:
            running.stop()
    assert "control socket: listening (from systemd)" in running.log.read_text()


def test_press_is_refused_unless_the_hardware_is_simulated():
    from types import SimpleNamespace

    from madoguchi.config import parse
    from madoguchi.ops.commands.press import PressArguments, handle

    config = parse({"counter": {"municipality": "x", "terminal_id": "t", "threshold": 1}})  # kind "auto"
    real = SimpleNamespace(config_file=SimpleNamespace(config=config))
    with pytest.raises(ProtocolError, match="simulated") as refused:
        handle(real, PressArguments(button="start"), None)  # type: ignore[arg-type]
    assert refused.value.code == "not_allowed"


def test_selftest_checks_the_same_things_through_the_daemon_and_directly(tmp_path):
    """One set of checks: the daemon's self-test and the one run without it name the same checks,
    the IC reader's included, in the same order."""
    running = start(
        tmp_path / "box", log=tmp_path / "daemon.log", counter=COUNTER + "[chip]\nenabled = true\n"
    )
    try:
        code, through = running.cli_json("selftest")
        assert code == 0 and through["data"]["direct"] is False, through
    finally:
        running.stop()
    code, direct = running.cli_json("selftest")  # the daemon has stopped: checked directly
    assert code == 0 and direct["data"]["direct"] is True, direct
    names = [check["name"] for check in through["data"]["checks"]]
    assert names == [check["name"] for check in direct["data"]["checks"]]
    assert "IC reader" in names and names[-1] == "audit record"


def test_selftest_runs_directly_when_no_daemon_runs(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        f'[hardware]\nkind = "simulated"\n[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    absent = Daemon(tmp_path, config, tmp_path / "no.sock", None, tmp_path / "log")  # type: ignore[arg-type]
    code, selftest = absent.cli_json("selftest")
    assert code == 0, selftest
    assert selftest["data"]["direct"] is True
    assert {check["name"] for check in selftest["data"]["checks"]} >= {"font", "models", "camera", "display"}
    assert absent.cli("status").returncode == 69
    assert absent.cli("config", "set", "threshold", "70").returncode == 69
    assert absent.cli("config", "show").returncode == 0
    config.write_text("[counter]\nthreshold = 500\n")
    assert absent.cli("config", "validate").returncode == 78


def test_answers_cannot_carry_images_or_vectors():
    for annotation in (
        "bytes",
        "list[float]",
        "list[int]",
        "dict[str, list[float]]",
        "tuple[float, ...]",
        "object",
    ):
        with pytest.raises(TypeError, match="is not plain data"):
            exec(f"class Leak(protocol.Answer):\n    field: {annotation}", {"protocol": protocol})
    with pytest.raises(TypeError, match="only an Answer"):
        protocol.answer({"image": np.zeros(4).tolist()})  # type: ignore[arg-type]
