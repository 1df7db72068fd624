"""A file system filled to its last byte, for the tests of a full disk (with conftest's small_tmpfs)."""

from __future__ import annotations

import errno
from pathlib import Path


def fill(directory: Path) -> Path:
    """Fill the file system holding ``directory`` with one file; that file, to remove later."""
    filler = directory / "filler"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler
