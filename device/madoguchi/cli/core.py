"""What every ``madoguchi`` command shares: its common options, its language, how it says what it
found (words, or one JSON object with ``--json``) and its exit code (:class:`~madoguchi.errors.ExitCode`).

    madoguchi COMMAND [--json] [--lang ja|en] [--config PATH] [--socket PATH]

A technician's command is a :class:`~madoguchi.ops.commands.base.Command`; :func:`ask` sends it to
the daemon and returns its typed answer, :func:`emit` prints the result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from madoguchi.config import DEFAULT_PATH, load
from madoguchi.errors import ConfigError, ExitCode
from madoguchi.language import Language, Text
from madoguchi.ops.control import SOCKET_ENV, socket_path

EXIT_CODES = ", ".join(
    f"{code.value} {meaning}"
    for code, meaning in (
        (ExitCode.OK, "ok"),
        (ExitCode.FAILED, "a check failed"),
        (ExitCode.USAGE, "usage"),
        (ExitCode.UNAVAILABLE, "daemon unavailable"),
        (ExitCode.CONFIG, "config"),
    )
)
EXIT_CODES = f"exit codes: {EXIT_CODES}"

WORDS = {
    "ok": Text("正常", "ok"),
    "failed": Text("異常", "FAILED"),
    "unavailable": Text("デーモンに接続できません", "the daemon is unavailable"),
    "busy": Text(
        "来庁者の照合中のため実行できませんでした。後でもう一度", "a visitor is being served; try again later"
    ),
    "refused": Text(
        "権限がありません（madoguchi-tech グループが必要）", "refused (group madoguchi-tech is needed)"
    ),
    "waited": Text(
        "来庁者の照合が終わるのを待ってから実行しました", "waited for a visitor's transaction to end"
    ),
    "none": Text("なし", "none"),
}
"""Words more than one command says."""


def say(key: str, language: Language) -> str:
    return WORDS[key](language)


def common_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of words")
    parser.add_argument("--lang", choices=("ja", "en"), help="language of the words (default: the config's)")
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_PATH, help=f"config file (default {DEFAULT_PATH})"
    )
    parser.add_argument(
        "--socket", type=Path, default=None, help=f"control socket (default ${SOCKET_ENV} or {socket_path()})"
    )
    return parser


def language(args: argparse.Namespace) -> Language:
    """``--lang``, else the config's language, else Japanese (the config may be unreadable)."""
    if getattr(args, "lang", None):
        return args.lang
    try:
        return load(args.config).counter.language
    except ConfigError:
        return "ja"


def emit(args: argparse.Namespace, command: str, code: ExitCode, data: Any, lines: Sequence[str]) -> ExitCode:
    """Print ``lines``, or with ``--json`` one object: the command, its exit code and ``data``. A
    reader gone before the end (``| head``) takes what it wanted; the exit code is still the command's."""
    text = (
        json.dumps({"command": command, "exit": int(code), "data": data}, ensure_ascii=False, indent=2)
        if args.json
        else "\n".join(lines)
    )
    try:
        if text:
            print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        quiet_stdout()
    return code


def quiet_stdout() -> None:
    """The reader of standard output went away: what is still to be written goes nowhere."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def complain(message: str) -> None:
    """A line for the person at the terminal that is not the command's output (stderr)."""
    print(message, file=sys.stderr)
