"""``madoguchi day-slip [--date YYYY-MM-DD]``: a day's figures from the audit record on the slip
printer (today's by default): transactions by outcome, source and staff's decision, the scores in
10-point bins. The record is read before the counter is asked, so a long one never holds it up."""

from __future__ import annotations

import argparse
import re
from datetime import date, datetime

from pydantic import Field

from madoguchi.audit.figures import Figures, read_figures
from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode, MadoguchiError, ProtocolError
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, Arguments

WORDS = {
    "printed": Text("{day} の集計票を印刷しました", "day slip of {day} printed"),
    "figures": Text(
        "照合 {transactions} 件（基準以上 {at_or_above}、基準未満 {below}）、判断 交付 {issued}・再確認 "
        "{second_check}・交付せず {refused}",
        "{transactions} transactions ({at_or_above} at or above, {below} below); decisions: {issued} issued, "
        "{second_check} second check, {refused} refused",
    ),
    "damaged": Text("読めない記録行 {damaged} 行", "unreadable record lines: {damaged}"),
}


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_day(text: str) -> str:
    """``text`` once it is a date written YYYY-MM-DD (an option's type, and the socket's check)."""
    try:
        if ISO_DAY.fullmatch(text) is None:
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text[:40]!r}") from None


class DaySlipArguments(Arguments):
    date: str | None = Field(default=None, max_length=10)


class DaySlipAnswer(Answer):
    date: str
    transactions: int
    at_or_above: int
    below: int
    decisions: dict[str, int]
    damaged: int


def handle(appliance: Appliance, arguments: DaySlipArguments, _peer: Peer) -> Call:
    try:
        day = date.today() if arguments.date is None else date.fromisoformat(iso_day(arguments.date))
    except argparse.ArgumentTypeError as error:
        raise ProtocolError("bad_request", str(error)) from None
    try:
        figures = read_figures(appliance.audit.path, day, day)
    except OSError as error:
        raise MadoguchiError(f"the audit record cannot be read: {error}") from None
    return Call(lambda: _print(appliance, figures))


def _print(appliance: Appliance, figures: Figures) -> DaySlipAnswer:
    appliance.slips.print_day(figures, datetime.now().astimezone())
    counts = figures.total
    return DaySlipAnswer(
        date=figures.first.isoformat(),
        transactions=counts.transactions,
        at_or_above=counts.at_or_above,
        below=counts.below,
        decisions=dict(counts.decisions),
        damaged=figures.damaged,
    )


def render(data: DaySlipAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    lines = [
        WORDS["printed"](language).format(day=data.date),
        WORDS["figures"](language).format(
            transactions=data.transactions, at_or_above=data.at_or_above, below=data.below, **data.decisions
        ),
    ]
    if data.damaged:
        lines.append(WORDS["damaged"](language).format(damaged=data.damaged))
    return ExitCode.OK, lines


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=iso_day, help="the day, YYYY-MM-DD (default: today)")


DAY_SLIP = Command(
    name="day-slip",
    help="print a day's figures from the audit record on the slip printer (default: today)",
    request="day_slip",
    arguments=DaySlipArguments,
    answer=DaySlipAnswer,
    handle=handle,
    render=render,
    options=options,
)
