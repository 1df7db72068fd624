"""The install marker: a mark, outside the data partition, that this box keeps an audit record.

``madoguchi audit setup-key`` writes it (one line: the key id and the time of the install). A wipe
of the data partition takes the record, its state and its key, which is all the record itself can
tell by; the marker stays, so :meth:`madoguchi.audit.AuditLog.open` refuses to start again at
number 1 (:class:`~madoguchi.errors.AuditWiped`) until ``audit setup-key --reinstall`` records the
reinstall.

Where: :func:`default_marker`, ``/etc/madoguchi/audit-installed`` unless ``MADOGUCHI_AUDIT_MARKER``
names another place (tests point it into a temporary directory), on the root file system, which
the image keeps read-only (overlayroot): it survives a wipe or a reformat of the data partition
(``/var/lib/madoguchi``), and a reboot, but only if it was written to the card's root: run
``setup-key`` in maintenance mode (the overlay off), as the install's other writes to ``/etc``.
Written with the overlay on, it lasts until the next reboot; :func:`on_overlay` lets setup-key say
so. It holds nothing secret (the key id reveals nothing of the key), so it is world-readable.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

from madoguchi.audit.files import Files

DEFAULT_MARKER = Path("/etc/madoguchi/audit-installed")
MARKER_VARIABLE = "MADOGUCHI_AUDIT_MARKER"


def default_marker() -> Path:
    """The install marker's place: ``$MADOGUCHI_AUDIT_MARKER``, else :data:`DEFAULT_MARKER`."""
    return Path(os.environ.get(MARKER_VARIABLE) or DEFAULT_MARKER)


_LINE = re.compile(rb"madoguchi-audit-install 1 ([0-9a-f]{16}) ([0-9TZ:+.-]{10,40})\n")


def mark_text(key_id: str, when: datetime | None = None) -> bytes:
    when = when or datetime.now(timezone.utc)
    return f"madoguchi-audit-install 1 {key_id} {when.isoformat(timespec='seconds')}\n".encode()


def read_mark(files: Files, path: Path) -> str | None:
    """What the marker at ``path`` says ("installed TIME, key KEYID"), or None if there is none.

    A marker that cannot be read or parsed still marks an install: it is described as such.
    """
    try:
        with files.reader(path) as handle:
            content = handle.read(256)
    except FileNotFoundError:
        return None
    except OSError as error:
        return f"an install marker that cannot be read ({error.strerror or error})"
    match = _LINE.fullmatch(content)
    if match is None:
        return "a damaged install marker"
    key_id, when = (group.decode() for group in match.groups())
    return f"installed {when}, key {key_id}"


def write_mark(files: Files, path: Path, key_id: str) -> None:
    """Write (or replace) the marker atomically; OSError if ``path`` cannot be written (a read-only
    root), which setup-key reports."""
    files.mkdir(path.parent)
    files.write_atomic(path, mark_text(key_id), 0o644)


def on_overlay(path: Path) -> bool:
    """Whether ``path`` lies on an overlay file system (overlayroot): a write there lasts until reboot."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    best, kind = "", ""
    target = str(path.resolve())
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind == "overlay"
