"""The field technician's commands: ask the running counter, check its devices, change a setting.

    madoguchi status | selftest | camera-check | print-test | scan-test | config show|validate|set
              | logs | version | privacy-check

Each takes ``--json`` (one JSON object on stdout) and ``--lang ja|en`` (default: the config's
language). They talk to the daemon over its control socket (:mod:`madoguchi.control`), so they need
root or group ``madoguchi-tech``. Exit codes, the same for every command:

    0   ok
    1   a check failed (selftest, scan-test without a card, privacy-check, logs unreadable...)
    2   usage: an unknown option or a missing argument
    69  the daemon is unavailable: not running, still serving a visitor, or refusing this user
    78  the config file is invalid, or config set was given a value the config does not allow
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from madoguchi import __version__
from madoguchi.config import DEFAULT_PATH, load
from madoguchi.control import SOCKET_ENV, socket_path
from madoguchi.control.client import Refused, Unavailable, ask
from madoguchi.control.protocol import SETTABLE
from madoguchi.errors import ConfigError
from madoguchi.messages import Language, Text

OK, FAILED, USAGE, UNAVAILABLE, CONFIG = 0, 1, 2, 69, 78

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
    "direct": Text(
        "デーモンが動いていないため、機器を直接確認します",
        "the daemon is not running; checking the devices directly",
    ),
    "state": Text("状態", "state"),
    "uptime": Text("稼働時間（秒）", "uptime (s)"),
    "version": Text("バージョン", "version"),
    "models": Text("モデル（SHA-256）", "models (SHA-256)"),
    "terminal": Text("端末", "terminal"),
    "threshold": Text("しきい値", "threshold"),
    "mode": Text("モード", "mode"),
    "today": Text("本日の照合件数", "transactions today"),
    "outcomes": Text("結果の内訳", "by outcome"),
    "devices": Text("機器（最後の異常）", "devices (last fault)"),
    "audit": Text("監査記録", "audit record"),
    "free": Text("空き容量", "free space"),
    "clock": Text("時計", "clock"),
    "watchdog": Text("ウォッチドッグ", "watchdog"),
    "seccomp": Text("ソケット制限（seccomp）", "socket filter (seccomp)"),
    "none": Text("なし", "none"),
    "frames": Text("フレーム数（顔あり）", "frames (with a face)"),
    "figures": Text(
        "最良フレーム：目の間隔 px／鮮鋭度／明るさ", "best frame: eye distance px / sharpness / brightness"
    ),
    "lcd_only": Text(
        "映像と顔の枠は液晶画面にのみ表示しました", "the view and the face box were shown on the LCD only"
    ),
    "printed": Text("テスト票を印刷しました", "test slip printed"),
    "page": Text("読み取り", "page"),
    "card_found": Text("写真を検出", "photo found"),
    "card_missing": Text("写真を検出できません", "no photo found"),
    "valid": Text("設定は正しい", "config is valid"),
    "changed": Text("変更し、監査記録に残しました", "changed, and kept in the audit record"),
    "daemon_version": Text("デーモン", "daemon"),
    "not_running": Text("動作していません", "not running"),
}


def say(key: str, language: Language) -> str:
    return WORDS[key](language)


def _language(args: argparse.Namespace) -> Language:
    if args.lang:
        return args.lang
    try:
        return load(args.config).counter.language
    except ConfigError:
        return "ja"


def _emit(args: argparse.Namespace, command: str, code: int, data: Any, lines: list[str]) -> int:
    if args.json:
        print(json.dumps({"command": command, "exit": code, "data": data}, ensure_ascii=False, indent=2))
    else:
        for line in lines:
            print(line)
    return code


def _refused(args: argparse.Namespace, command: str, error: Refused) -> int:
    """The daemon's error answer, said, with its exit code."""
    # busy, refused, or a request this version of the daemon does not take: unavailable
    failed = CONFIG if command == "config_set" else FAILED
    code = failed if error.code == "failed" else UNAVAILABLE
    key = error.code if error.code in ("busy", "refused") else "failed"
    words = f"{say(key, _language(args))}: {error}"
    return _emit(args, command, code, {"error": error.code, "message": str(error)}, [words])


def _through_daemon(
    args: argparse.Namespace,
    command: str,
    render: Callable[[dict, Language], tuple[int, list[str]]],
    **arguments: Any,
) -> int:
    """Ask the daemon; print the answer as ``render`` words it, or say why it could not be asked."""
    language = _language(args)
    try:
        data, waited = ask(command, path=args.socket, **arguments)
    except Unavailable as error:
        return _emit(
            args,
            command,
            UNAVAILABLE,
            {"error": "unavailable", "message": str(error)},
            [f"{say('unavailable', language)}: {error}"],
        )
    except Refused as error:
        return _refused(args, command, error)
    code, lines = render(data, language)
    if waited:
        lines.append(f"({say('waited', language)})")
    return _emit(args, command, code, data | {"waited": waited}, lines)


# --- renderings ---


def _status_lines(data: dict, language: Language) -> tuple[int, list[str]]:
    w = lambda key: say(key, language)  # noqa: E731
    devices = ", ".join(
        f"{device['name']}={device['origin']}"
        + (f" [{device['last_fault']} {device['last_fault_at']}]" if device["last_fault"] else "")
        for device in data["devices"]
    )
    outcomes = ", ".join(f"{code} {count}" for code, count in sorted(data["outcomes_today"].items())) or w(
        "none"
    )
    watchdog = "-" if data["watchdog_s"] is None else f"{data['watchdog_s']:g} s"
    beat = "-" if data["heartbeat_age_s"] is None else f"{data['heartbeat_age_s']:g} s"
    clock_ok = w("ok") if data["clock_ok"] else w("failed")
    lines = [
        f"{w('state')}: {data['state']} (pid {data['pid']})",
        f"{w('uptime')}: {data['uptime_s']:.0f}",
        f"{w('version')}: madoguchi {data['version']}",
        f"{w('models')}: "
        + ", ".join(f"{name} {digest[:12]}" for name, digest in sorted(data["models"].items())),
        f"{w('terminal')}: {data['terminal_id']}  {w('threshold')}: {data['threshold']}  "
        f"{w('mode')}: {data['mode']}",
        f"{w('today')}: {data['transactions_today']} ({w('outcomes')}: {outcomes})",
        f"{w('devices')}: {devices}",
        f"{w('audit')}: {data['audit_path']} #{data['audit_last_number']} head {data['audit_head'][:16]}; "
        f"{w('free')} {data['audit_free_bytes'] / 2**30:.1f} GiB",
        f"{w('clock')}: {data['clock']} {clock_ok} ({data['clock_note']})",
        f"{w('watchdog')}: {watchdog}, last beat {beat} ago",
        f"{w('seccomp')}: " + (w("ok") if data["seccomp_filter"] else w("failed")),
    ]
    return (OK if data["clock_ok"] else FAILED), lines


def _checks_lines(data: dict, language: Language) -> tuple[int, list[str]]:
    lines = [
        f"{'ok  ' if check['ok'] else 'FAIL'}  {check['name']}: {check['detail']}" for check in data["checks"]
    ]
    return (OK if data["ok"] else FAILED), lines


def _camera_lines(data: dict, language: Language) -> tuple[int, list[str]]:
    figures = " / ".join(
        "-" if data[key] is None else f"{data[key]:g}"
        for key in ("eye_distance_px", "sharpness", "brightness")
    )
    lines = [
        f"{say('frames', language)}: {data['frames']} ({data['frames_with_face']}), {data['frame_size']}",
        f"{say('figures', language)}: {figures}",
        say("lcd_only", language),
    ]
    return (OK if data["frames"] else FAILED), lines


def _scan_lines(data: dict, language: Language) -> tuple[int, list[str]]:
    found = say("card_found", language) if data["card_found"] else say("card_missing", language)
    lines = [
        f"{say('page', language)}: {data['width_px']}x{data['height_px']} px, {data['dpi']} dpi",
        f"{found}: {data['detail']}",
    ]
    return (OK if data["card_found"] else FAILED), lines


def _config_lines(data: dict, language: Language) -> tuple[int, list[str]]:
    return OK, [
        f"# {data['path']}",
        *(f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in data["values"].items()),
    ]


# --- commands ---


def _status(args: argparse.Namespace) -> int:
    return _through_daemon(args, "status", _status_lines)


def _selftest(args: argparse.Namespace) -> int:
    from madoguchi import service

    language = _language(args)
    try:
        data, waited = ask("selftest", path=args.socket, scan=args.scan, print_slip=args.print_slip)
    except Unavailable:
        if not args.json:
            print(say("direct", language), file=sys.stderr)  # stdout keeps one line per check
            return service.selftest(args.config, scan=args.scan, print_slip=args.print_slip)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = service.selftest(args.config, scan=args.scan, print_slip=args.print_slip)
        checks = [
            {"name": name.strip(), "ok": mark == "ok", "detail": detail.strip()}
            for mark, _, rest in (
                line.partition(" ")
                for line in printed.getvalue().splitlines()
                if line[:4] in ("ok  ", "FAIL")
            )
            for name, _, detail in [rest.strip().partition(":")]
        ]
        return _emit(args, "selftest", code, {"ok": code == 0, "checks": checks, "direct": True}, [])
    except Refused as error:
        return _refused(args, "selftest", error)
    code, lines = _checks_lines(data, language)
    if waited:
        lines.append(f"({say('waited', language)})")
    return _emit(args, "selftest", code, data | {"waited": waited, "direct": False}, lines)


def _config_show(args: argparse.Namespace) -> int:
    try:
        return _through_daemon_or_raise(args, "config_show", _config_lines)
    except Unavailable:
        try:
            config = load(args.config)
        except ConfigError as error:
            return _emit(
                args, "config_show", CONFIG, {"error": "config", "message": str(error)}, [str(error)]
            )
        data = {"path": str(args.config), "values": config.counter.model_dump(mode="json")}
        return _emit(args, "config_show", OK, data, _config_lines(data, _language(args))[1])


def _through_daemon_or_raise(
    args: argparse.Namespace, command: str, render: Callable[[dict, Language], tuple[int, list[str]]]
) -> int:
    data, waited = ask(command, path=args.socket)
    code, lines = render(data, _language(args))
    return _emit(args, command, code, data | {"waited": waited}, lines)


def _config_validate(args: argparse.Namespace) -> int:
    try:
        config = load(args.config)
    except ConfigError as error:
        return _emit(
            args,
            "config_validate",
            CONFIG,
            {"valid": False, "problems": str(error).splitlines()[1:] or [str(error)]},
            [str(error)],
        )
    counter = config.counter
    words = f"{args.config}: {say('valid', _language(args))} ({counter.terminal_id}, {counter.threshold})"
    return _emit(args, "config_validate", OK, {"valid": True, "path": str(args.config)}, [words])


def _config_set(args: argparse.Namespace) -> int:
    def render(data: dict, language: Language) -> tuple[int, list[str]]:
        return OK, [
            f"{data['key']}: {data['old']} -> {data['new']} "
            f"({say('changed', language)}, #{data['audit_number']})"
        ]

    return _through_daemon(args, "config_set", render, key=args.key, value=args.value)


def _logs(args: argparse.Namespace) -> int:
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        return _emit(args, "logs", FAILED, {"error": "no journalctl"}, ["journalctl is not installed"])
    command = [
        journalctl,
        "-u",
        "madoguchi",
        "--no-pager",
        "-n",
        str(args.lines),
        "-o",
        "json" if args.json else "short-iso",
    ]
    if args.since:
        command += ["--since", args.since]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return _emit(args, "logs", FAILED, {"error": result.stderr.strip()}, [result.stderr.strip()])
    if not args.json:
        sys.stdout.write(result.stdout)
        return OK
    entries = []
    for line in result.stdout.splitlines():
        with contextlib.suppress(ValueError, AttributeError):
            entry = json.loads(line)
            entries.append({key: entry.get(key) for key in ("__REALTIME_TIMESTAMP", "PRIORITY", "MESSAGE")})
    return _emit(args, "logs", OK, {"entries": entries}, [])


