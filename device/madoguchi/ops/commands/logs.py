"""``madoguchi logs``: the daemon's journal lines (they carry no biometric data), or where to look
when the daemon is not run by systemd (started by hand, its lines go to the terminal it runs in)."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

from madoguchi.cli.core import emit, language
from madoguchi.errors import ExitCode
from madoguchi.language import Text
from madoguchi.ops.commands.base import Command

UNIT = "madoguchi.service"
BY_HAND = Text(
    "手動で起動したデーモンの記録は、起動した端末（標準エラー）に出ています",
    "a daemon started by hand writes its lines to the terminal it runs in (stderr)",
)
WORDS = {
    "no_journal": Text("この機械には systemd のジャーナルがありません", "No systemd journal here"),
    "no_unit": Text(f"{UNIT} はこの機械に組み込まれていません", f"{UNIT} is not installed here"),
}


def _unit_installed(systemctl: str) -> bool:
    result = subprocess.run(
        [systemctl, "show", UNIT, "--property=LoadState", "--value"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() == "loaded"


def _elsewhere(args: argparse.Namespace, why: str) -> ExitCode:
    """No journal holds the daemon's lines: say why, and where they are."""
    said = language(args)
    line = f"{WORDS[why](said)}: {BY_HAND(said)}"
    return emit(args, LOGS.name, ExitCode.FAILED, {"error": why, "message": line}, [line])


def run(args: argparse.Namespace) -> ExitCode:
    journalctl, systemctl = shutil.which("journalctl"), shutil.which("systemctl")
    if journalctl is None or systemctl is None or not Path("/run/systemd/system").is_dir():
        return emit(
            args, LOGS.name, ExitCode.FAILED, {"error": "no journal"}, [WORDS["no_journal"](language(args))]
        )
    if not _unit_installed(systemctl):
        return emit(
            args, LOGS.name, ExitCode.FAILED, {"error": "no unit"}, [WORDS["no_unit"](language(args))]
        )
    command = [journalctl, "-u", UNIT, "--no-pager", "-n", str(args.lines)]
    command += ["-o", "json" if args.json else "short-iso"]
    if args.since:
        command += ["--since", args.since]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return emit(
            args, LOGS.name, ExitCode.FAILED, {"error": result.stderr.strip()}, [result.stderr.strip()]
        )
    if not args.json:
        sys.stdout.write(result.stdout)
        return ExitCode.OK
    entries = []
    for line in result.stdout.splitlines():
        with contextlib.suppress(ValueError, AttributeError):
            entry = json.loads(line)
            entries.append({key: entry.get(key) for key in ("__REALTIME_TIMESTAMP", "PRIORITY", "MESSAGE")})
    return emit(args, LOGS.name, ExitCode.OK, {"entries": entries}, [])


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help='e.g. "1 hour ago", "2026-04-01 09:00" (journalctl --since)')
    parser.add_argument("-n", "--lines", type=int, default=200, help="at most this many (default 200)")


LOGS = Command(
    name="logs", help="the daemon's journal lines (they carry no biometric data)", options=options, run=run
)
