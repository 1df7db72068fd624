"""The audit record's tail: forward-secure seals, the witnessed head, and the state kept apart."""

from __future__ import annotations

import json

import pytest
from test_audit import record

from madoguchi.audit import (
    AUDIT_LOST,
    AuditLog,
    Files,
    key_path,
    parse_verification_key,
    qr_text,
    setup_key,
    verify,
)
from madoguchi.audit.record import digest, encode_body, split_seal, with_seal
from madoguchi.audit.seal import EpochKeys, next_key, seal
from madoguchi.audit.state import state_path
from madoguchi.cli.main import main


def sealed_log(tmp_path, count: int) -> tuple:
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    write(path, count)
    return path, key


def write(path, count: int) -> None:
    audit = AuditLog.open(path, terminal_id="test-01")
    for _ in range(count):
        audit.append(record(audit.next_number()))
    audit.close()


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_line_is_sealed_in_its_own_epoch_and_verifies_with_the_key(tmp_path):
    path, key = sealed_log(tmp_path, 3)
    write(path, 2)
    assert [line["epoch"] for line in lines(path)] == [1, 2, 3, 4, 5]
    report = verify(path, key)
    assert report.ok and report.seals_checked == 5 and report.records == 5
    unchecked = verify(path)
    assert unchecked.ok and unchecked.sealed == 5 and unchecked.seals_checked == 0


def test_the_box_keeps_only_the_next_epochs_key(tmp_path):
    path, key = sealed_log(tmp_path, 3)
    on_box = key_path(path).read_bytes()
    assert key.hex().encode() not in on_box
    expected = key
    for _ in range(4):  # K4: the key for the line not yet written
        expected = next_key(expected)
    assert expected.hex().encode() in on_box
    used = EpochKeys(key)
    for epoch in (1, 2, 3):
        assert used.at(epoch).hex().encode() not in on_box
    assert key_path(path).stat().st_mode & 0o777 == 0o600
    assert not key_path(path).with_name(key_path(path).name + ".tmp").exists()


def test_a_resealed_edit_of_the_last_line_fails_with_the_key(tmp_path):
    """Recompute chain, seal (with the key on the box) and state after editing: only --key sees it."""
    path, key = sealed_log(tmp_path, 3)
    data = path.read_bytes().splitlines()
    last = json.loads(data[-1])
    last["score"] = 99.0
    del last["seal"]
    box_key = bytes.fromhex(key_path(path).read_text().split()[-1])  # all a thief has
    body = encode_body(last)
    forged = with_seal(body, seal(box_key, body))
    path.write_bytes(b"\n".join([*data[:-1], forged]) + b"\n")
    state = json.loads(state_path(path).read_text())
    state.update(head=digest(forged))
    del state["seal"]
    state_body = encode_body(state)
    state_path(path).write_bytes(with_seal(state_body, seal(box_key, state_body)) + b"\n")

    assert verify(path).ok  # without the key nothing shows: the reason the key exists
    problems = verify(path, key).problems
    assert problems == ["line 3: seal does not match (edited, or sealed with another key)"]


def test_editing_the_last_line_breaks_the_state(tmp_path):
    path, _ = sealed_log(tmp_path, 3)
    path.write_text(path.read_text().replace('"score":72.25', '"score":99.0'))
    report = verify(path)
    assert not report.ok and report.lost == "log_replaced"


def test_seals_from_another_key_fail(tmp_path):
    path, _ = sealed_log(tmp_path, 2)
    other = bytes(32)
    problems = verify(path, other).problems
    assert "is not this record's" in problems[0]
    assert sum("seal does not match" in problem for problem in problems) == 3  # 2 lines and the state


@pytest.mark.parametrize("keep", [0, 1, 2])
def test_truncating_at_a_line_boundary_is_seen_and_recorded_at_open(tmp_path, keep, caplog):
    path, key = sealed_log(tmp_path, 3)
    data = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(data[:keep]))
    report = verify(path)
    assert not report.ok and report.lost == ("log_missing" if keep == 0 else "log_truncated")

    write(path, 1)
    assert "log_" in caplog.text
    numbers = [(line["number"], line["outcome"]) for line in lines(path)]
    assert numbers[keep:] == [(4, AUDIT_LOST), (5, "scored")]
    after = verify(path, key)
    assert not after.ok  # a lost record stays on record
    assert any("audit record was lost" in problem for problem in after.problems)
    assert not any("seal does not match" in problem for problem in after.problems)


def test_a_deleted_record_is_reported_and_numbering_continues(tmp_path):
    path, _ = sealed_log(tmp_path, 3)
    path.unlink()
    report = verify(path)
    assert not report.ok and report.missing and report.lost == "log_missing"
    write(path, 1)
    assert [(line["number"], line["outcome"]) for line in lines(path)] == [(4, AUDIT_LOST), (5, "scored")]
    assert lines(path)[0]["messages"][0] == "log_missing"


