"""What the buttons and the LCD share on the GPIO header: lgpio's set-up (pins: madoguchi.config.devices)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


def prepare_lgpio() -> None:
    """Give lgpio a writable working directory before it is loaded.

    lgpio creates its notification pipe in the working directory, and fails when that is read-only
    (a service started in "/": gpiozero #1106). Unless ``LG_WD`` is set already or the working
    directory is writable, ``LG_WD`` is pointed at systemd's $RUNTIME_DIRECTORY, /run/madoguchi, or
    a private temporary directory, in that order.
    """
    if os.environ.get("LG_WD") or _writable(Path(".")):
        return
    runtime = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    for candidate in (Path(runtime) if runtime else None, Path("/run/madoguchi")):
        if _writable(candidate):
            os.environ["LG_WD"] = str(candidate)
            break
    else:
        os.environ["LG_WD"] = tempfile.mkdtemp(prefix="madoguchi-lgpio-")
    log.info("the working directory is not writable; lgpio works in %s", os.environ["LG_WD"])


def _writable(directory: Path | None) -> bool:
    """Whether a file can be created in ``directory`` (tried, as root passes every access() check)."""
    if directory is None or not directory.is_dir():
        return False
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False
