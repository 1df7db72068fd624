"""The daemon's own seccomp filter, seen from inside the daemon started by hand (not by systemd).

The daemon runs as `madoguchi run --config X` does (``cli.main``), in a child process on simulated
hardware. One extra thread, started before the daemon and so before its filter, waits for READY=1
and then opens sockets from inside the daemon's process: the filter must reach it (TSYNC). The
filter is never installed in the test process itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from madoguchi import seccomp
from madoguchi.errors import ModelError

# argv: config, notify socket path, and "without-libseccomp" to make the import of pyseccomp fail.
PROBE = r"""
import errno, json, os, signal, socket, sys, threading

if sys.argv[3:] == ["without-libseccomp"]:
    sys.modules["pyseccomp"] = None  # as if the library were not installed
from madoguchi import cli, seccomp

def try_sockets():
    results = {}
    for name in ("AF_INET", "AF_INET6", "AF_PACKET", "AF_UNIX"):
        try:
            socket.socket(getattr(socket, name), socket.SOCK_DGRAM).close()
            results[name] = "created"
        except OSError as error:
            results[name] = errno.errorcode[error.errno]
    return results

notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(sys.argv[2])
os.environ["NOTIFY_SOCKET"] = sys.argv[2]
before = try_sockets()

def probe():
    while b"STATUS=ready" not in notify.recv(4096):
        pass
    report = {"before": before, "after": try_sockets(), "status": seccomp.status().__dict__}
    print(json.dumps(report), flush=True)
    sys.stdin.readline()  # the test reads /proc/PID/status meanwhile
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=probe, name="probe", daemon=True).start()
sys.exit(cli.main(["run", "--config", sys.argv[1]]))
"""


@pytest.fixture(scope="module")
def models():
    from madoguchi.engine import FaceEngine

    try:
        FaceEngine.load()
    except ModelError as error:
        pytest.skip(f"the face engine's models are not built yet: {error}")


def run_daemon_with_probe(tmp_path: Path, *extra: str) -> tuple[dict, seccomp.Status, int, str]:
    """Start the daemon with the probe thread; its report, its kernel seccomp status, exit code, log."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        '[hardware]\nkind = "simulated"\n'
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    log = tmp_path / "daemon.log"
    with log.open("w") as stderr:
        daemon = subprocess.Popen(
            [sys.executable, "-c", PROBE, str(config), str(tmp_path / "notify"), *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    hung = threading.Timer(180, daemon.kill)  # only so that a hung daemon cannot hang the suite
    hung.start()
    try:
        line = daemon.stdout.readline()
        status = seccomp.status(daemon.pid) if line else None
        daemon.stdin.write("\n")
        daemon.stdin.flush()
        code = daemon.wait()
    finally:
        hung.cancel()
        daemon.kill()
    text = log.read_text()
    assert line, f"the daemon never became ready:\n{text}"
    return json.loads(line), status, code, text


def test_started_by_hand_the_daemon_refuses_internet_sockets_on_every_thread(tmp_path, models):
    report, status, code, log = run_daemon_with_probe(tmp_path)
    if report["before"]["AF_INET"] != "created":
        pytest.skip(f"this machine refuses AF_INET sockets already: {report['before']}")
    assert report["after"] == {
        "AF_INET": "EAFNOSUPPORT",
        "AF_INET6": "EAFNOSUPPORT",
        "AF_PACKET": "EAFNOSUPPORT",
        "AF_UNIX": "created",
    }
    assert report["status"]["socket_filter"] is True
    ours = seccomp.status()
    assert (status.mode, status.no_new_privs) == (2, True)
    assert status.filters == ours.filters + 1  # one filter more than whatever this test runs under
    assert "seccomp: sockets other than AF_UNIX and AF_NETLINK refused on every thread" in log
    assert code == 0, log


def test_without_libseccomp_the_daemon_says_so_loudly_and_serves_on(tmp_path, models):
    report, status, code, log = run_daemon_with_probe(tmp_path, "without-libseccomp")
    assert "ERROR madoguchi.seccomp: seccomp: NOT INSTALLED" in log
    assert report["status"]["socket_filter"] is False
    assert report["after"]["AF_INET"] == report["before"]["AF_INET"]  # nothing pretends otherwise
    assert status.filters == seccomp.status().filters
    assert code == 0, log


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


def test_the_face_engine_never_asks_for_writable_executable_memory(models):
    """The unit sets MemoryDenyWriteExecute=yes; LiteRT with XNNPACK must run under it."""
    result = subprocess.run([sys.executable, "-c", UNDER_MDWE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"killed or failed under W^X ({result.returncode}):\n{result.stderr}"
    scores = [float(line) for line in result.stdout.split()]
    assert len(scores) == 2 and all(score > 50 for score in scores), scores
