"""``madoguchi report --from YYYY-MM-DD --to YYYY-MM-DD [--out FILE.png|FILE.pdf] [--path FILE]``: the
municipality's report of a period, drawn from the audit record alone (no daemon needed): counts per
day, the scores, and how often staff issued below the threshold or refused at or above it."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from pathlib import Path

from madoguchi.audit.figures import read_figures
from madoguchi.cli.core import complain, emit, language
from madoguchi.config import load
from madoguchi.errors import ConfigError, ExitCode
from madoguchi.language import Text
from madoguchi.ops.commands.base import Command
from madoguchi.ops.commands.day_slip import iso_day
from madoguchi.ops.report import report_pages, save

MOST_DAYS = 3660
"""The longest period a report covers: ten years."""
WORDS = {
    "written": Text("報告を書き出しました: {out}（{pages} ページ）", "report written: {out} ({pages} pages)"),
    "figures": Text(
        "照合 {transactions} 件、基準未満で交付 {issued_below} 件、基準以上で交付せず {refused} 件",
        "{transactions} transactions, {issued_below} issued below the threshold, "
        "{refused} refused at or above",
    ),
    "damaged": Text(
        "読めない記録行 {damaged} 行（集計から除外）", "unreadable record lines left out: {damaged}"
    ),
    "order": Text("--from は --to 以前の日付にしてください", "--from must not be after --to"),
    "too_long": Text(f"期間は {MOST_DAYS} 日までです", f"a report covers at most {MOST_DAYS} days"),
    "suffix": Text("--out は .png か .pdf のファイルにしてください", "--out must name a .png or .pdf file"),
    "unreadable": Text("監査記録を読めません", "the audit record cannot be read"),
    "unwritable": Text("報告を書き出せません", "the report cannot be written"),
}


def _usage_problem(first: date, last: date, out: Path) -> str | None:
    if first > last:
        return "order"
    if (last - first).days >= MOST_DAYS:
        return "too_long"
    return None if out.suffix.lower() in (".png", ".pdf") else "suffix"


def _run(args: argparse.Namespace) -> ExitCode:
    words = language(args)
    first, last = date.fromisoformat(args.first), date.fromisoformat(args.last)
    out: Path = args.out or Path(f"madoguchi-report-{first}-{last}.png")
    if (problem := _usage_problem(first, last, out)) is not None:
        complain(WORDS[problem](words))
        return ExitCode.USAGE
    try:
        config = load(args.config)
    except ConfigError as error:
        if args.path is None:
            complain(str(error))
            return ExitCode.CONFIG
        config = None  # the record is named: the config only adds the municipality and the font
    path = args.path or config.storage.audit_path  # type: ignore[union-attr]
    try:
        figures = read_figures(path, first, last)
    except OSError as error:
        complain(f"{WORDS['unreadable'](words)}: {path}: {error.strerror or error}")
        return ExitCode.FAILED
    pages = report_pages(
        figures,
        language=words,
        municipality=config.counter.municipality if config else "",
        made=datetime.now().astimezone(),
        font=config.counter.font if config else None,
    )
    try:
        save(pages, out)
    except OSError as error:
        complain(f"{WORDS['unwritable'](words)}: {out}: {error.strerror or error}")
        return ExitCode.FAILED
    total = figures.total
    data = {
        "out": str(out),
        "pages": len(pages),
        "from": first.isoformat(),
        "to": last.isoformat(),
        "transactions": total.transactions,
        "at_or_above": total.at_or_above,
        "below": total.below,
        "decisions": dict(total.decisions),
        "undecided": total.undecided(),
        "issued_below": total.issued_below,
        "refused_at_or_above": total.refused_at_or_above,
        "damaged": figures.damaged,
    }
    lines = [
        WORDS["written"](words).format(out=out, pages=len(pages)),
        WORDS["figures"](words).format(
            transactions=total.transactions,
            issued_below=total.issued_below,
            refused=total.refused_at_or_above,
        ),
    ]
    if figures.damaged:
        lines.append(WORDS["damaged"](words).format(damaged=figures.damaged))
    return emit(args, REPORT.name, ExitCode.OK, data, lines)


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="first", type=iso_day, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=iso_day, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument(
        "--out",
        type=Path,
        help="the report: FILE.png (pages one under another) or FILE.pdf (default: "
        "madoguchi-report-FROM-TO.png here)",
    )
    parser.add_argument("--path", type=Path, help="the audit record itself (overrides --config)")


REPORT = Command(
    name="report",
    help="draw the municipality's report of a period from the audit record (PNG or PDF): counts per day, "
    "scores, and staff's decisions against the threshold",
    options=_options,
    run=_run,
)
