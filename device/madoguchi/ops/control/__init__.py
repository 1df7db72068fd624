"""The technicians' control socket: a running counter answers questions and runs checks.

    madoguchi status ──AF_UNIX──> /run/madoguchi/control.sock ──> server thread ──Call──> counter thread

:mod:`.protocol` frames and checks every message, :mod:`.server` accepts connections (group
``madoguchi-tech`` and root only, from SO_PEERCRED) and hands each request to its command
(:mod:`madoguchi.ops.commands`), whose work runs on the counter's thread; :mod:`.client` is the
commands' side.
"""

from __future__ import annotations

import os
from pathlib import Path

SOCKET_PATH = Path("/run/madoguchi/control.sock")
SOCKET_ENV = "MADOGUCHI_CONTROL_SOCKET"
"""Overrides SOCKET_PATH for the daemon and the commands (tests, a daemon started by hand)."""
TECH_GROUP = "madoguchi-tech"


def socket_path() -> Path:
    return Path(os.environ.get(SOCKET_ENV) or SOCKET_PATH)
