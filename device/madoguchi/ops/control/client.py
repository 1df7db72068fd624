"""The commands' side of the control socket: one request, one answer."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Any

from madoguchi.errors import ProtocolError, Refused, Unavailable
from madoguchi.ops.control import protocol as p
from madoguchi.ops.control import socket_path

TIMEOUT_S = 330.0
"""Longest wait for an answer: the daemon's own waits (a visitor, a camera check) end before."""


def ask(
    command: str, *, path: Path | None = None, timeout: float = TIMEOUT_S, **arguments: Any
) -> tuple[dict, bool]:
    """Send ``command`` and return the answer's data and whether it waited for a visitor."""
    reply = exchange(p.request(command, **arguments), path=path, timeout=timeout)
    if not reply.get("ok"):
        problem = reply.get("error") or {}
        raise Refused(str(problem.get("code", "failed")), str(problem.get("message", "")))
    return reply.get("data") or {}, bool(reply.get("waited"))


def exchange(message: dict[str, Any], *, path: Path | None = None, timeout: float = TIMEOUT_S) -> dict:
    """One frame out, one frame back."""
    path = path or socket_path()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as error:
            raise Unavailable(f"no daemon on {path}: {error.strerror}") from None
        except PermissionError:
            raise Refused(
                "refused", f"{path}: permission denied (is this user in group madoguchi-tech?)"
            ) from None
        # Refused before the request was read: the reason is waiting to be read all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            p.send_frame(sock, message)
        try:
            return p.read_frame(sock)
        except ProtocolError as error:
            raise Unavailable(f"the daemon did not answer properly: {error}") from None
