"""Wiping: every array a transaction kept is zero-filled when it ends, whatever happened."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from madoguchi.engine.types import Face, FaceBox
from madoguchi.privacy import TransactionMemory, wipe


def test_wipe_zero_fills_read_only_arrays_and_views():
    base = np.full((4, 4, 3), 200, np.uint8)
    view = base[1:3]
    frozen = np.full(5, 9, np.uint8)
    frozen.setflags(write=False)
    wipe(view, frozen, None)
    assert not base[1:3].any() and base[0].all()
    assert not frozen.any()


def test_transaction_memory_wipes_on_error():
    kept = np.full((8, 8, 3), 255, np.uint8)
    with pytest.raises(RuntimeError), TransactionMemory() as memory:
        memory.keep(kept)
        raise RuntimeError("a fault mid-transaction")
    assert not kept.any() and len(memory) == 0


def test_a_kept_face_has_its_landmarks_wiped():
    mesh = np.full((468, 2), 80.0, np.float32)
    face = Face(FaceBox(10, 10, 90, 90), points=mesh[:5].copy(), mesh=mesh)
    marker_face = Face(FaceBox(0, 0, 5, 5), points=np.ones((5, 2)))  # no mesh (a test double's)
    with TransactionMemory() as memory:
        assert memory.keep_face(face) is face and memory.keep_face(marker_face) is marker_face
    assert not face.points.any() and not face.mesh.any() and not marker_face.points.any()


def test_release_wipes_one_array_now():
    with TransactionMemory() as memory:
        first, second = memory.keep(np.ones(3)), memory.keep(np.ones(3))
        memory.release(first)
        assert not first.any() and second.all() and len(memory) == 1


def test_harden_in_a_fresh_process():
    probe = textwrap.dedent(
        """
        import ctypes, resource
        from madoguchi.privacy import harden
        result = harden()
        dumpable = ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
        print(result.core_dumps_off, resource.getrlimit(resource.RLIMIT_CORE), dumpable, result.notes)
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.startswith("True (0, 0) 0 ")


def test_a_bounded_memory_wipes_its_oldest_arrays_instead_of_growing():
    memory = TransactionMemory(limit_bytes=1000)
    arrays = [memory.keep(np.full(100, 7, np.uint8)) for _ in range(30)]
    assert sum(a.nbytes for a in memory) <= 1000
    assert not arrays[0].any() and arrays[-1].all()
    memory.wipe()
    assert not any(a.any() for a in arrays) and len(memory) == 0
