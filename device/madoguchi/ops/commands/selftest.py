"""``madoguchi selftest``: the config, the models and every device, checked through the daemon between
visitors, or directly when no daemon runs; the same checks by the same names either way
(:meth:`madoguchi.ops.checks.DeviceChecks.selftest`). No face is captured or kept."""

from __future__ import annotations

import argparse

from madoguchi.cli.core import complain, language, say
from madoguchi.config import load
from madoguchi.counter.calls import Call
from madoguchi.errors import ConfigError, ExitCode, MadoguchiError, Refused, Unavailable
from madoguchi.language import Language, Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.checks import Check
from madoguchi.ops.commands.base import Command, Peer, refused, said
from madoguchi.ops.control.protocol import Answer, Arguments, CheckAnswer
from madoguchi.ops.systemd import configure_logging
from madoguchi.privacy import harden

DIRECT = Text(
    "デーモンが動いていないため、機器を直接確認します",
    "the daemon is not running; checking the devices directly",
)


NAMES = {
    "config": Text("設定ファイル", "config"),
    "font": Text("フォント", "font"),
    "models": Text("顔照合モデル", "models"),
    "devices": Text("機器", "devices"),
    "camera": Text("カメラ", "camera"),
    "scanner": Text("スキャナー", "scanner"),
    "display": Text("液晶画面", "display"),
    "printer": Text("プリンター", "printer"),
    "IC reader": Text("ICカードリーダー", "IC reader"),
    "audit record": Text("監査記録", "audit record"),
}
"""Each check's name in words (--json keeps the names themselves)."""


class SelftestArguments(Arguments):
    scan: bool = False
    print_slip: bool = False


class SelftestAnswer(Answer):
    ok: bool
    checks: list[CheckAnswer]


def answer_of(checks: list[Check]) -> SelftestAnswer:
    return SelftestAnswer(
        ok=all(check.ok is not False for check in checks),
        checks=[CheckAnswer(name=check.name, ok=check.ok, detail=check.detail) for check in checks],
    )


def handle(appliance: Appliance, arguments: SelftestArguments, _peer: Peer) -> Call:
    def work() -> SelftestAnswer:
        return answer_of(appliance.checks.selftest(scan=arguments.scan, print_slip=arguments.print_slip))

    return Call(work, redraw=True)


def render(data: SelftestAnswer, language: Language) -> tuple[ExitCode, list[str]]:
    lines = [
        f"[{say('ok' if check.ok else 'failed', language)}] "
        f"{NAMES[check.name](language) if check.name in NAMES else check.name}: {check.detail}"
        for check in data.checks
    ]
    return (ExitCode.OK if data.ok else ExitCode.FAILED), lines


def direct(args: argparse.Namespace) -> list[Check]:
    """The self-test without a daemon, on devices and models opened here (and closed after)."""
    # The composition root loads the engine and every device library: only here, where there is no
    # daemon to ask, so the other commands start at once.
    from madoguchi.hardware.factory import make_hardware
    from madoguchi.ops.root import device_checks

    configure_logging()
    harden()  # the camera may see someone: its frame gets the daemon's protection, then is wiped
    try:
        config = load(args.config)
        hardware = make_hardware(config.hardware)
    except MadoguchiError as error:
        return [Check("config" if isinstance(error, ConfigError) else "devices", False, str(error))]
    try:
        return device_checks(args.config, config, hardware).selftest(
            scan=args.scan, print_slip=args.print_slip
        )
    finally:
        hardware.close()


def run(args: argparse.Namespace) -> ExitCode:
    words = language(args)
    try:
        answer, waited = SELFTEST.ask(args)
    except Unavailable:
        if not args.json:
            complain(DIRECT(words))  # stdout keeps one line per check
        answer, waited, through = answer_of(direct(args)), False, False
    except Refused as error:
        return refused(args, SELFTEST, error)
    else:
        through = True
    return said(SELFTEST, args, answer, waited=waited, direct=not through)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scan", action="store_true", help="also scan a page (the scanner bed should be empty)"
    )
    parser.add_argument("--print", dest="print_slip", action="store_true", help="also print a test slip")


SELFTEST = Command(
    name="selftest",
    help="check models and each device, through the daemon between visitors, "
    "or directly when it is not running (no face kept)",
    request="selftest",
    arguments=SelftestArguments,
    answer=SelftestAnswer,
    handle=handle,
    render=render,
    options=options,
    run=run,
)
