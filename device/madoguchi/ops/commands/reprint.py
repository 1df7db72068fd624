"""``madoguchi reprint``: the last transaction's slip again, marked 再発行 (after the paper ran out),
with the same number and witness, and kept in the audit record (the staff menu does the same)."""

from __future__ import annotations

from datetime import datetime

from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, NoArguments
from madoguchi.ui.messages import say

WORDS = {
    "printed": Text(
        "処理番号 {transaction:06d} の票を再発行しました",
        "slip of transaction {transaction:06d} printed again",
    ),
    "not_printed": Text(
        "処理番号 {transaction:06d} の票を印刷できませんでした",
        "slip of transaction {transaction:06d} not printed",
    ),
    "record": Text("監査記録 {record:06d}", "audit record {record:06d}"),
}


class ReprintAnswer(Answer):
    transaction: int
    """The transaction whose slip was printed again."""
    record: int
    """The ``reprint`` record's number."""
    printed: bool
    problem: str | None
    """Why it did not come out (a message code), if it did not."""


def _reprint(appliance: Appliance) -> ReprintAnswer:
    done = appliance.slips.reprint(datetime.now().astimezone())
    return ReprintAnswer(
        transaction=done.transaction, record=done.record, printed=done.problem is None, problem=done.problem
    )


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> Call:
    return Call(lambda: _reprint(appliance))


def render(data: ReprintAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    record = WORDS["record"](language).format(record=data.record)
    if data.printed:
        return ExitCode.OK, [WORDS["printed"](language).format(transaction=data.transaction) + f" ({record})"]
    line = WORDS["not_printed"](language).format(transaction=data.transaction)
    return ExitCode.FAILED, [f"{line}: {say(data.problem or 'printer_error', language)} ({record})"]


REPRINT = Command(
    name="reprint",
    help="print the last transaction's slip again, marked REPRINT (kept in the audit record)",
    request="reprint",
    answer=ReprintAnswer,
    handle=handle,
    render=render,
)
