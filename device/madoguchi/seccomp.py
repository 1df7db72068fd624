"""The daemon's own system-call filter: no sockets but local ones, however the daemon is started.

systemd's unit refuses them too (RestrictAddressFamilies=), but a technician may start
``madoguchi run`` by hand. ``install()`` loads a seccomp filter (libseccomp, through pyseccomp) on
every thread of the process: ``socket()`` of any family but AF_UNIX (sd_notify, the control socket)
and AF_NETLINK (libusb and libudev watch for USB devices with it; it reaches only the kernel) fails
with EAFNOSUPPORT, as under systemd; ``io_uring_setup`` fails with EPERM, since an io_uring could
open a socket without calling ``socket()``. A filter cannot be removed, and threads and children
inherit it.

``status()`` reads what the kernel says of a process (``/proc/PID/status``), for
``madoguchi privacy-check``.
"""

from __future__ import annotations

import errno
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ALLOWED_FAMILIES = (socket.AF_UNIX, socket.AF_NETLINK)

_installed = False


@dataclass(frozen=True)
class Status:
    """A process's seccomp state as the kernel reports it.

    ``mode``: 0 none, 1 strict, 2 filter. ``filters``: how many filters are stacked, systemd's
    included (0 where the kernel does not say). ``socket_filter``: this module's filter is in
    place; known only for the calling process (None for another one).
    """

    mode: int
    filters: int
    no_new_privs: bool
    socket_filter: bool | None


def install() -> bool:
    """Refuse non-local sockets on every thread of this process. False (logged as an error) if it
    cannot; the daemon then runs on, protected only by its systemd unit.

    Started by hand without libseccomp the promise would not hold, but the counter keeps serving:
    libseccomp2 is a dependency of systemd itself, so it is missing only from a broken install,
    where the unit's RestrictAddressFamilies= still holds; ``privacy-check`` reports the gap.
    """
    global _installed
    if _installed:
        return True
    try:
        import pyseccomp
    except (ImportError, RuntimeError, OSError) as error:  # RuntimeError: libseccomp.so not found
        log.error("seccomp: NOT INSTALLED, sockets are not restricted by the daemon itself: %s", error)
        return False
    try:
        rules = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
        rules.set_attr(pyseccomp.Attr.CTL_TSYNC, 1)  # every thread, not only the calling one
        refuse = pyseccomp.ERRNO(errno.EAFNOSUPPORT)
        highest = max(ALLOWED_FAMILIES)
        for family in range(highest):
            if family not in ALLOWED_FAMILIES:
                rules.add_rule(refuse, "socket", pyseccomp.Arg(0, pyseccomp.EQ, family))
        # Every family above, and any value with stray upper bits (the kernel would cut them off).
        rules.add_rule(refuse, "socket", pyseccomp.Arg(0, pyseccomp.GT, highest))
        rules.add_rule(pyseccomp.ERRNO(errno.EPERM), "io_uring_setup")
        rules.load()
    except OSError as error:
        log.error("seccomp: NOT INSTALLED, the filter could not be loaded: %s", error)
        return False
    _installed = True
    log.info(
        "seccomp: sockets other than %s refused on every thread",
        " and ".join(socket.AddressFamily(family).name for family in ALLOWED_FAMILIES),
    )
    return True


def status(pid: int | None = None) -> Status:
    """The seccomp mode and no-new-privs flag of ``pid`` (default: this process)."""
    fields: dict[str, str] = {}
    path = Path("/proc/self/status" if pid is None else f"/proc/{pid}/status")
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return Status(
        mode=int(fields.get("Seccomp", "0")),
        filters=int(fields.get("Seccomp_filters", "0")),
        no_new_privs=fields.get("NoNewPrivs") == "1",
        socket_filter=_installed if pid is None else None,
    )
