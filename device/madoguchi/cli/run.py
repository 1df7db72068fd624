"""``madoguchi run``: the counter daemon (systemd starts this), or only a check of its config file.

``madoguchi run --simulated`` runs it on any PC, on simulated devices: the config file's counter if
there is one (else a sample one), its audit record in the user's state directory when the file's
place is not theirs, its control socket in the user's runtime directory; ``madoguchi press`` and
``madoguchi show lcd`` then work its buttons and show its LCD.
"""

from __future__ import annotations

import argparse
import sys

from madoguchi.config import load
from madoguchi.errors import ExitCode, MadoguchiError
from madoguchi.ops.commands.base import Command


def run(args: argparse.Namespace) -> ExitCode:
    if args.validate_config:
        try:
            config = load(args.config)
        except MadoguchiError as error:
            print(error, file=sys.stderr)
            return ExitCode.CONFIG
        print(f"{args.config}: valid ({config.counter.terminal_id}, threshold {config.counter.threshold})")
        return ExitCode.OK
    # The daemon's modules (the engine, every device library) load only when the daemon runs.
    from madoguchi.ops.daemon import run_daemon

    return run_daemon(args.config, simulated=args.simulated)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--validate-config", action="store_true", help="only check the config file; print each problem"
    )
    parser.add_argument(
        "--simulated",
        action="store_true",
        help="every device simulated (a PC): the config's counter if the file exists, else a sample one",
    )


RUN = Command(name="run", help="run the counter daemon (systemd starts this)", options=options, run=run)
