"""The unit's sandbox, judged by systemd's own tools, and the daemon run under its system-call filter.

`systemd-analyze verify` exits 0 on unknown keys and unparsable values (it only prints them), so a
clean unit is one with exit 0 and nothing printed. It is run in a scratch root holding the host's
system units and a stub at ExecStart's path, which does not exist on a build machine.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from daemon_probe import run_daemon_with_probe

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed")

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "madoguchi.service"
HOST_UNITS = Path("/usr/lib/systemd/system")

# Character device classes by the name each driver registers (/proc/devices); DeviceAllow=char-NAME
# silently matches nothing when NAME is not one of them.
KERNEL_CHAR_CLASSES = {
    "video4linux": "drivers/media/v4l2-core/v4l2-dev.c",
    "media": "drivers/media/mc/mc-devnode.c",
    "dma_heap": "drivers/dma-buf/dma-heap.c",
    "spi": "drivers/spi/spidev.c",
    "gpiochip": "drivers/gpio/gpiolib.c",
    "usb_device": "drivers/usb/core/devio.c",
    "usb": "drivers/usb/core/file.c (usblp's /dev/usb/lp*)",
    "input": "drivers/input/input.c",
    "alsa": "sound/core/sound.c (/dev/snd/*)",
}


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SYSTEMD_ANALYZE, "--no-pager", *args], capture_output=True, text=True, check=False)


def directives(text: str) -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit, in order (section names are not needed: no key repeats across)."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key.strip()].append(value.strip())
    return found


def verify(unit_text: str, root: Path) -> str:
    """What `systemd-analyze verify` says of the unit installed in a scratch root ("" when clean)."""
    shutil.copytree(HOST_UNITS, root / HOST_UNITS.relative_to("/"), symlinks=True)
    executable = root / directives(unit_text)["ExecStart"][0].split()[0].lstrip("/")
    executable.parent.mkdir(parents=True)
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system" / UNIT.name).write_text(unit_text)
    result = analyze("verify", f"--root={root}", "--man=no", "--generators=no", UNIT.name)
    return (result.stdout + result.stderr).strip() or ("" if result.returncode == 0 else "failed")


def test_exposure_is_at_most_2():
    result = analyze("security", "--offline=yes", str(UNIT))
    found = re.search(r"Overall exposure level for madoguchi\.service: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    exposed = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert float(found.group(1)) <= 2.0, "\n".join(exposed)


@pytest.mark.skipif(not HOST_UNITS.is_dir(), reason="no system units to verify against")
def test_verify_is_clean(tmp_path):
    assert verify(UNIT.read_text(), tmp_path) == ""


@pytest.mark.skipif(not HOST_UNITS.is_dir(), reason="no system units to verify against")
@pytest.mark.parametrize(
    ("line", "broken"),
    [
        ("ProtectSystem=strict", "ProtectSystm=strict"),
        ("ProtectSystem=strict", "ProtectSystem=stricter"),
        ("SystemCallFilter=@system-service", "SystemCallFilter=@system-servce"),
        ("ExecStart=/opt/madoguchi/venv/bin/madoguchi", "ExecStart=/opt/madoguchi/bin/madoguchi"),
    ],
)
def test_verify_reports_a_broken_unit(tmp_path, line, broken):
    text = UNIT.read_text()
    assert line in text
    assert verify(text.replace(line, broken, 1), tmp_path) != ""


def test_device_classes_are_the_kernels_names():
    allowed = directives(UNIT.read_text())["DeviceAllow"]
    classes = [value.split()[0].removeprefix("char-") for value in allowed if value.startswith("char-")]
    assert classes, allowed
    assert set(classes) <= set(KERNEL_CHAR_CLASSES), set(classes) - set(KERNEL_CHAR_CLASSES)
    assert all(value.startswith(("char-", "/dev/")) for value in allowed), allowed


def test_lgpio_makes_its_pipe_in_the_runtime_directory():
    found = directives(UNIT.read_text())
    environment = dict(word.split("=", 1) for value in found["Environment"] for word in value.split())
    assert environment["LG_WD"] == f"/run/{found['RuntimeDirectory'][0]}"


@functools.cache
def syscall_names(name: str) -> frozenset[str]:
    """A system call, or every call of a @group as systemd-analyze lists it, groups expanded."""
    if not name.startswith("@"):
        return frozenset({name})
    listed = analyze("syscall-filter", name).stdout.splitlines()[1:]
    items = [item.strip() for item in listed if item.strip() and not item.strip().startswith("#")]
    return frozenset().union(*(syscall_names(item) for item in items))


def allowed_syscalls() -> set[str]:
    """SystemCallFilter= as systemd reads it: an allow list, less each ``~`` line, plus each other."""
    lines = directives(UNIT.read_text())["SystemCallFilter"]
    assert not lines[0].startswith("~"), "the first SystemCallFilter= line should be an allow list"
    allowed: set[str] = set()
    for line in lines:
        names = frozenset().union(*(syscall_names(word) for word in line.removeprefix("~").split()))
        allowed = allowed - names if line.startswith("~") else allowed | names
    return allowed


def test_the_calls_the_daemon_needs_stay_allowed():
    allowed = allowed_syscalls()
    # mlockall/munlockall (privacy.harden), prlimit64 (setrlimit), prctl, mknodat (lgpio's pipe),
    # seccomp (the daemon's own filter), socket (AF_UNIX, AF_NETLINK).
    needed = {"mlockall", "munlockall", "mlock", "munlock", "prlimit64", "prctl", "mknodat", "seccomp"}
    assert needed | {"socket"} <= allowed, needed - allowed
    assert not {"setuid", "chown", "io_uring_setup", "sched_setscheduler", "reboot"} & allowed


def test_the_daemon_runs_under_the_units_system_call_filter(tmp_path):
    """Started as systemd would start it (allow list, EPERM for the rest): ready, hardened, filtered."""
    probed = run_daemon_with_probe(tmp_path, allowed_syscalls=sorted(allowed_syscalls()))
    assert "privacy: core dumps off=True, not dumpable=True, memory locked=True" in probed.log
    assert "WARNING" not in probed.log and "ERROR" not in probed.log, probed.log
    assert probed.socket_filter is True
    assert probed.after["AF_INET"] == "EAFNOSUPPORT"
    assert probed.kernel.filters >= 2  # the unit's and the daemon's own
    assert probed.exit_code == 0, probed.log
