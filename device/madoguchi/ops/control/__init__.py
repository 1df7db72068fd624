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
"""Overrides the socket's place for the daemon and the commands (tests, a second daemon by hand)."""
TECH_GROUP = "madoguchi-tech"


def user_socket_path() -> Path | None:
    """A daemon started by a user (a PC, ``madoguchi run --simulated``): its socket in the user's
    runtime directory ($XDG_RUNTIME_DIR/madoguchi), where only they reach it; None without one."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    return Path(runtime) / "madoguchi" / "control.sock" if runtime else None


def socket_path() -> Path:
    """Where the commands find the daemon: $MADOGUCHI_CONTROL_SOCKET; else the box's
    /run/madoguchi/control.sock; else, where there is none, a user's daemon's."""
    if os.environ.get(SOCKET_ENV):
        return Path(os.environ[SOCKET_ENV])
    user = user_socket_path()
    if user is not None and not SOCKET_PATH.exists() and user.exists():
        return user
    return SOCKET_PATH


def listen_path(*, simulated: bool) -> Path:
    """Where a daemon not given its socket by systemd listens: $MADOGUCHI_CONTROL_SOCKET; a simulated
    daemon (a PC) in the user's runtime directory; else /run/madoguchi if this user may write there,
    else the user's runtime directory."""
    if os.environ.get(SOCKET_ENV):
        return Path(os.environ[SOCKET_ENV])
    user = user_socket_path()
    if user is not None and (simulated or not os.access(SOCKET_PATH.parent.parent, os.W_OK)):
        return user
    return SOCKET_PATH
