"""Damaged files beside the audit record: kept aside and named, start-up goes on, no good record lost."""

from __future__ import annotations

import dataclasses
import json

import pytest
from test_audit import cut_off, record, write

from madoguchi.audit import AuditLog, Files, key_path, setup_key, verify
from madoguchi.audit.record import MAX_LINE
from madoguchi.audit.seal import parse_verification_key
from madoguchi.audit.state import state_path

DAMAGED_PENDING = {
    "number": b"5",
    "text": b'"x"',
    "null": b"null",
    "string-number": b'{"number":"3"}',
    "fraction": b"2.5",
    "huge": b"1" * 5000,
    "huge-number-field": b'{"number":1000000000000000000000000000000}',
    "bool-number": b'{"number":true}',
    "deep": b"[" * 100_000,
    "deep-object": b'{"a":' * 50_000,
    "binary": bytes(range(256)),
    "empty": b"",
    "nan": b'{"score":NaN}',
    "not-the-next-number": json.dumps(dataclasses.asdict(cut_off(9)) | {"prev": ""}).encode(),
}


def aside(directory, name: str) -> list:
    return sorted(directory.glob(f"{name}.damaged-*"))


@pytest.mark.parametrize("content", DAMAGED_PENDING.values(), ids=DAMAGED_PENDING)
def test_a_damaged_pending_record_is_kept_aside(tmp_path, content, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    intact = path.read_bytes()
    (tmp_path / "audit.jsonl.open").write_bytes(content)

    audit = AuditLog.open(path)
    assert "damaged record" in caplog.text and "kept aside as audit.jsonl.open.damaged-" in caplog.text
    (kept,) = aside(tmp_path, "audit.jsonl.open")
    assert kept.read_bytes() == content
    assert path.read_bytes() == intact
    assert audit.next_number() == 3
    audit.append(record(3))
    audit.close()
    assert verify(path).ok


def test_a_pending_record_with_wrong_field_types_is_kept_aside(tmp_path, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 1)
    audit = AuditLog.open(path)
    audit.begin(cut_off(2))
    audit.close()
    data = json.loads(audit.pending_path.read_text())
    for key, wrong in (("messages", "scanning"), ("threshold", 60.5), ("at_or_above", 1), ("score", "72")):
        audit.pending_path.write_text(json.dumps(data | {key: wrong}))
        AuditLog.open(path).close()
        assert not audit.pending_path.exists()
    assert len(aside(tmp_path, "audit.jsonl.open")) == 4
    assert verify(path).records == 1


def test_a_pending_record_that_is_a_directory_is_kept_aside(tmp_path, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 1)
    (tmp_path / "audit.jsonl.open").mkdir()
    audit = AuditLog.open(path)
    assert len(aside(tmp_path, "audit.jsonl.open")) == 1
    audit.begin(cut_off(2))
    audit.append(record(2))
    audit.close()
    assert verify(path).ok


@pytest.mark.parametrize(
    "damage",
    [b"[" * 100_000, b'{"a":' * 100_000, b"x" * (MAX_LINE + 10), b"\xff\xfe\x00", b"{}"],
    ids=["deep-list", "deep-object", "too-long", "binary", "empty-object"],
)
def test_a_damaged_line_in_the_middle_is_reported_and_kept(tmp_path, damage):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([*lines[:2], damage, lines[2]]) + b"\n")
    report = verify(path)
    assert not report.ok and report.records == 4
    assert any(problem.startswith("line 3:") for problem in report.problems)

    audit = AuditLog.open(path)  # starts, keeps every line, and goes on
    assert audit.next_number() == 4
    audit.append(record(4))
    audit.close()
    after = path.read_bytes().splitlines()
    assert after[:4] == [*lines[:2], damage, lines[2]]
    assert json.loads(after[4])["number"] == 4


def test_a_deeply_nested_last_line_is_cut_off_and_kept_aside(tmp_path, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    intact = path.read_bytes()
    with path.open("ab") as file:
        file.write(b"[" * 100_000 + b"\n")
    assert verify(path).torn_bytes == 100_001
    audit = AuditLog.open(path)
    audit.close()
    assert path.read_bytes() == intact
    assert "torn last line" in caplog.text and "kept aside as audit.jsonl.torn-" in caplog.text
    assert verify(path).ok


@pytest.mark.parametrize("content", [b"", b"null", b"[" * 100_000, b'{"number":1}', b"\x00" * 64])
def test_a_damaged_state_is_kept_aside_and_rewritten(tmp_path, content):
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    state_path(path).write_bytes(content)
    assert any("state file" in problem for problem in verify(path).problems)
    AuditLog.open(path).close()
    assert len(aside(tmp_path, "audit.jsonl.state")) == 1
    assert verify(path).ok


def test_a_damaged_key_is_kept_aside_and_the_gap_shows(tmp_path, caplog):
    path = tmp_path / "audit.jsonl"
    setup_key(Files(), key_path(path))
    write(path, 2)
    key_path(path).write_bytes(b"not a key")
    assert any("sealing key" in problem for problem in verify(path).problems)
    write(path, 1)
    assert "records are written unsealed" in caplog.text
    assert len(aside(tmp_path, "audit.jsonl.key")) == 1
    problems = verify(path).problems
    assert "line 3: not sealed, though line 2 was (key lost)" in problems


@pytest.mark.parametrize("epoch", [10**12, 10**6, 0, -1])
def test_an_impossible_epoch_is_reported_without_deriving_its_key(tmp_path, epoch):
    path = tmp_path / "audit.jsonl"
    key = parse_verification_key(setup_key(Files(), key_path(path)))
    write(path, 3)
    path.write_text(path.read_text().replace('"epoch":3,', f'"epoch":{epoch},'))
    problems = verify(path, key).problems
    assert any(problem.startswith(f"line 3: sealed in epoch {epoch}") for problem in problems)
    write(path, 1)  # the edited last line no longer matches the state: recorded as lost, then served
    assert [json.loads(line)["outcome"] for line in path.read_text().splitlines()][3:] == [
        "audit_lost",
        "scored",
    ]
