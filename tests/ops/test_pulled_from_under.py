"""Nothing pulled from under a running box: its audit record deleted, replaced or cut while it serves,
a second daemon on the same config, and slow, silent or malformed peers on its control socket."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from control_daemon import Daemon, start
from madoguchi.errors import ExitCode, Refused
from madoguchi.ops.control import SOCKET_ENV

POLL_S = 0.2
DEADLINE_S = 60.0
"""Only so that a daemon that never notices cannot hang the suite: waits are on what it reports."""


def serve(daemon: Daemon, visitor: dict) -> dict:
    answer, _ = daemon.ask("press", button="start", wait=True, **visitor)
    return answer


def records(path: Path) -> list[dict]:
    """The whole records in the file at ``path`` (a file cut short may end in part of one)."""
    found = []
    for line in path.read_bytes().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def every_record(box: Path) -> list[dict]:
    """Every record the box keeps: the record's file, and the files it set aside (audit.jsonl.deleted-
    copy-TIME, .replaced-TIME...), not the key, state, pending or lock files beside them."""
    kept = [path for path in box.glob("audit.jsonl.*-*") if path.is_file()]
    return [record for path in [box / "audit.jsonl", *kept] for record in records(path)]


def wait_for_change(daemon: Daemon) -> dict:
    """The daemon's status once it reports a change of its record's file (it looks once a second)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        status, _ = daemon.ask("status")
        if status["audit_last_change"]:
            return status
        time.sleep(POLL_S)
    pytest.fail("the daemon never reported the change to its audit record")


def delete(path: Path) -> None:
    path.unlink()


def replace(path: Path) -> None:
    other = path.with_name("elsewhere.jsonl")
    other.write_text("")
    os.replace(other, path)


def truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(10)


@pytest.mark.parametrize(
    ("change", "word"), [(delete, "deleted"), (replace, "replaced"), (truncate, "truncated")]
)
def test_a_record_changed_while_serving_is_seen_and_the_next_visitors_lose_nothing(
    daemon, visitor, change, word
):
    path = daemon.box / "audit.jsonl"
    first = serve(daemon, visitor)
    change(path)
    status = wait_for_change(daemon)
    assert word in status["audit_last_change"] and status["state"] == "idle"
    second = serve(daemon, visitor)
    assert second["outcome"] == "scored" and second["last_transaction"] == first["last_transaction"] + 2

    now = records(path)  # a new file at the path: the loss said first, then the visitor served after it
    assert [record["outcome"] for record in now] == ["audit_lost", "scored"]
    assert word in " ".join(now[0]["messages"])
    assert f"last_known:{first['last_transaction']}:" in " ".join(now[0]["messages"])
    numbers = [record["number"] for record in every_record(daemon.box)]
    assert len(numbers) == len(set(numbers))  # no number given twice, counting what was set aside
    kept = {first["last_transaction"], second["last_transaction"]}
    if word != "truncated":  # a file cut in place has lost its lines; the audit_lost record names them
        assert kept <= set(numbers)
    journal = daemon.log.read_text()
    assert f"{word} while open" in journal and "Traceback" not in journal


def test_a_second_daemon_on_the_same_config_is_refused_and_the_first_serves_on(daemon):
    before = daemon.socket.stat().st_ino
    second = subprocess.run(
        [sys.executable, "-m", "madoguchi", "run", "--config", str(daemon.config)],
        env=os.environ | {SOCKET_ENV: str(daemon.socket)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert second.returncode == ExitCode.ALREADY_RUNNING, second.stderr
    assert "already serves the audit record" in second.stderr and str(daemon.process.pid) in second.stderr
    assert daemon.socket.stat().st_ino == before  # its socket untouched
    assert daemon.ask("status")[0]["state"] == "idle"


def test_slow_and_silent_peers_do_not_hold_up_another(shared_daemon):
    """Twelve peers that never send and one that sends a byte at a time are each given until the read
    deadline; meanwhile `status` is answered, so it was not queued behind any of them."""
    peers = []
    try:
        for _ in range(12):
            peers.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
            peers[-1].connect(str(shared_daemon.socket))
        peers.append(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
        peers[-1].connect(str(shared_daemon.socket))
        peers[-1].sendall(b"\x00")  # the first byte of a length, and then nothing for a while
        status, _ = shared_daemon.ask("status")
        assert status["state"] == "idle"
        for peer in peers:  # not one of them has been answered (or dropped) yet
            peer.setblocking(False)
            with pytest.raises(BlockingIOError):
                peer.recv(1)
    finally:
        for peer in peers:
            peer.close()


def _ask_raw(path: Path, body: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(str(path))
        sock.sendall(struct.pack(">I", len(body)) + body)
        (size,) = struct.unpack(">I", sock.recv(4, socket.MSG_WAITALL))
        return json.loads(sock.recv(size, socket.MSG_WAITALL))


def test_deep_json_is_answered_with_an_error(shared_daemon):
    reply = _ask_raw(shared_daemon.socket, b"[" * 5000 + b"]" * 5000)
    assert reply["ok"] is False and reply["error"]["code"] == "bad_request"
    assert "nested" in reply["error"]["message"]


def test_press_with_a_path_that_is_no_image_is_refused_without_a_traceback(shared_daemon, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for arguments in (
        {"page": str(tmp_path / "missing.png")},
        {"page": str(text)},
        {"page": "/" + "x" * 4000},
        {"frames": [str(tmp_path / "missing.png")]},
        {"page": str(tmp_path)},
    ):
        with pytest.raises(Refused) as refused:
            shared_daemon.ask("press", button="cancel", **arguments)
        assert refused.value.code == "bad_request", arguments
    assert shared_daemon.ask("status")[0]["state"] == "idle"
    assert "Traceback" not in shared_daemon.log.read_text()


def madoguchi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_wiped_record_is_refused_at_start_until_a_reinstall_that_continues_the_numbers(tmp_path, visitor):
    box = tmp_path / "box"
    box.mkdir()
    record = box / "audit.jsonl"
    assert (
        madoguchi("audit", "setup-key", "--path", str(record), "--no-qr").returncode == 0
    )  # marks the install
    running = start(box, log=tmp_path / "first.log")
    try:
        served = serve(running, visitor)
    finally:
        running.stop()
    head = json.loads(madoguchi("audit", "head", "--path", str(record), "--json").stdout)
    for name in ("audit.jsonl", "audit.jsonl.key", "audit.jsonl.state"):  # the data partition wiped
        (box / name).unlink(missing_ok=True)

    refused = madoguchi("run", "--config", str(running.config))
    assert refused.returncode == ExitCode.AUDIT_WIPED, refused.stderr
    assert "--reinstall" in refused.stderr and not record.exists()

    reinstall = madoguchi(
        "audit", "setup-key", "--path", str(record), "--no-qr", "--reinstall", "--fleet-head", head["witness"]
    )
    assert reinstall.returncode == 0, reinstall.stderr
    running = start(box, log=tmp_path / "second.log")
    try:
        again = serve(running, visitor)
    finally:
        running.stop()
    assert again["last_transaction"] > served["last_transaction"]  # no number given out twice
    assert records(record)[0]["outcome"] == "audit_lost"
