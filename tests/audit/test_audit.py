"""The audit record: hash chain, torn last line, numbers across restarts, nothing biometric."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from madoguchi.audit import RECORD_KEYS, AuditLog, AuditRecord, verify
from madoguchi.counter.outcome import TransactionResult

BIOMETRIC_WORDS = ("image", "photo", "face", "box", "descriptor", "embedding", "landmark", "pixel", "name")


def record(number: int, code: str = "scored", score: float | None = 72.25) -> AuditRecord:
    result = TransactionResult(
        number=number,
        time=datetime(2026, 11, 25, 9, 0, number % 60, tzinfo=timezone.utc),
        mode="card",
        threshold=60,
        code=code,
        score=score,
    )
    return AuditRecord.of(result, terminal_id="test-01", messages=("scanning", code), slip_printed=True)


def write(path, count: int) -> None:
    audit = AuditLog.open(path)
    for _ in range(count):
        audit.append(record(audit.next_number()))
    audit.close()


def test_chain_verifies_and_numbers_continue(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    write(path, 2)
    report = verify(path)
    assert report.ok and report.records == 5 and report.last_number == 5
    numbers = [json.loads(line)["number"] for line in path.read_text().splitlines()]
    assert numbers == [1, 2, 3, 4, 5]


def test_edited_line_breaks_the_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"score":72.25', '"score":99.0')
    path.write_text("\n".join(lines) + "\n")
    report = verify(path)
    assert not report.ok
    assert report.problems == ["line 3: chain broken (prev does not match line 2)"]


def test_removed_line_breaks_the_chain(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert any("chain broken" in problem for problem in verify(path).problems)


@pytest.mark.parametrize("tail", [b'{"number":4,"outc', b'{"number":4,"outc\n'])
def test_torn_last_line_is_reported_and_cut_off(tmp_path, tail, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 3)
    intact = path.read_bytes()
    with path.open("ab") as file:
        file.write(tail)
    assert verify(path).torn_bytes == len(tail)
    audit = AuditLog.open(path)
    assert "torn last line" in caplog.text
    assert path.read_bytes() == intact
    assert audit.next_number() == 4
    audit.append(record(4))
    audit.close()
    assert verify(path).ok


def test_records_hold_no_biometric_keys(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 1)
    (line,) = path.read_text().splitlines()
    assert set(json.loads(line)) == RECORD_KEYS
    assert not [key for key in RECORD_KEYS for word in BIOMETRIC_WORDS if word in key]


def test_foreign_key_is_flagged(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, 1)
    data = json.loads(path.read_text())
    data["face_box"] = [1, 2, 3, 4]
    path.write_text(json.dumps(data) + "\n")
    assert any("keys not allowed" in problem for problem in verify(path).problems)


def test_numbers_must_increase(tmp_path):
    audit = AuditLog.open(tmp_path / "audit.jsonl")
    audit.append(record(1))
    with pytest.raises(ValueError, match="does not follow"):
        audit.append(record(1))
    audit.close()


def cut_off(number: int) -> AuditRecord:
    started = datetime(2026, 11, 25, 9, 30, tzinfo=timezone.utc)
    result = TransactionResult(number, started, "form", 60, "interrupted")
    return AuditRecord.of(result, terminal_id="test-01", messages=(), slip_printed=None)


def test_a_transaction_cut_off_is_recorded_at_the_next_start(tmp_path, caplog):
    path = tmp_path / "audit.jsonl"
    write(path, 2)
    audit = AuditLog.open(path)
    audit.begin(cut_off(3))
    audit.close()  # the daemon dies here: number 3 may be on the screen, it has no record yet
    assert verify(path).records == 2

    audit = AuditLog.open(path)
    assert "transaction 3 was cut off" in caplog.text
    assert audit.next_number() == 4 and not audit.pending_path.exists()
    audit.append(record(4))
    audit.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["number"], r["outcome"], r["slip_printed"], r["mode"]) for r in lines[2:]] == [
        (3, "interrupted", None, "form"),
        (4, "scored", True, "card"),
    ]
    assert verify(path).ok


def test_a_finished_transaction_leaves_nothing_pending(tmp_path):
    path = tmp_path / "audit.jsonl"
    audit = AuditLog.open(path)
    audit.begin(cut_off(1))
    assert audit.pending_path.exists()
    audit.append(record(1))
    assert not audit.pending_path.exists()
    audit.close()
    reopened = AuditLog.open(path)
    assert reopened.next_number() == 2 and verify(path).records == 1
    reopened.close()


def test_only_the_next_number_can_begin(tmp_path):
    audit = AuditLog.open(tmp_path / "audit.jsonl")
    with pytest.raises(ValueError, match="not the next one"):
        audit.begin(cut_off(5))
    audit.close()
