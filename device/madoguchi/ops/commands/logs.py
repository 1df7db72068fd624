"""``madoguchi logs``: the daemon's journal lines (they carry no biometric data)."""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys

from madoguchi.cli.core import emit
from madoguchi.errors import ExitCode
from madoguchi.ops.commands.base import Command


def run(args: argparse.Namespace) -> ExitCode:
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return emit(
            args, LOGS.name, ExitCode.FAILED, {"error": "no journalctl"}, ["journalctl is not installed"]
        )
    command = [journalctl, "-u", "madoguchi", "--no-pager", "-n", str(args.lines)]
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
