"""The audit record's only door to the disk, so a test can hand it a disk that fails.

:class:`Files` is a thin layer over :mod:`os`; every write of the audit record, its state, its
sealing key and its pending record goes through one. Tests pass a subclass that raises ``ENOSPC`` or
``EIO`` at a chosen call, which covers a full or failing disk on any machine.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)


class Files:
    """Plain POSIX calls; override one to inject a fault."""

    def open(self, path: Path, flags: int, mode: int = 0o640) -> int:
        return os.open(path, flags | os.O_CLOEXEC, mode)

    def reader(self, path: Path) -> BinaryIO:
        return path.open("rb")

    def write(self, fd: int, data: bytes) -> int:
        return os.write(fd, data)

    def fsync(self, fd: int) -> None:
        os.fsync(fd)

    def truncate(self, fd: int, length: int) -> None:
        os.ftruncate(fd, length)

    def close(self, fd: int) -> None:
        os.close(fd)

    def replace(self, source: Path, target: Path) -> None:
        os.replace(source, target)

    def unlink(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def mkdir(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)

    def free_bytes(self, directory: Path) -> int:
        stat = os.statvfs(directory)
        return stat.f_bavail * stat.f_frsize

    def read_only(self, directory: Path) -> bool:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)

    def stat(self, path: Path) -> os.stat_result:
        return os.stat(path)

    def fstat(self, fd: int) -> os.stat_result:
        return os.fstat(fd)

    def read_at(self, fd: int, length: int) -> bytes:
        """The first ``length`` bytes of the open file ``fd`` (which may no longer have a name)."""
        chunks, offset = [], 0
        while offset < length:
            chunk = os.pread(fd, min(length - offset, 1 << 20), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    # --- built on the calls above ---

    def write_all(self, fd: int, data: bytes) -> None:
        written = self.write(fd, data)
        if written != len(data):
            raise OSError(f"short write ({written} of {len(data)} bytes)")

    def fsync_directory(self, directory: Path) -> None:
        fd = self.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            self.fsync(fd)
        finally:
            self.close(fd)

    def write_atomic(self, path: Path, data: bytes, mode: int = 0o640, *, erase_old: bool = False) -> None:
        """Replace ``path`` by ``data`` so a crash leaves the old or the new file; no temporary is left.

        ``erase_old``: once the new content is safe in the temporary, write it over the old file's
        bytes in place first (same length: a key), so they are not left behind in a freed block."""
        temporary = path.with_name(path.name + ".tmp")
        try:
            fd = self.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            try:
                self.write_all(fd, data)
                self.fsync(fd)
            finally:
                self.close(fd)
            if erase_old:
                self.overwrite(path, data)
            self.replace(temporary, path)
        except OSError:
            self.discard(temporary)
            raise
        self.fsync_directory(path.parent)

    def overwrite(self, path: Path, data: bytes) -> None:
        """Write ``data`` over ``path``'s bytes in place (no new file), so the old bytes are gone."""
        fd = self.open(path, os.O_WRONLY)
        try:
            self.write_all(fd, data)
            self.fsync(fd)
        finally:
            self.close(fd)

    def discard(self, path: Path) -> None:
        """Remove ``path`` if possible; a disk that fails may refuse even that, which is logged."""
        try:
            self.unlink(path)
        except OSError as error:
            log.error("could not remove %s: %s", path, error)

    def keep_aside(self, path: Path, why: str, label: str = "damaged") -> Path | None:
        """Rename ``path`` out of the way as ``<name>.<label>-<time>``, kept for whoever investigates;
        its new name."""
        aside = aside_name(path, label)
        try:
            self.replace(path, aside)
            self.fsync_directory(path.parent)
        except OSError as error:
            log.error("%s %s (%s) could not be kept aside: %s", label, path, why, error)
            return None
        log.error("%s record %s (%s), kept aside as %s", label, path, why, aside.name)
        return aside


def aside_name(path: Path, label: str) -> Path:
    """Where a file kept aside goes: beside ``path``, named for why and when."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return path.with_name(f"{path.name}.{label}-{stamp}")
