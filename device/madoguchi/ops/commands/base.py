"""A technician's command in one place: its options, its arguments over the control socket, its
answer, what the daemon does for it and how the answer is said.

    madoguchi status ─→ Command.arguments ─AF_UNIX─→ Command.handle (daemon) ─→ Command.answer
                     ←─ Command.render (words or --json) ←───────────────────────┘

The daemon's side (``handle``) runs on the counter's thread as a :class:`~madoguchi.counter.calls.Call`
or, for a command that never touches the counter, answers at once. Adding a command is one module
and a line in :mod:`madoguchi.ops.commands`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from madoguchi.cli.core import common_options, emit, language, say
from madoguchi.counter.calls import Call
from madoguchi.errors import ExitCode, Refused, Unavailable
from madoguchi.language import Language
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.control import client
from madoguchi.ops.control.protocol import Answer, Arguments, NoArguments


@dataclass(frozen=True)
class Peer:
    """Who asks, as the kernel says (SO_PEERCRED, SO_PEERGROUPS)."""

    pid: int
    uid: int
    gid: int
    user: str


Handle = Callable[[Appliance, Any, Peer], "Call | Answer"]
Render = Callable[[Any, Language], tuple[ExitCode, list[str]]]


@dataclass(frozen=True)
class Command:
    """One technician command.

    :param name: as typed: "status", "camera-check", "config set".
    :param help: one line for ``--help`` and the guide.
    :param request: its name over the socket ("camera_check"); None: it never asks the daemon.
    :param arguments: what it takes over the socket (checked by the daemon).
    :param answer: what the daemon answers.
    :param handle: what the daemon does: a Call for the counter's thread, or an answer at once.
    :param render: the answer in words, and the exit code it means.
    :param options: adds its own command-line options.
    :param run: the command line's side, when it is more than "ask the daemon, say the answer".
    """

    name: str
    help: str
    request: str | None = None
    arguments: type[Arguments] = NoArguments
    answer: type[Answer] | None = None
    handle: Handle | None = None
    render: Render | None = None
    options: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    run: Callable[[argparse.Namespace], ExitCode] | None = None

    def socket_arguments(self, args: argparse.Namespace) -> dict[str, Any]:
        """The socket's arguments, taken from the command line's options of the same names."""
        return {name: getattr(args, name) for name in self.arguments.model_fields if hasattr(args, name)}

    def ask(self, args: argparse.Namespace) -> tuple[Answer, bool]:
        """Ask the daemon; its typed answer and whether it waited for a visitor. Unavailable or Refused."""
        assert self.request is not None and self.answer is not None
        data, waited = client.ask(self.request, path=args.socket, **self.socket_arguments(args))
        return self.answer.model_validate(data), waited

    def __call__(self, args: argparse.Namespace) -> ExitCode:
        """Run from the command line."""
        if self.run is not None:
            return self.run(args)
        return through_daemon(self, args)


def through_daemon(command: Command, args: argparse.Namespace) -> ExitCode:
    """Ask the daemon; say its answer as ``command.render`` words it, or why it could not be asked."""
    try:
        answer, waited = command.ask(args)
    except Unavailable as error:
        return unavailable(args, command, error)
    except Refused as error:
        return refused(args, command, error)
    return said(command, args, answer, waited=waited)


def said(
    command: Command, args: argparse.Namespace, answer: Answer, *, waited: bool, **more: Any
) -> ExitCode:
    """``answer`` in words (or as JSON, with ``waited`` and ``more``), and the exit code it means."""
    assert command.render is not None
    words = language(args)
    code, lines = command.render(answer, words)
    if waited:
        lines.append(f"({say('waited', words)})")
    return emit(args, command.name, code, answer.model_dump(mode="json") | {"waited": waited, **more}, lines)


def unavailable(args: argparse.Namespace, command: Command, error: Unavailable) -> ExitCode:
    line = f"{say('unavailable', language(args))}: {error}"
    return emit(
        args, command.name, ExitCode.UNAVAILABLE, {"error": "unavailable", "message": str(error)}, [line]
    )


def refused(
    args: argparse.Namespace, command: Command, error: Refused, *, failed: ExitCode = ExitCode.FAILED
) -> ExitCode:
    """The daemon's error answer, said, with its exit code: ``failed`` when the command ran and
    failed; busy, refused or a request this daemon does not take: unavailable."""
    code = failed if error.code == "failed" else ExitCode.UNAVAILABLE
    key = error.code if error.code in ("busy", "refused") else "failed"
    line = f"{say(key, language(args))}: {error}"
    return emit(args, command.name, code, {"error": error.code, "message": str(error)}, [line])


GROUPS = {
    "config": "show, validate or change the counter's settings",
    "audit": "read, check and witness the audit record",
    "show": "simulated hardware only: show what a device shows",
}
"""Commands typed as two words ("config set"), and what their first word is for."""


def add_command(subparsers: argparse._SubParsersAction, command: Command, epilog: str) -> None:
    """``command``'s parser, under its group's ("config set" under "config")."""
    *group, name = command.name.split()
    if group:
        parent = subparsers.choices.get(group[0])
        if parent is None:
            parent = subparsers.add_parser(group[0], help=GROUPS[group[0]], epilog=epilog)
            parent.set_defaults(handler=lambda args, parent=parent: parent.print_help() or ExitCode.USAGE)
            parent.add_subparsers(metavar="ACTION")
        subparsers = next(
            action for action in parent._actions if isinstance(action, argparse._SubParsersAction)
        )
    parser = subparsers.add_parser(name, help=command.help, description=command.help, epilog=epilog)
    common_options(parser)
    command.options(parser)
    parser.set_defaults(handler=command)
