"""Shared fixtures. Fixtures swap factories and pass doubles in; nothing is monkeypatched."""

from __future__ import annotations

import os
import subprocess

import pytest
from gpiozero.pins.mock import MockFactory

from madoguchi.audit.marker import MARKER_VARIABLE
from madoguchi.config.hardware import HardwareConfig
from madoguchi.hardware.factory import make_hardware
from madoguchi.hardware.scanner import use_sane_test_backend


@pytest.fixture(scope="session", autouse=True)
def sane_config_dir(tmp_path_factory):
    """Point SANE at a dll.conf naming only its ``test`` backend.

    Autouse and session-wide, because SANE reads its configuration once, at the process's first
    ``sane.init()``; a test scanner is then ``test:0`` (300 dpi test patterns) on any machine with
    libsane, and no real scanner is probed.
    """
    config = tmp_path_factory.mktemp("sane")
    saved = os.environ.get("SANE_CONFIG_DIR")
    use_sane_test_backend(config)
    try:
        yield config
    finally:
        if saved is None:
            del os.environ["SANE_CONFIG_DIR"]
        else:
            os.environ["SANE_CONFIG_DIR"] = saved


@pytest.fixture(autouse=True)
def audit_marker(tmp_path_factory):
    """Point the audit's install marker (``/etc/madoguchi/audit-installed`` on a box) into a new
    temporary directory for each test, so no test writes this machine's /etc or sees another's
    install; as SANE's configuration above."""
    marker = tmp_path_factory.mktemp("etc") / "audit-installed"
    saved = os.environ.get(MARKER_VARIABLE)
    os.environ[MARKER_VARIABLE] = str(marker)
    try:
        yield marker
    finally:
        if saved is None:
            del os.environ[MARKER_VARIABLE]
        else:
            os.environ[MARKER_VARIABLE] = saved


@pytest.fixture
def mock_factory():
    """A fresh gpiozero MockFactory, to pass as ``pin_factory=``; reset afterwards."""
    factory = MockFactory()
    try:
        yield factory
    finally:
        factory.reset()


@pytest.fixture
def simulated_hardware():
    """Every device as its double: FileCamera, SimulatedScanner, luma dummy, VirtualPrinter, mock pins."""
    hardware = make_hardware(HardwareConfig(kind="simulated"))
    try:
        yield hardware
    finally:
        hardware.close()


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 1 MiB file system to fill to the last byte; skipped where mounting is not allowed."""
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


@pytest.fixture(scope="module")
def engine():
    """The face engine with the shipped models (one per test module: each may wipe its scratch)."""
    from madoguchi.engine import FaceEngine
    from madoguchi.errors import MadoguchiError

    try:
        return FaceEngine.load()
    except MadoguchiError as error:
        pytest.skip(f"the face engine cannot load: {error}")
