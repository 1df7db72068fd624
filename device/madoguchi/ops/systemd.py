"""What the daemon says to systemd: the journal's line format and sd_notify(3)'s READY, STATUS,
STOPPING and WATCHDOG, without a dependency."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# systemd reads "<N>" at the start of a stderr line as the syslog priority (SyslogLevelPrefix=yes).
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"<{_PRIORITY.get(record.levelno, 6)}>{super().format(record)}"


def configure_logging(*, verbose: bool = False) -> None:
    """Plain lines on stderr; under systemd (JOURNAL_STREAM set) with priorities and no timestamps."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(_JournalFormatter("%(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)


class SystemdNotifier:
    """sd_notify(3): datagrams to $NOTIFY_SOCKET; silent when not under systemd.

    ``watchdog()`` may be called often; it sends WATCHDOG=1 at most every half WatchdogSec, and
    remembers when the counter's loop last called it (``last_beat``) for ``madoguchi status``.
    """

    def __init__(
        self, address: str | None, *, watchdog_usec: int = 0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._address = "\0" + address[1:] if address and address.startswith("@") else address
        self.watchdog_seconds = watchdog_usec / 1e6 if watchdog_usec else None
        """systemd's WatchdogSec for this process, or None when it watches nothing."""
        self.last_beat: float | None = None
        """When the counter's loop last said it was alive (monotonic seconds)."""
        self._clock = clock
        self._last_ping = float("-inf")

    @classmethod
    def from_environment(cls) -> SystemdNotifier:
        watchdog_pid = os.environ.get("WATCHDOG_PID")
        usec = os.environ.get("WATCHDOG_USEC", "0")
        mine = watchdog_pid is None or watchdog_pid == str(os.getpid())
        return cls(os.environ.get("NOTIFY_SOCKET"), watchdog_usec=int(usec) if mine and usec.isdigit() else 0)

    def notify(self, **fields: str | int) -> None:
        if not self._address:
            return
        message = "\n".join(f"{key.upper()}={value}" for key, value in fields.items()).encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            try:
                sock.sendto(message, self._address)
            except OSError as error:
                log.warning("sd_notify to %r failed: %s", self._address, error)

    def watchdog(self) -> None:
        now = self._clock()
        self.last_beat = now
        if self.watchdog_seconds is not None and now - self._last_ping >= self.watchdog_seconds / 2:
            self._last_ping = now
            self.notify(watchdog=1)
