"""Keeping faces in RAM only, and only for as long as one transaction.

:func:`harden` runs once at start: no core dumps (a dump would write faces to disk), not dumpable by
other processes, and all memory locked so no page holding a face can be swapped out.

What is wiped (zero-filled), and by whom:

- The counter (``transaction.Counter``), in a :class:`TransactionMemory` wiped when the transaction
  ends, whatever the outcome: the scanned page, the located photo's copy, every camera frame (a
  frame that is not the best so far at once), and the landmarks of every face found in them.
- The photo locator (``document.locate.locate_photo``), before it returns: its reduced copies of the
  page (the 50-dpi copy, its grey and difference images, shrunk patches, every turned view given to
  the detector) and the landmarks of every face the engine found on the page. The crop it returns
  is the caller's (the counter wipes it).
- The face engine (``engine.FaceEngine``), before each step returns: letterbox canvases and their
  scaled copies, mesh crops, every model input tensor and raw output, pyramid halves, chips (dlib's
  and FaceRes'); the detector's boxes and keypoints once faces are made; ``compare``'s chip views
  and both descriptors of each face. In its scratch (a bounded :class:`TransactionMemory`) until
  ``FaceEngine.forget()``, which the counter calls in a ``finally`` after every transaction: what
  it hands out (faces' landmarks, ``align``'s views, ``describe``'s descriptors, ``describe_face``'s
  descriptions) and grey or strided images it had to copy.
  ``forget()`` then runs each model once on zeros, overwriting the interpreters' arenas.
- The quality gate (``document.quality``), before it returns: the face patch (and the shrunk
  region it was cut from), its grey, channel and Lab copies, and any converted copy of the image.

Not wiped: temporaries numpy or OpenCV make inside one expression (a Laplacian, a threshold mask,
the float points of a mesh as they are moved back to the image), which are freed unwiped.
:func:`release_freed_memory`, after every transaction, returns free heap pages to the kernel,
which zeroes them before any reuse; what stays in the heap can be read only by this process (not
dumpable, no core, locked in RAM).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import resource
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the engine keeps its scratch in a TransactionMemory: no import at run time
    from madoguchi.engine.types import Face

log = logging.getLogger(__name__)

PR_SET_DUMPABLE = 4
MCL_CURRENT = 1
MCL_FUTURE = 2
MCL_ONFAULT = 4
"""Lock pages as they are first touched (Linux 4.4+): every page that ever held a face is locked,
but library code never run is not read in, so RSS stays what the daemon uses."""


@dataclass
class Hardening:
    """What :func:`harden` achieved; anything it could not do is in ``notes``, and logged."""

    core_dumps_off: bool = False
    not_dumpable: bool = False
    memory_locked: bool = False
    notes: list[str] = field(default_factory=list)


@functools.cache  # find_library runs ldconfig: once per process, not once per transaction
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _may_lock_all_memory() -> bool:
    """mlockall under a finite RLIMIT_MEMLOCK would make later allocations fail, so only try without one."""
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    return soft == resource.RLIM_INFINITY or os.geteuid() == 0


def disable_core_dumps() -> None:
    """RLIMIT_CORE 0: a crash leaves no core file (which would hold every face in memory)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _lock_all_memory(libc: ctypes.CDLL, result: Hardening) -> None:
    if not _may_lock_all_memory():
        result.notes.append("memory not locked: RLIMIT_MEMLOCK is finite (set LimitMEMLOCK=infinity)")
    else:
        # MCL_ONFAULT needs Linux 4.4; on an older kernel everything mapped is locked at once.
        locked = libc.mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0
        result.memory_locked = locked or libc.mlockall(MCL_CURRENT | MCL_FUTURE) == 0
        if not result.memory_locked:
            result.notes.append(f"mlockall failed: {os.strerror(ctypes.get_errno())}")


def harden() -> Hardening:
    """Disable core dumps, mark the process not dumpable and lock its memory where permitted."""
    result = Hardening()
    try:
        disable_core_dumps()
        result.core_dumps_off = True
    except (ValueError, OSError) as error:
        result.notes.append(f"RLIMIT_CORE not set to 0: {error}")
    libc = _libc()
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0:
        result.not_dumpable = True
    else:
        result.notes.append(f"prctl(PR_SET_DUMPABLE, 0) failed: {os.strerror(ctypes.get_errno())}")
    _lock_all_memory(libc, result)
    for note in result.notes:
        log.warning("privacy: %s", note)
    log.info(
        "privacy: core dumps off=%s, not dumpable=%s, memory locked=%s",
        result.core_dumps_off,
        result.not_dumpable,
        result.memory_locked,
    )
    return result


def release_freed_memory() -> None:
    """Hand the heap's free pages back to the kernel (glibc ``malloc_trim``).

    After a transaction, pages and frames the engine copied along the way are freed but may still
    hold pixels; returned to the kernel they are unmapped and zeroed before any reuse. It also keeps
    the daemon's resident memory from ratcheting up with every 300-dpi page.
    """
    trim = getattr(_libc(), "malloc_trim", None)
    if trim is not None:
        trim(0)


def wipe(*arrays: np.ndarray | None) -> None:
    """Zero-fill each array's buffer in place (a view wipes what it sees of its base)."""
    for array in arrays:
        if array is None or array.size == 0:
            continue
        if not array.flags.writeable:
            try:
                array.setflags(write=True)
            except ValueError:
                log.error("privacy: a read-only %s array could not be wiped", array.shape)
                continue
        array.fill(0)


class TransactionMemory:
    """Owns arrays that held a face and wipes them all on exit (or :meth:`wipe`), whatever happened.

    >>> with TransactionMemory() as memory:
    ...     page = memory.keep(scanner.scan(dpi=300))  # doctest: +SKIP

    With ``limit_bytes``, an owner that never wipes (a benchmark's loop) cannot make it grow without
    end: past the limit the oldest arrays are wiped and dropped at once, with a warning.
    """

    def __init__(self, *, limit_bytes: int | None = None) -> None:
        self._arrays: deque[np.ndarray] = deque()
        self._bytes = 0
        self._limit = limit_bytes

    def keep(self, array: np.ndarray) -> np.ndarray:
        """Take ``array`` into the transaction (copied if it is not writeable) and return it."""
        if not array.flags.writeable:
            array = np.array(array)
        self._arrays.append(array)
        self._bytes += array.nbytes
        if self._limit is not None and self._bytes > self._limit:
            log.warning("privacy: over %d bytes kept without a wipe; wiping the oldest", self._limit)
            while self._bytes > self._limit // 2 and len(self._arrays) > 1:
                oldest = self._arrays.popleft()
                self._bytes -= oldest.nbytes
                wipe(oldest)
        return array

    def keep_face(self, face: Face) -> Face:
        """Take a face's landmarks into the transaction too: the geometry of a face is biometric."""
        for array in (face.points, face.mesh):
            if array is not None:
                self.keep(array)
        return face

    def release(self, array: np.ndarray) -> None:
        """Wipe ``array`` now, e.g. a camera frame that was not the best."""
        wipe(array)
        self._arrays = deque(other for other in self._arrays if other is not array)
        self._bytes = sum(other.nbytes for other in self._arrays)

    def wipe(self) -> None:
        wipe(*self._arrays)
        self._arrays.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._arrays)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(list(self._arrays))

    def __enter__(self) -> TransactionMemory:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.wipe()
