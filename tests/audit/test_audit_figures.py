"""Staff's decisions and reprints as records of their own, and the figures counted from the record:
by outcome, source and decision, scores in 10-point bins, decisions against the threshold, spans."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from madoguchi.audit import RECORD_KEYS, AuditLog, AuditRecord, verify
from madoguchi.audit.figures import Figures, read_figures, score_bin, tally
from madoguchi.audit.reading import Damage, dated, oldest_first
from madoguchi.audit.record import (
    GENESIS,
    DamagedRecord,
    digest,
    encode_body,
    parse_object,
    record_from,
    with_seal,
)

JST = timezone(timedelta(hours=9))
DAY = date(2026, 11, 25)


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST).isoformat(timespec="seconds")


def transaction(
    number: int, when: str, *, score: float | None = None, outcome: str | None = None, source: str = "card"
) -> AuditRecord:
    """A transaction's record: scored when it has a score, else ``outcome`` (cancelled by default)."""
    return AuditRecord(
        number=number,
        time=when,
        terminal_id="c-01",
        mode=source,
        threshold=60,
        outcome=outcome or ("scored" if score is not None else "cancelled"),
        score=score,
        at_or_above=None if score is None else score >= 60,
        messages=(),
        slip_printed=True,
        source=source,
    )


def decision(number: int, when: str, about: int, kind: str) -> AuditRecord:
    return AuditRecord(
        number, when, "c-01", "card", 60, "decision", None, None, (), None, "card", about=about, decision=kind
    )


def test_a_decision_is_a_record_of_its_own_chained_and_sealed_like_every_record(tmp_path):
    path = tmp_path / "audit.jsonl"
    audit = AuditLog.open(path)
    audit.append(transaction(1, at(DAY, 9), score=72.5))
    audit.append(decision(2, at(DAY, 9, 1), 1, "issued"))
    audit.close()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert set(second) == RECORD_KEYS
    assert (second["outcome"], second["about"], second["decision"]) == ("decision", 1, "issued")
    assert second["score"] is None and second["at_or_above"] is None  # the score is not kept twice
    assert (first["about"], first["decision"]) == (None, None)
    assert verify(path).ok


def test_records_written_before_decisions_were_kept_still_parse_and_chain(tmp_path):
    """A file of lines without ``about`` and ``decision`` (nor ``source``): read, then continued."""
    path = tmp_path / "audit.jsonl"
    prev, lines = GENESIS, []
    for number in (1, 2):
        data = dataclasses.asdict(transaction(number, at(DAY, 9, number), score=80.0))
        for key in ("about", "decision", "source", "chip_verified"):
            del data[key]
        line = with_seal(encode_body(data | {"prev": prev, "epoch": None}), None)
        lines.append(line)
        prev = digest(line)
    path.write_bytes(b"\n".join(lines) + b"\n")
    old = record_from(parse_object(lines[0]))
    assert (old.about, old.decision, old.source) == (None, None, None)
    audit = AuditLog.open(path)
    audit.append(decision(audit.next_number(), at(DAY, 9, 5), 2, "second_check"))
    audit.close()
    report = verify(path)
    assert report.ok, report.problems
    assert report.records == 3


@pytest.mark.parametrize(
    "change", [{"decision": "maybe"}, {"decision": 3}, {"about": 0}, {"about": True}, {"about": "1"}]
)
def test_a_decision_or_about_that_is_not_one_is_damage(change):
    line = encode_body(dataclasses.asdict(decision(2, at(DAY, 9), 1, "refused")) | change)
    with pytest.raises(DamagedRecord):
        record_from(parse_object(line))


@pytest.mark.parametrize(
    ("score", "bin_"), [(0.0, 0), (9.99, 0), (10.0, 1), (59.99, 5), (60.0, 6), (99.9, 9), (100, 9)]
)
def test_scores_fall_in_ten_point_bins_as_staff_saw_them(score, bin_):
    assert score_bin(score) == bin_


def week() -> list[AuditRecord]:
    """Two days: scores on both sides of 60, a fault, a cancel, decisions (one after midnight, one
    twice), a reprint, a config change and a chip."""
    other = DAY + timedelta(days=1)
    return [
        transaction(1, at(DAY, 9), score=85.0),
        decision(2, at(DAY, 9, 1), 1, "issued"),
        transaction(3, at(DAY, 10), score=42.0, source="form"),
        decision(4, at(DAY, 10, 1), 3, "issued"),  # issued below the threshold
        decision(5, at(DAY, 10, 2), 3, "refused"),  # a second decision on 3: not counted
        transaction(6, at(DAY, 11), outcome="no_face_live"),
        transaction(7, at(DAY, 11, 5), outcome="cancelled"),
        dataclasses.replace(transaction(8, at(DAY, 12)), outcome="config_changed"),
        transaction(9, at(DAY, 23, 59), score=61.0, source="chip"),
        decision(10, at(other, 0, 0), 9, "refused"),  # after midnight: counted on the 25th
        dataclasses.replace(transaction(11, at(other, 9)), outcome="reprint", about=9),
        transaction(12, at(other, 9, 30), score=100.0),
        decision(13, at(other, 9, 31), 12, "second_check"),
        decision(14, at(other, 9, 32), 999, "issued"),  # about a transaction not read: left out
    ]


