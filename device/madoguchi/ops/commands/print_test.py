"""``madoguchi print-test``: a test slip, titled as one, on the counter's printer."""

from __future__ import annotations

from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, NoArguments

PRINTED = Text("テスト票を印刷しました", "test slip printed")


class PrintTestAnswer(Answer):
    printed: bool
    width_px: int


def _print_test(appliance: Appliance) -> PrintTestAnswer:
    appliance.checks.printer()
    return PrintTestAnswer(printed=True, width_px=appliance.hardware.printer.width_px)


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> Call:
    return Call(lambda: _print_test(appliance))


def render(_data: PrintTestAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    return ExitCode.OK, [PRINTED(language)]


PRINT_TEST = Command(
    name="print-test",
    help="print a test slip",
    request="print_test",
    answer=PrintTestAnswer,
    handle=handle,
    render=render,
)
