"""One daemon per audit record: a second ``madoguchi run`` on the same config (or another config that
names the same record) is refused before it opens any device or socket, so it can never take the
first one's control socket or write into its record.

The lock is ``flock(2)`` on ``<record>.lock`` beside the audit record: the kernel drops it when the
holder exits, however it exits, so a crashed daemon never leaves a stale lock behind. The holder's
pid is written into the file for the refusal's message (nothing else is in it).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from madoguchi.errors import AlreadyRunning


def lock_path(audit_path: Path) -> Path:
    return audit_path.with_name(audit_path.name + ".lock")


class DaemonLock:
    """Held from :meth:`acquire` until the process ends (or :meth:`release`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, or raise AlreadyRunning naming the daemon that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another madoguchi daemon (pid {holder}) already serves the audit record beside {self.path}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
