"""``madoguchi audit verify | tail | head | setup-key``: the audit record, for technicians, auditors and
fleet tools (the record itself is :mod:`madoguchi.audit`'s).

Exit status: 0 all is well, 1 a problem (the record's, or one that stopped the command), 2 a bad
argument.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from madoguchi.audit.chain import parse_head, verify
from madoguchi.audit.files import Files
from madoguchi.audit.log import HEAD_DIGITS, AuditLog, wiped
from madoguchi.audit.marker import default_marker, on_overlay, write_mark
from madoguchi.audit.record import MAX_LINE
from madoguchi.audit.seal import (
    EpochKeys,
    key_path,
    parse_verification_key,
    peek_sealing_key,
    qr_text,
    setup_key,
)
from madoguchi.audit.state import state_path
from madoguchi.cli.core import language
from madoguchi.config import load
from madoguchi.errors import ConfigError, ExitCode, MadoguchiError
from madoguchi.language import Text
from madoguchi.ops.commands.base import Command
from madoguchi.ui.slip import render_key_slip

KEY_WORDS = {
    "title": Text(
        "{path} の監査記録の検証鍵（鍵ID {id}）", "Audit verification key for {path} (key id {id})."
    ),
    "keep": Text(
        "いま端末台帳に記録してください。この鍵は本機に残らず、二度と表示されません。",
        "Write it in this counter's fleet record now: it is not kept on this box, and not shown again.",
    ),
    "verify": Text(
        "後で記録を確かめるとき: madoguchi audit verify --key -（鍵を貼り付け）",
        "Check the record later with: madoguchi audit verify --key -   (and paste the key)",
    ),
    "restart": Text(
        "封印を始めるには、デーモンを再起動してください（systemctl restart madoguchi）。",
        "Restart the daemon (systemctl restart madoguchi) for it to start sealing.",
    ),
}
"""What setup-key says around the key (the key itself is the same in any language)."""


def _audit_path(args: argparse.Namespace) -> Path:
    """``--path``, else the record the config names; ConfigError (said, exit 78) when the config
    cannot be read, e.g. by a technician outside its group: ``--path`` then names the record."""
    if args.path is not None:
        return args.path
    return load(args.config).storage.audit_path


def _with_record(
    command: Callable[[argparse.Namespace], ExitCode],
) -> Callable[[argparse.Namespace], ExitCode]:
    """``command``, or what stopped it reading the config file, said in one line."""

    def run(args: argparse.Namespace) -> ExitCode:
        try:
            return command(args)
        except ConfigError as error:
            print(f"{error}\n(give the audit record itself with --path)", file=sys.stderr)
            return ExitCode.CONFIG

    return run


def _verify_command(args: argparse.Namespace) -> ExitCode:
    path = _audit_path(args)
    key = None
    if args.key is not None:
        try:
            key = parse_verification_key(sys.stdin.readline() if args.key == "-" else args.key)
        except ValueError as error:
            print(f"--key: {error}", file=sys.stderr)
            return ExitCode.USAGE
    try:
        expect_head = None if args.expect_head is None else parse_head(args.expect_head)
    except ValueError as error:
        print(f"--expect-head: {error}", file=sys.stderr)
        return ExitCode.USAGE
    report = verify(path, key, expect_head=expect_head, marker=args.marker)
    for problem in report.problems:
        print(problem)
    if report.torn_bytes:
        print(f"torn last line: {report.torn_bytes} bytes (removed when the daemon next starts)")
    if key is None:
        seals = f"{report.sealed} sealed, seals not checked (give --key)"
    else:
        seals = f"{report.seals_checked} of {report.sealed} seals checked with key {EpochKeys(key).id}"
    verdict = "OK" if report.ok else "PROBLEMS"
    print(
        f"{path}: {report.records} records, last transaction {report.last_number}, "
        f"head {report.last_hash[:HEAD_DIGITS]}; {seals}: {verdict}"
    )
    return ExitCode.OK if report.ok else ExitCode.FAILED


def _tail_command(args: argparse.Namespace) -> ExitCode:
    path = _audit_path(args)
    try:
        with path.open("rb") as handle:
            lines = handle.read().splitlines()
    except OSError as error:
        print(f"{path}: {error.strerror}", file=sys.stderr)
        return ExitCode.FAILED
    for line in lines[-args.lines :] if args.lines > 0 else []:
        print(line[:MAX_LINE].decode(errors="replace"))
    return ExitCode.OK


def _head_command(args: argparse.Namespace) -> ExitCode:
    path = _audit_path(args)
    report = verify(path)
    if args.json:
        print(
            json.dumps(
                {
                    "path": str(path),
                    "number": report.last_number,
                    "head": report.last_hash[:HEAD_DIGITS],
                    "head_sha256": report.last_hash,
                    "witness": f"{report.last_number}:{report.last_hash[:HEAD_DIGITS]}",
                    "records": report.records,
                    "ok": report.ok,
                    "problems": report.problems,
                }
            )
        )
    else:
        print(f"{report.last_number} {report.last_hash[:HEAD_DIGITS]}")
        for problem in report.problems:
            print(problem, file=sys.stderr)
    return ExitCode.OK if report.ok else ExitCode.FAILED


def _setup_key_command(args: argparse.Namespace) -> ExitCode:
    path = _audit_path(args)
    files = Files()
    if args.mark_only:
        return _mark_install(files, path, args.marker)
    try:
        fleet_head = None if args.fleet_head is None else parse_head(args.fleet_head)
    except ValueError as error:
        print(f"--fleet-head: {error}", file=sys.stderr)
        return ExitCode.USAGE
    previous = wiped(files, path, args.marker)
    if previous is not None and not args.reinstall:
        print(
            f"setup-key: {args.marker} says this box keeps an audit record ({previous}), but the record, "
            "its state and its key are gone (wiped?). Reinstalling on purpose: add --reinstall "
            "(and --fleet-head with the last head the fleet collected, so no number is given twice).",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    if args.reinstall and previous is None:
        print(f"setup-key: --reinstall is for a wiped record, and {path} is not one", file=sys.stderr)
        return ExitCode.FAILED
    try:
        payload = setup_key(files, key_path(path))
        if args.reinstall:
            _record_reinstall(files, path, previous or "", fleet_head)
        owner = path.parent.stat()
        if os.geteuid() == 0 and owner.st_uid != 0:  # run as root: the daemon's user must own them
            for made in (key_path(path), path, state_path(path)):
                if made.exists():
                    os.chown(made, owner.st_uid, owner.st_gid)
    except OSError as error:
        print(f"setup-key: {error}", file=sys.stderr)
        return ExitCode.FAILED
    _mark_install(files, path, args.marker)
    key = parse_verification_key(payload)
    said = language(args)
    print(KEY_WORDS["title"](said).format(path=path, id=EpochKeys(key).id))
    print(KEY_WORDS["keep"](said))
    print()
    print(payload)
    print(" ".join(payload[i : i + 8] for i in range(len(payload) - 64, len(payload), 8)))
    if not args.no_qr:
        print()
        print(qr_text(payload), end="")
    print()
    if args.print_slip:
        try:
            print(_print_key_slip(args, payload))
        except MadoguchiError as error:
            print(f"setup-key: the setup slip was not printed: {error}", file=sys.stderr)
            return ExitCode.FAILED
    print(KEY_WORDS["verify"](said))
    print(KEY_WORDS["restart"](said))
    return ExitCode.OK


def _record_reinstall(files: Files, path: Path, previous: str, fleet_head: tuple[int, str] | None) -> None:
    audit = AuditLog.open(path, files=files)
    try:
        number = audit.record_reinstall(previous, fleet_head)
    finally:
        audit.close()
    print(f"Reinstall recorded in {path} as transaction {number} (audit_lost: reinstalled; {previous}).")


def _mark_install(files: Files, path: Path, marker: Path) -> ExitCode:
    """Write the install marker for the record's key; say why if it cannot be, or will not last."""
    key = peek_sealing_key(files, key_path(path))
    if key is None:
        print(f"setup-key: {path} has no sealing key to mark", file=sys.stderr)
        return ExitCode.FAILED
    try:
        write_mark(files, marker, key.key_id)
    except OSError as error:
        print(
            f"setup-key: the install marker {marker} was not written ({error.strerror or error}): a wipe of "
            "the data partition would not be noticed on the box. Write it as root: "
            "madoguchi audit setup-key --mark-only",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    if on_overlay(marker):
        print(
            f"setup-key: {marker} is on the read-only root's RAM overlay and is lost at reboot: write it "
            "in maintenance mode (overlay off) with: madoguchi audit setup-key --mark-only",
            file=sys.stderr,
        )
        return ExitCode.FAILED
    print(f"Install marker written: {marker}")
    return ExitCode.OK


def _print_key_slip(args: argparse.Namespace, payload: str) -> str:
    """Print the verification key on the slip printer (before the daemon holds it); say where."""
    # The printer's library loads only here, at install, so the other audit commands start at once.
    from madoguchi.hardware.factory import make_printer

    config = load(args.config)
    printer, origin = make_printer(config.hardware)
    try:
        printer.print_slip(
            render_key_slip(
                payload,
                terminal_id=config.counter.terminal_id,
                when=datetime.now().astimezone(),
                width_px=printer.width_px,
                language=config.counter.language,
                font=config.counter.font,
            )
        )
    finally:
        printer.close()
    return f"The setup slip was printed on {origin}."


def _path_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", type=Path, help="the audit record itself (overrides --config)")


def _marker_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--marker",
        type=Path,
        default=default_marker(),
        help=f"the install marker outside the data partition (default {default_marker()})",
    )