def _version(args: argparse.Namespace) -> int:
    language = _language(args)
    lines = [f"madoguchi {__version__}"]
    data: dict[str, Any] = {"version": __version__, "daemon": None}
    try:
        data["daemon"], _ = ask("version", path=args.socket)
        daemon = data["daemon"]
        lines.append(
            f"{say('daemon_version', language)}: madoguchi {daemon['version']} (Python {daemon['python']})"
        )
        lines += [f"  {name} {digest}" for name, digest in sorted(daemon["models"].items())]
    except (Unavailable, Refused) as error:
        lines.append(f"{say('daemon_version', language)}: {say('not_running', language)} ({error})")
    return _emit(args, "version", OK, data, lines)


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


EXIT_CODES = "exit codes: 0 ok, 1 a check failed, 2 usage, 69 daemon unavailable, 78 config"


def register(subparsers: argparse._SubParsersAction) -> None:
    from madoguchi import privacy_check

    def command(
        name: str, help_text: str, handler: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(name, help=help_text, description=help_text, epilog=EXIT_CODES)
        parser.set_defaults(handler=handler)
        return common_options(parser)

    command("status", "how the running counter is: state, devices, audit record, clock, watchdog", _status)
    selftest = command(
        "selftest",
        "check models and each device, through the daemon between visitors, "
        "or directly when it is not running (no face kept)",
        _selftest,
    )
    selftest.add_argument(
        "--scan", action="store_true", help="also scan a page (the scanner bed should be empty)"
    )
    selftest.add_argument("--print", dest="print_slip", action="store_true", help="also print a test slip")
    camera = command(
        "camera-check",
        "show the camera's view, face box and quality figures on the LCD only",
        lambda args: _through_daemon(args, "camera_check", _camera_lines, seconds=args.seconds),
    )
    camera.add_argument(
        "--seconds", type=int, default=10, choices=range(1, 121), metavar="N", help="1-120 (default 10)"
    )
    command(
        "print-test",
        "print a test slip",
        lambda args: _through_daemon(args, "print_test", lambda d, lang: (OK, [say("printed", lang)])),
    )
    command(
        "scan-test",
        "scan once: page size, dpi and whether a photo was found (no image leaves)",
        lambda args: _through_daemon(args, "scan_test", _scan_lines),
    )
    config = subparsers.add_parser(
        "config", help="show, validate or change the counter's settings", epilog=EXIT_CODES
    )
    config.set_defaults(handler=lambda args: config.print_help() or USAGE)
    actions = config.add_subparsers(metavar="ACTION")
    for name, help_text, handler in (
        ("show", "the settings in use (the daemon's, else the file's)", _config_show),
        ("validate", "check the config file; print each problem", _config_validate),
        (
            "set",
            f"change one of {', '.join(SETTABLE)}: written, applied without a restart, audited",
            _config_set,
        ),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text, epilog=EXIT_CODES)
        action.set_defaults(handler=handler)
        common_options(action)
    actions.choices["set"].add_argument("key", choices=SETTABLE)
    actions.choices["set"].add_argument("value")
    logs = command("logs", "the daemon's journal lines (they carry no biometric data)", _logs)
    logs.add_argument("--since", help='e.g. "1 hour ago", "2026-04-01 09:00" (journalctl --since)')
    logs.add_argument("-n", "--lines", type=int, default=200, help="at most this many (default 200)")
    command("version", "this program's and the running daemon's version and model checksums", _version)
    privacy_check.register(subparsers, common_options)
