"""The daemon's own seccomp filter, seen from inside the daemon started by hand (not by systemd).

The probe thread (tests/daemon_probe.py) is older than the filter, so the filter must reach it
(TSYNC). The filter is never installed in the test process itself.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from daemon_probe import require_models, run_daemon_with_probe
from madoguchi import seccomp


def test_started_by_hand_the_daemon_refuses_internet_sockets_on_every_thread(tmp_path):
    probed = run_daemon_with_probe(tmp_path)
    if probed.before["AF_INET"] != "created":
        pytest.skip(f"this machine refuses AF_INET sockets already: {probed.before}")
    assert probed.after == {
        "AF_INET": "EAFNOSUPPORT",
        "AF_INET6": "EAFNOSUPPORT",
        "AF_PACKET": "EAFNOSUPPORT",
        "AF_UNIX": "created",
    }
    assert probed.socket_filter is True
    assert (probed.kernel.mode, probed.kernel.no_new_privs) == (2, True)
    # One filter more than whatever this test itself runs under.
    assert probed.kernel.filters == seccomp.status().filters + 1
    assert "seccomp: sockets other than AF_UNIX and AF_NETLINK refused on every thread" in probed.log
    assert probed.exit_code == 0, probed.log


def test_without_libseccomp_the_daemon_says_so_loudly_and_serves_on(tmp_path):
    probed = run_daemon_with_probe(tmp_path, without_libseccomp=True)
    assert "ERROR madoguchi.seccomp: seccomp: NOT INSTALLED" in probed.log
    assert probed.socket_filter is False
    assert probed.after["AF_INET"] == probed.before["AF_INET"]  # nothing pretends otherwise
    assert probed.kernel.filters == seccomp.status().filters
    assert probed.exit_code == 0, probed.log


def test_status_of_this_process_and_of_another():
    mine = seccomp.status()
    assert mine.socket_filter is False  # never installed in the test process
    assert mine.mode in (0, 2)
    waiting = [sys.executable, "-c", "import sys; sys.stdin.read()"]
    with subprocess.Popen(waiting, stdin=subprocess.PIPE) as child:
        other = seccomp.status(child.pid)
        child.stdin.close()
    assert other.socket_filter is None
    assert (other.mode, other.filters) == (mine.mode, mine.filters)


# systemd 252's MemoryDenyWriteExecute=yes (src/shared/seccomp-util.c), with the process killed at
# the first attempt instead of EPERM, so that a library quietly falling back cannot hide one.
UNDER_MDWE = r"""
import mmap, sys
import pyseccomp as sc

rules = sc.SyscallFilter(sc.ALLOW)
rules.set_attr(sc.Attr.CTL_TSYNC, 1)
write_exec = mmap.PROT_WRITE | mmap.PROT_EXEC
rules.add_rule(sc.KILL_PROCESS, "mmap", sc.Arg(2, sc.MASKED_EQ, write_exec, write_exec))
for call in ("mprotect", "pkey_mprotect"):
    rules.add_rule(sc.KILL_PROCESS, call, sc.Arg(2, sc.MASKED_EQ, mmap.PROT_EXEC, mmap.PROT_EXEC))
rules.add_rule(sc.KILL_PROCESS, "shmat", sc.Arg(2, sc.MASKED_EQ, 0o100000, 0o100000))  # SHM_EXEC
rules.load()

import cv2, numpy
from skimage import data
from madoguchi.engine import FaceEngine

face = data.astronaut()
frame = numpy.full((480, 640, 3), 100, numpy.uint8)
frame[40:440, 120:520] = cv2.resize(face, (400, 400), interpolation=cv2.INTER_AREA)
for threads in (1, 4):
    print(round(FaceEngine.load(threads=threads).verify(face, frame).score, 1))
"""


def test_the_face_engine_never_asks_for_writable_executable_memory():
    """The unit sets MemoryDenyWriteExecute=yes; LiteRT with XNNPACK must run under it."""
    require_models()
    result = subprocess.run([sys.executable, "-c", UNDER_MDWE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"killed or failed under W^X ({result.returncode}):\n{result.stderr}"
    scores = [float(line) for line in result.stdout.split()]
    assert len(scores) == 2 and all(score > 50 for score in scores), scores
