"""``madoguchi privacy-check``: for an auditor, from the kernel, that every promise of the box holds
for the running daemon (:mod:`madoguchi.ops.privacy_check` says how each is checked). As root."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from madoguchi.cli.core import language
from madoguchi.errors import ExitCode, Refused, Unavailable
from madoguchi.language import Language, Text
from madoguchi.ops.commands.base import Command
from madoguchi.ops.commands.status import STATUS, StatusAnswer
from madoguchi.ops.control import client, socket_path
from madoguchi.ops.privacy_check import PROMISES, Report, check, systemd_main_pid

HOLDS = Text("守られている", "holds")
BROKEN = Text("守られていない", "DOES NOT HOLD")
SKIPPED = Text("確認できない（対象外）", "not checked")
VERDICT = {
    True: Text("すべての約束が守られています", "Every promise holds"),
    False: Text("守られていない約束があります", "A promise does not hold"),
}
NO_DAEMON = Text(
    "動作中のデーモンが見つかりません。制御ソケット {socket} に応答がなく、"
    "systemd にも動作中の madoguchi.service がありません",
    "No running daemon found: nothing answers on the control socket {socket}, "
    "and systemd runs no madoguchi.service",
)
SHOWN = 40
"""Findings listed per promise in words; --json lists all."""


@dataclass(frozen=True)
class Found:
    pid: int | None
    own_filter: bool | None
    audit_dir: str | None
    source: str


def find_daemon(socket: Path | None) -> Found:
    """The daemon's pid and what it says of its own filter, from its control socket, else systemd."""
    try:
        data, _ = client.ask(STATUS.request or "", path=socket, timeout=60)
        status = StatusAnswer.model_validate(data)
    except (Unavailable, Refused) as error:
        return Found(systemd_main_pid(), None, None, f"systemd MainPID (control socket: {error})")
    return Found(status.pid, status.seccomp_filter, str(Path(status.audit_path).parent), "control socket")


def words(report: Report, language: Language) -> list[str]:
    lines = [f"madoguchi privacy-check: pid {report.pid}"]
    for promise in report.promises:
        verdict = {True: HOLDS, False: BROKEN, None: SKIPPED}[promise.ok](language)
        lines.append(f"[{verdict}] {PROMISES[promise.name](language)}")
        lines.append(f"    {promise.detail}")
        lines += [f"    ! {finding}" for finding in promise.findings[:SHOWN]]
        if len(promise.findings) > SHOWN:
            lines.append(f"    ! ... {len(promise.findings) - SHOWN} more (--json lists all)")
    lines.append(VERDICT[report.ok](language))
    return lines


def run(args: argparse.Namespace) -> ExitCode:
    said = language(args)
    found = find_daemon(args.socket)
    pid = args.pid if args.pid is not None else found.pid
    if pid is None:
        message = NO_DAEMON(said).format(socket=args.socket or socket_path())
        print(
            json.dumps({"exit": int(ExitCode.UNAVAILABLE), "error": message}, ensure_ascii=False)
            if args.json
            else message
        )
        return ExitCode.UNAVAILABLE
    report = check(pid, found.own_filter, audit_dir=found.audit_dir)
    code = ExitCode.OK if report.ok else ExitCode.FAILED
    if args.json:
        data = asdict(report) | {"ok": report.ok, "exit": int(code), "found_by": found.source}
        data["promises"] = [
            {
                "id": promise.name,
                "holds": promise.ok,
                "detail": promise.detail,
                "findings": list(promise.findings),
                "promise": PROMISES[promise.name](said),
            }
            for promise in report.promises
        ]
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print("\n".join(words(report, said)))
    return code


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pid", type=int, help="the daemon's pid (default: from its control socket, else systemd)"
    )


PRIVACY_CHECK = Command(
    name="privacy-check",
    help="check, from the kernel, that the running daemon keeps no face data and has no network (as root)",
    options=options,
    run=run,
)
