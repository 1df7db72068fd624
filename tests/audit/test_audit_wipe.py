"""A wipe is never silent (issue 22, item 3): the record, its state and its key all gone between two
runs. The install marker outside the data partition makes the log refuse to start again at 1 until
``setup-key --reinstall``; ``verify --key`` finds nothing sealed in an emptied record; and the head
the fleet collected (``audit head``) fails ``verify --expect-head`` on a record emptied, cut short
or started again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_audit import cut_off, record

from madoguchi.audit import AUDIT_LOST, AuditLog, Files, key_path, setup_key, verify
from madoguchi.audit.chain import parse_head
from madoguchi.audit.marker import on_overlay, read_mark
from madoguchi.audit.seal import parse_verification_key
from madoguchi.audit.state import state_path
from madoguchi.cli.main import main
from madoguchi.errors import AuditWiped, MadoguchiError


def serve(path: Path, count: int, marker: Path | None = None) -> None:
    audit = AuditLog.open(path, marker=marker)
    for _ in range(count):
        number = audit.next_number()
        audit.begin(cut_off(number))
        audit.append(record(number))
    audit.close()


def install(tmp_path: Path, capsys) -> tuple[Path, Path, str]:
    """setup-key as at an install: the key, and the marker outside the data partition."""
    path, marker = tmp_path / "data" / "audit.jsonl", tmp_path / "etc" / "audit-installed"
    assert main(["audit", "setup-key", "--path", str(path), "--marker", str(marker), "--no-qr"]) == 0
    out = capsys.readouterr().out
    assert f"Install marker written: {marker}" in out
    payload = next(line for line in out.splitlines() if line.startswith("MADOGUCHI-AUDIT-KEY-V1:"))
    return path, marker, payload


def wipe(path: Path) -> None:
    for gone in (path, state_path(path), key_path(path)):
        gone.unlink(missing_ok=True)


def numbers(path: Path) -> list[tuple[int, str]]:
    return [(line["number"], line["outcome"]) for line in map(json.loads, path.read_text().splitlines())]


def test_a_wiped_record_is_refused_where_the_install_left_its_mark(tmp_path, capsys):
    path, marker, _ = install(tmp_path, capsys)
    serve(path, 3, marker)
    assert "installed " in read_mark(Files(), marker)
    wipe(path)
    with pytest.raises(AuditWiped, match="setup-key --reinstall") as refused:
        AuditLog.open(path, marker=marker)
    assert isinstance(refused.value, MadoguchiError)
    assert not path.exists() and not state_path(path).exists()  # nothing was created
    path.write_bytes(b"")  # an emptied record is the same
    with pytest.raises(AuditWiped):
        AuditLog.open(path, marker=marker)
    # a plain setup-key does not get round it either
    assert main(["audit", "setup-key", "--path", str(path), "--marker", str(marker)]) == 1
    assert "--reinstall" in capsys.readouterr().err and not key_path(path).exists()


def test_without_the_marker_a_wipe_still_starts_at_one(tmp_path, capsys):
    """What the box alone cannot prove: with the marker gone too, only the fleet's head shows it."""
    path, marker, _ = install(tmp_path, capsys)
    serve(path, 3, marker)
    wipe(path)
    marker.unlink()
    serve(path, 1, marker)
    assert numbers(path) == [(1, "scored")]


def test_a_partial_wipe_is_recorded_as_before(tmp_path, capsys):
    """Record and state gone, key kept: the key's epoch shows it, and the log starts (audit_lost)."""
    path, marker, _ = install(tmp_path, capsys)
    serve(path, 3, marker)
    path.unlink()
    state_path(path).unlink()
    serve(path, 1, marker)
    assert numbers(path) == [(4, AUDIT_LOST), (5, "scored")]


def test_reinstall_records_the_old_install_and_can_continue_the_fleets_numbers(tmp_path, capsys):
    path, marker, _ = install(tmp_path, capsys)
    serve(path, 3, marker)
    assert main(["audit", "head", "--path", str(path), "--json"]) == 0
    witness = json.loads(capsys.readouterr().out)["witness"]
    assert witness.startswith("3:")
    wipe(path)
    command = ["audit", "setup-key", "--path", str(path), "--marker", str(marker), "--no-qr", "--reinstall"]
    assert main([*command, "--fleet-head", witness]) == 0
    out = capsys.readouterr().out
    assert "Reinstall recorded" in out and "MADOGUCHI-AUDIT-KEY-V1:" in out
    payload = next(line for line in out.splitlines() if line.startswith("MADOGUCHI-AUDIT-KEY-V1:"))
    (lost,) = map(json.loads, path.read_text().splitlines())
    assert (lost["number"], lost["outcome"]) == (4, AUDIT_LOST)
    assert lost["messages"][0] == "reinstalled" and lost["messages"][2] == f"fleet_head:{witness}"
    assert lost["messages"][1].startswith("previous_install:installed ")

    serve(path, 1, marker)  # starts: the reinstall is on record
    assert numbers(path) == [(4, AUDIT_LOST), (5, "scored")]
    report = verify(path, parse_verification_key(payload))
    assert report.seals_checked == 2
    assert [problem.split(" (")[0] for problem in report.problems] == [
        "line 1: transaction 4 records that the audit record was lost"
    ]
    assert main(["audit", "setup-key", "--path", str(path), "--marker", str(marker), "--reinstall"]) == 1


