"""``madoguchi version``: this program's and the running daemon's version and model checksums."""

from __future__ import annotations

import argparse
import platform

from madoguchi import __version__
from madoguchi.cli.core import emit, language
from madoguchi.errors import ExitCode, Refused, Unavailable
from madoguchi.language import Text
from madoguchi.ops.appliance import Appliance
from madoguchi.ops.commands.base import Command, Peer
from madoguchi.ops.control.protocol import Answer, NoArguments

WORDS = {"daemon": Text("デーモン", "daemon"), "not_running": Text("動作していません", "not running")}


class VersionAnswer(Answer):
    version: str
    python: str
    models: dict[str, str]
    """Each model file and its SHA-256, as verified when the daemon loaded it."""


def handle(appliance: Appliance, _arguments: NoArguments, _peer: Peer) -> VersionAnswer:
    return VersionAnswer(version=__version__, python=platform.python_version(), models=appliance.models)


def run(args: argparse.Namespace) -> ExitCode:
    words = language(args)
    lines = [f"madoguchi {__version__}"]
    daemon: dict | None = None
    try:
        answer, _ = VERSION.ask(args)
    except (Unavailable, Refused) as error:
        lines.append(f"{WORDS['daemon'](words)}: {WORDS['not_running'](words)} ({error})")
    else:
        assert isinstance(answer, VersionAnswer)
        daemon = answer.model_dump(mode="json")
        lines.append(f"{WORDS['daemon'](words)}: madoguchi {answer.version} (Python {answer.python})")
        lines += [f"  {name} {digest}" for name, digest in sorted(answer.models.items())]
    return emit(args, VERSION.name, ExitCode.OK, {"version": __version__, "daemon": daemon}, lines)


VERSION = Command(
    name="version",
    help="this program's and the running daemon's version and model checksums",
    request="version",
    answer=VersionAnswer,
    handle=handle,
    run=run,
)