def test_deleting_record_and_state_still_shows_through_the_keys_epoch(tmp_path):
    path, _ = sealed_log(tmp_path, 3)
    path.unlink()
    state_path(path).unlink()
    assert verify(path).lost == "log_missing"
    write(path, 1)
    assert [(line["number"], line["outcome"]) for line in lines(path)] == [(4, AUDIT_LOST), (5, "scored")]


def test_a_replaced_record_is_seen(tmp_path):
    path, _ = sealed_log(tmp_path, 3)
    other = tmp_path / "other" / "audit.jsonl"
    write(other, 3)
    path.write_bytes(other.read_bytes())
    assert verify(path).lost == "log_replaced"
    write(path, 1)
    assert [line["outcome"] for line in lines(path)][3:] == [AUDIT_LOST, "scored"]


def test_a_missing_record_is_not_ok(tmp_path):
    report = verify(tmp_path / "audit.jsonl")
    assert not report.ok and report.problems == [f"no audit record at {tmp_path / 'audit.jsonl'}"]


def test_a_cut_between_line_and_key_is_put_right(tmp_path):
    path, key = sealed_log(tmp_path, 2)
    kept_key, kept_state = key_path(path).read_bytes(), state_path(path).read_bytes()
    write(path, 1)
    key_path(path).write_bytes(kept_key)  # as if the power went after line 3's fsync
    state_path(path).write_bytes(kept_state)
    assert verify(path, key).ok  # a state one line behind is what such a cut leaves
    write(path, 1)
    assert verify(path, key).ok and [line["epoch"] for line in lines(path)] == [1, 2, 3, 4]


def test_head_is_the_last_number_and_line_hash(tmp_path):
    path, _ = sealed_log(tmp_path, 2)
    audit = AuditLog.open(path)
    number, head = audit.head()
    audit.close()
    assert number == 2 and head == digest(path.read_bytes().splitlines()[-1])[:12]


def test_seal_is_the_last_field_of_each_line(tmp_path):
    path, _ = sealed_log(tmp_path, 1)
    (line,) = path.read_bytes().splitlines()
    tag = json.loads(line)["seal"]
    assert split_seal(line, tag) == encode_body({k: v for k, v in json.loads(line).items() if k != "seal"})


def test_setup_key_refuses_a_second_key(tmp_path):
    path, _ = sealed_log(tmp_path, 1)
    with pytest.raises(FileExistsError):
        setup_key(Files(), key_path(path))


def test_verification_key_is_read_from_the_slip_text(tmp_path):
    payload = setup_key(Files(), key_path(tmp_path / "audit.jsonl"))
    key = parse_verification_key(payload)
    assert parse_verification_key(key.hex()) == key
    assert parse_verification_key(" ".join(key.hex()[i : i + 8] for i in range(0, 64, 8))) == key
    with pytest.raises(ValueError):
        parse_verification_key("MADOGUCHI-AUDIT-KEY-V1:1234")
    assert "█" in qr_text(payload) or "▀" in qr_text(payload)


def test_commands(tmp_path, capsys):
    path = tmp_path / "audit.jsonl"
    assert main(["audit", "setup-key", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    payload = next(line for line in out.splitlines() if line.startswith("MADOGUCHI-AUDIT-KEY-V1:"))
    assert "▀" in out or "█" in out
    write(path, 2)

    assert main(["audit", "verify", "--path", str(path)]) == 0
    assert "seals not checked" in capsys.readouterr().out
    assert main(["audit", "verify", "--path", str(path), "--key", payload]) == 0
    assert "2 of 2 seals checked" in capsys.readouterr().out
    assert main(["audit", "head", "--path", str(path), "--json"]) == 0
    head = json.loads(capsys.readouterr().out)
    assert head["number"] == 2 and head["ok"] and len(head["head"]) == 12
    assert main(["audit", "head", "--path", str(path)]) == 0
    assert capsys.readouterr().out == f"2 {head['head']}\n"

    path.unlink()
    assert main(["audit", "verify", "--path", str(path), "--key", payload]) == 1
    assert "PROBLEMS" in capsys.readouterr().out
    assert main(["audit", "verify", "--path", str(path), "--key", "nonsense"]) == 2


def test_setup_key_prints_the_setup_slip_on_the_printer(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        '[hardware]\nkind = "simulated"\n'
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    assert main(["audit", "setup-key", "--config", str(config), "--print", "--no-qr"]) == 0
    said = capsys.readouterr().out
    assert "The setup slip was printed on simulated:VirtualPrinter" in said
    payload = next(line for line in said.splitlines() if line.startswith("MADOGUCHI-AUDIT-KEY-V1:"))
    assert len(parse_verification_key(payload)) == 32  # the key on the slip is the one printed here
