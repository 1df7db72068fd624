"""The `madoguchi` command: the daemon, the simulator, benchmarks and technician tools.

Each group of subcommands lives with the code it drives and registers itself here through a
``register(subparsers)`` function, so this module stays a table of contents.
"""

from __future__ import annotations

import argparse
import sys

from madoguchi import __version__, audit, service, simulate, technician
from madoguchi.bench import command as bench_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"madoguchi {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    service.register(subparsers)
    simulate.register(subparsers)
    audit.register(subparsers)
    bench_command.register(subparsers)
    technician.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
