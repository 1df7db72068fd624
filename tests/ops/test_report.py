"""``madoguchi report``: a period's figures from the audit record, drawn as PNG or PDF, in Japanese or
English; bad arguments, an unreadable record and damaged lines are said, never a traceback."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from PIL import Image

from madoguchi.audit import AuditLog, AuditRecord
from madoguchi.audit.figures import tally
from madoguchi.cli.main import main
from madoguchi.ops.report import report_pages
from madoguchi.ops.report.pages import PAGE

FIRST = date(2026, 11, 23)


def record(number: int, day: int, *, score: float | None, outcome: str = "scored", **more) -> AuditRecord:
    when = datetime(2026, 11, day, 10, number % 60).astimezone().isoformat(timespec="seconds")
    at_or_above = None if score is None else score >= 60
    return AuditRecord(
        number, when, "counter-01", "card", 60, outcome, score, at_or_above, (), True, "card", **more
    )


@pytest.fixture
def audit_path(tmp_path):
    """Three days: scores either side of 60, staff issuing one below and refusing one above, a fault."""
    path = tmp_path / "audit.jsonl"
    audit = AuditLog.open(path)
    for entry in (
        record(1, 23, score=80.0),
        record(2, 23, score=None, outcome="decision", about=1, decision="issued"),
        record(3, 24, score=45.0),
        record(4, 24, score=None, outcome="decision", about=3, decision="issued"),
        record(5, 24, score=70.0),
        record(6, 24, score=None, outcome="decision", about=5, decision="refused"),
        record(7, 25, score=None, outcome="no_face_live"),
        record(8, 25, score=90.0),
    ):
        audit.append(entry)
    audit.close()
    with path.open("ab") as damaged:
        damaged.write(b'{"number": "not a record"}\n')
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["report", "--config", "/nonexistent/config.toml", *args])
    said = capsys.readouterr()
    return code, said.out, said.err


def report(capsys, audit_path, out, first: str, last: str, *more: str) -> tuple[int, str]:
    """``madoguchi report`` of ``audit_path`` from ``first`` to ``last`` into ``out``: exit code, words."""
    code, said, _ = run(
        capsys, "--from", first, "--to", last, "--path", str(audit_path), "--out", str(out), *more
    )
    return code, said


def test_a_week_as_a_png_in_japanese(audit_path, tmp_path, capsys):
    out = tmp_path / "week.png"
    code, said = report(capsys, audit_path, out, "2026-11-23", "2026-11-29")
    assert code == 0, said
    assert "報告を書き出しました" in said and "読めない記録行 1 行" in said
    with Image.open(out) as sheet:
        assert sheet.size == (PAGE[0], PAGE[1] * 2)  # two A4 pages, one under the other
        colours = len(sheet.convert("RGB").getcolors(1 << 20) or ())
    assert colours < 5000  # text and flat charts, not a photograph


def test_the_figures_behind_the_report(audit_path, tmp_path, capsys):
    out = tmp_path / "week.pdf"
    code, said = report(capsys, audit_path, out, "2026-11-23", "2026-11-25", "--json")
    assert code == 0
    data = json.loads(said)["data"]
    assert (data["transactions"], data["at_or_above"], data["below"]) == (5, 3, 1)
    assert data["decisions"] == {"issued": 2, "second_check": 0, "refused": 1}
    found = (data["issued_below"], data["refused_at_or_above"], data["undecided"], data["damaged"])
    assert found == (1, 1, 1, 1)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") == 2


def test_the_report_in_english_for_one_day(audit_path, tmp_path, capsys):
    code, said = report(capsys, audit_path, tmp_path / "day.png", "2026-11-24", "2026-11-24", "--lang", "en")
    assert code == 0 and "report written" in said and "2 transactions, 1 issued below" in said


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--from", "2026-11-25", "--to", "2026-11-23"), "--from"),
        (("--from", "2026-11-23", "--to", "2026-11-25", "--out", "report.svg"), ".png"),
        (("--from", "2000-01-01", "--to", "2026-11-25"), "3660"),
    ],
)
def test_a_period_or_file_that_cannot_be_is_a_usage_error(audit_path, capsys, args, expected):
    code, _, err = run(capsys, *args, "--path", str(audit_path), "--lang", "en")
    assert code == 2 and expected in err


def test_a_date_that_is_not_one_is_refused_by_the_parser(audit_path, capsys):
    with pytest.raises(SystemExit) as exited:
        run(capsys, "--from", "25/11/2026", "--to", "2026-11-25", "--path", str(audit_path))
    assert exited.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_an_unreadable_record_or_config_is_said(tmp_path, capsys):
    code, _, err = run(
        capsys, "--from", "2026-11-23", "--to", "2026-11-23", "--path", str(tmp_path / "none.jsonl")
    )
    assert code == 1 and "none.jsonl" in err
    code, _, err = run(capsys, "--from", "2026-11-23", "--to", "2026-11-23")  # no --path, no config
    assert code == 78 and "/nonexistent/config.toml" in err


def test_an_empty_period_and_a_long_one_draw_without_a_figure_missing():
    empty = tally([], FIRST, FIRST)
    year = tally([], FIRST, FIRST + timedelta(days=400))
    for figures in (empty, year):
        for language in ("ja", "en"):
            pages = report_pages(figures, language=language, made=datetime(2026, 12, 1, 9, 0))
            assert [page.size for page in pages] == [PAGE, PAGE]