def test_reinstall_is_only_for_a_wipe(tmp_path, capsys):
    path, marker, _ = install(tmp_path, capsys)
    serve(path, 1, marker)
    key_path(path).unlink()
    assert main(["audit", "setup-key", "--path", str(path), "--marker", str(marker), "--reinstall"]) == 1
    assert "not one" in capsys.readouterr().err
    bad = ["audit", "setup-key", "--path", str(path), "--reinstall", "--fleet-head", "3:xyz"]
    assert main(bad) == 2


def test_verify_with_the_key_on_an_emptied_record_is_not_ok(tmp_path, capsys):
    path, marker, payload = install(tmp_path, capsys)
    serve(path, 0, marker)  # the daemon started: empty record, sealed state
    assert main(["audit", "verify", "--path", str(path), "--key", payload]) == 0  # a fresh install is fine
    capsys.readouterr()
    serve(path, 2, marker)
    wipe(path)
    path.write_bytes(b"")
    for command in (["--key", payload], []):
        assert main(["audit", "verify", "--path", str(path), "--marker", str(marker), *command]) == 1
        out = capsys.readouterr().out
        assert "PROBLEMS" in out and "says this box keeps a record" in out
    marker.unlink()
    assert main(["audit", "verify", "--path", str(path), "--marker", str(marker), "--key", payload]) == 1
    assert "nothing here is sealed with this key" in capsys.readouterr().out
    path.unlink()
    assert main(["audit", "verify", "--path", str(path), "--key", payload]) == 1


@pytest.fixture
def witnessed(tmp_path, capsys):
    """A record of 3 transactions, and the head the fleet collected from it."""
    path, marker, payload = install(tmp_path, capsys)
    serve(path, 3, marker)
    assert main(["audit", "head", "--path", str(path), "--json"]) == 0
    head = json.loads(capsys.readouterr().out)["witness"]
    return path, marker, payload, head


def verify_head(path: Path, head: str, *extra: str) -> int:
    return main(["audit", "verify", "--path", str(path), "--expect-head", head, *extra])


def test_the_fleets_head_holds_while_the_record_grows(witnessed, capsys):
    path, marker, payload, head = witnessed
    serve(path, 2, marker)
    assert verify_head(path, head) == 0 and verify_head(path, head, "--key", payload) == 0
    assert "OK" in capsys.readouterr().out


def start_again(path: Path, marker: Path) -> None:
    """Wiped and started again without the marker: numbers 1, 2, 3 once more, other lines."""
    wipe(path)
    marker.unlink()
    serve(path, 3, marker)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda path, marker: path.write_bytes(b""), "is not in the record"),
        (
            lambda path, marker: path.write_bytes(b"".join(path.read_bytes().splitlines(True)[:2])),
            "ends at 2",
        ),
        (start_again, "hashes to"),
    ],
    ids=["emptied", "cut-short", "started-again"],
)
def test_the_fleets_head_fails_on_a_record_emptied_cut_or_started_again(witnessed, capsys, damage, says):
    path, marker, payload, head = witnessed
    damage(path, marker)
    for extra in ([], ["--key", payload]):
        assert verify_head(path, head, *extra) == 1
        out = capsys.readouterr().out
        assert says in out and "PROBLEMS" in out


def test_head_syntax():
    assert parse_head("1234:0123456789AB") == (1234, "0123456789ab")
    for wrong in ("1234 0123456789ab", "1234:0123", ":0123456789ab", "-1:0123456789ab", "1:" + "g" * 12):
        with pytest.raises(ValueError):
            parse_head(wrong)
    assert main(["audit", "verify", "--path", "/nonexistent", "--expect-head", "12"]) == 2


def test_setup_key_writes_the_marker_for_an_existing_key_on_demand(tmp_path, capsys):
    path, marker = tmp_path / "audit.jsonl", tmp_path / "etc" / "audit-installed"
    setup_key(Files(), key_path(path))
    assert main(["audit", "setup-key", "--path", str(path), "--marker", str(marker), "--mark-only"]) == 0
    assert read_mark(Files(), marker).startswith("installed ")
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert (
        main(["audit", "setup-key", "--path", str(path), "--marker", str(blocked / "m"), "--mark-only"]) == 1
    )
    assert "was not written" in capsys.readouterr().err
    assert not on_overlay(tmp_path)
    marker.write_bytes(b"anything")
    assert read_mark(Files(), marker) == "a damaged install marker"  # still marks an install
