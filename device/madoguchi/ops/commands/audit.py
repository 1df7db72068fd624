"""``madoguchi audit verify | tail | head | setup-key``: the audit record, for technicians, auditors and
fleet tools (the record itself is :mod:`madoguchi.audit`'s)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from madoguchi.audit.chain import verify
from madoguchi.audit.files import Files
from madoguchi.audit.log import HEAD_DIGITS
from madoguchi.audit.record import MAX_LINE
from madoguchi.audit.seal import EpochKeys, key_path, parse_verification_key, qr_text, setup_key
from madoguchi.config import load
from madoguchi.errors import ExitCode, MadoguchiError
from madoguchi.ops.commands.base import Command
from madoguchi.ui.slip import render_key_slip


def _audit_path(args: argparse.Namespace) -> Path:
    if args.path is not None:
        return args.path
    return load(args.config).storage.audit_path


def _verify_command(args: argparse.Namespace) -> ExitCode:
    path = _audit_path(args)
    key = None
    if args.key is not None:
        try:
            key = parse_verification_key(sys.stdin.readline() if args.key == "-" else args.key)
        except ValueError as error:
            print(f"--key: {error}", file=sys.stderr)
            return ExitCode.USAGE
    report = verify(path, key)
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
    try:
        payload = setup_key(Files(), key_path(path))
        owner = path.parent.stat()
        if os.geteuid() == 0 and owner.st_uid != 0:  # run as root: the daemon's user must read it
            os.chown(key_path(path), owner.st_uid, owner.st_gid)
    except OSError as error:
        print(f"setup-key: {error}", file=sys.stderr)
        return ExitCode.FAILED
    key = parse_verification_key(payload)
    print(f"Audit verification key for {path} (key id {EpochKeys(key).id}).")
    print("Write it in this counter's fleet record now: it is not kept on this box, and not shown again.")
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
    print("Check the record later with: madoguchi audit verify --key -   (and paste the key)")
    print("Restart the daemon (systemctl restart madoguchi) for it to start sealing.")
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


def _verify_options(parser: argparse.ArgumentParser) -> None:
    _path_options(parser)
    parser.add_argument(
        "--key",
        metavar="KEY",
        help="the verification key from the setup slip (or - to read it from standard input)",
    )


def _tail_options(parser: argparse.ArgumentParser) -> None:
    _path_options(parser)
    parser.add_argument("-n", "--lines", type=int, default=20, help="how many (default 20)")


def _setup_key_options(parser: argparse.ArgumentParser) -> None:
    _path_options(parser)
    parser.add_argument("--no-qr", action="store_true", help="text only, no QR code")
    parser.add_argument(
        "--print",
        dest="print_slip",
        action="store_true",
        help="also print the key as a setup slip with a QR code (before the daemon holds the printer)",
    )


AUDIT_VERIFY = Command(
    name="audit verify",
    help="check every line, the hash chain and the state beside it, and with --key every seal; "
    "exit 1 on any problem (a missing, cut or replaced record included)",
    options=_verify_options,
    run=_verify_command,
)
AUDIT_TAIL = Command(
    name="audit tail", help="print the last records", options=_tail_options, run=_tail_command
)
AUDIT_HEAD = Command(
    name="audit head",
    help="print the last transaction number and the head hash (as slips print them) for fleet tools",
    options=_path_options,
    run=_head_command,
)
AUDIT_SETUP_KEY = Command(
    name="audit setup-key",
    help="at install: make the sealing key and print its verification key once (text and QR code); "
    "the verification key is not kept on the box",
    options=_setup_key_options,
    run=_setup_key_command,
)