def test_figures_count_outcomes_sources_decisions_and_bins():
    figures = tally(week(), DAY, DAY + timedelta(days=1))
    first, second = figures.days[DAY], figures.days[DAY + timedelta(days=1)]
    assert first.transactions == 5 and second.transactions == 1  # not the decisions, reprint, config change
    assert dict(first.outcomes) == {"scored": 3, "no_face_live": 1, "cancelled": 1}
    assert dict(first.sources) == {"card": 3, "form": 1, "chip": 1}
    assert (first.at_or_above, first.below, first.scored) == (2, 1, 3)
    assert dict(first.decisions) == {"issued": 2, "second_check": 0, "refused": 1}
    assert (first.issued_below, first.refused_at_or_above, first.undecided()) == (1, 1, 0)
    assert first.histogram == [0, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    assert first.histograms["form"][4] == 1 and first.histograms["chip"][6] == 1
    assert (second.reprints, second.histogram[9], dict(second.decisions)["second_check"]) == (1, 1, 1)
    total = figures.total
    assert (total.transactions, total.scored, total.undecided(True), total.undecided(False)) == (6, 4, 0, 0)
    assert figures.thresholds == {60} and figures.terminals == {"c-01"}


def test_a_day_outside_the_period_is_not_counted_but_every_day_inside_is():
    figures = tally(week(), DAY - timedelta(days=1), DAY - timedelta(days=1))
    assert figures.total.transactions == 0 and list(figures.days) == [DAY - timedelta(days=1)]
    assert figures.total.histogram == [0] * 10


def test_a_record_whose_time_is_not_a_time_is_counted_as_damage():
    figures = tally([transaction(1, "yesterday", score=70.0)], DAY, DAY, damaged=2)
    assert (figures.damaged, figures.total.transactions) == (3, 0)


def write(path, records) -> None:
    audit = AuditLog.open(path)
    for record in records:
        audit.append(record)
    audit.close()


def test_the_record_is_read_bounded_and_damaged_lines_are_counted(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, week())
    with path.open("ab") as damaged:
        damaged.write(b"not json\n" + b"[" * 100 + b"\n" + b"x" * 100_000 + b"\n")
    damage = Damage()
    assert len(list(oldest_first(path, damage))) == len(week()) and damage.lines == 3
    figures = read_figures(path, DAY, DAY)
    assert figures.damaged == 3 and figures.total.transactions == 5
    assert dict(figures.total.decisions)["refused"] == 1  # the decision after midnight was read too


def test_a_day_is_read_from_the_tail_or_else_from_the_whole_file(tmp_path):
    path = tmp_path / "audit.jsonl"
    write(path, week())
    size = path.stat().st_size
    for tail in (size, 600, 100):  # the whole file, a tail that reaches back, one that does not
        records = dated(path, DAY + timedelta(days=1), DAY + timedelta(days=1), tail_bytes=tail)
        assert [record.number for record in records] == [10, 11, 12, 13, 14], tail
    assert [record.number for record in dated(path, DAY, DAY, tail_bytes=100)] == list(range(1, 10))


def test_an_unreadable_record_is_an_error_not_an_empty_day(tmp_path):
    with pytest.raises(OSError):
        read_figures(tmp_path / "missing.jsonl", DAY, DAY)


@pytest.mark.parametrize(
    ("days", "unit", "count"), [(7, "day", 7), (31, "day", 31), (60, "week", 9), (400, "month", 14)]
)
def test_a_long_period_goes_by_week_or_month(days, unit, count):
    first = date(2026, 1, 5)  # a Monday
    figures = tally([], first, first + timedelta(days=days - 1))
    found, spans = figures.spans(31)
    assert (found, len(spans)) == (unit, count)
    assert spans[0][0] == first and spans[-1][1] == figures.last
    assert sum((end - start).days + 1 for start, end, _ in spans) == days


def test_figures_of_an_empty_period_are_zero():
    figures = Figures(DAY, DAY, {DAY: tally([], DAY, DAY).days[DAY]})
    assert figures.total.scored == 0 and figures.total.undecided() == 0