def _verify_options(parser: argparse.ArgumentParser) -> None:
    _path_options(parser)
    _marker_option(parser)
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="the verification key from the setup slip (or - to read it from standard input)",
    )
    parser.add_argument(
        "--expect-head",
        metavar="NUMBER:HEAD",
        help="the head the fleet last collected (`audit head`): fail unless the record holds that line",
    )


def _tail_options(parser: argparse.ArgumentParser) -> None:
    _path_options(parser)
    parser.add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")


def _setup_key_options(parser: argparse.ArgumentParser) -> None:
    """The key's options, and those that make a wipe show: the install marker, a deliberate reinstall."""
    _path_options(parser)
    _marker_option(parser)
    parser.add_argument("--no-qr", action="store_true", help="text only, no QR code")
    parser.add_argument(
        "--print",
        dest="print_slip",
        action="store_true",
        help="also print the key as a setup slip with a QR code (before the daemon holds the printer)",
    )
    parser.add_argument(
        "--reinstall",
        action="store_true",
        help="after a wipe (record, state and key gone where the marker says a record was kept): "
        "start a new key and record, which begins with an audit_lost record naming the old install",
    )
    parser.add_argument(
        "--fleet-head",
        metavar="NUMBER:HEAD",
        help="with --reinstall: the last head the fleet collected; numbering continues after it",
    )
    parser.add_argument(
        "--mark-only",
        action="store_true",
        help="only write the install marker for the existing key (e.g. in maintenance mode)",
    )


AUDIT_VERIFY = Command(
    name="audit verify",
    help="check every line, the hash chain and the state beside it, and with --key every seal; "
    "exit 1 on any problem (a missing, cut or replaced record included)",
    options=_verify_options,
    run=_with_record(_verify_command),
)
AUDIT_TAIL = Command(
    name="audit tail", help="print the last records", options=_tail_options, run=_with_record(_tail_command)
)
AUDIT_HEAD = Command(
    name="audit head",
    help="print the last transaction number and the head hash (as slips print them) for fleet tools",
    options=_path_options,
    run=_with_record(_head_command),
)
AUDIT_SETUP_KEY = Command(
    name="audit setup-key",
    help="at install: make the sealing key and print its verification key once (text and QR code); "
    "the verification key is not kept on the box",
    options=_setup_key_options,
    run=_with_record(_setup_key_command),
)
