"""The `madoguchi` command: the daemon, the technician's commands, the simulator and the benchmarks.

Each command lives with the code it drives: the technician's in :mod:`madoguchi.ops.commands` (one
module each, in one registry), the simulator's and the benchmarks' in their packages; this module
only builds the parser from them and runs the one asked for. The simulator and the benchmarks load
the face engine and every device library, so their modules are imported only when they run: a
technician's ``madoguchi status`` starts at once.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from madoguchi import __version__
from madoguchi.cli.core import EXIT_CODES, quiet_stdout
from madoguchi.cli.run import RUN
from madoguchi.errors import ExitCode
from madoguchi.ops.commands import COMMANDS
from madoguchi.ops.commands.base import add_command

TOOLS = {
    "simulate": ("madoguchi.simulate", "run scripted visitors through the counter on simulated devices"),
    "bench": ("madoguchi.bench.command", "measure accuracy and speed of the face engine"),
}
"""The developers' tools: each module's ``configure(parser)`` adds its options when it runs."""


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; ``argv`` (the arguments to come) says which tool, if any, needs its options."""
    parser = argparse.ArgumentParser(prog="madoguchi", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"madoguchi {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (RUN, *COMMANDS):
        if command.run is not None or command.render is not None:  # not a socket-only request
            add_command(subparsers, command, EXIT_CODES)
    for name, (module, help_text) in TOOLS.items():
        tool = subparsers.add_parser(name, help=help_text, description=help_text)
        if name in argv[:1]:
            importlib.import_module(module).configure(tool)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv).parse_args(argv)
    try:
        code = args.handler(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `madoguchi audit tail | head -2`: the reader has what it wanted
        quiet_stdout()
        return ExitCode.CUT_OFF
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
