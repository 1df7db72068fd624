"""The daemon's systemd side: sd_notify datagrams, the watchdog's pace, start to READY and SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from madoguchi.errors import ModelError
from madoguchi.ops.control import SOCKET_ENV
from madoguchi.ops.systemd import SystemdNotifier


@pytest.fixture
def notify_socket(tmp_path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(5)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def test_notify_and_watchdog_pace(notify_socket):
    sock, path = notify_socket
    now = [100.0]
    notifier = SystemdNotifier(path, watchdog_usec=2_000_000, clock=lambda: now[0])
    notifier.notify(ready=1, status="ready: test-01")
    assert sock.recv(256) == b"READY=1\nSTATUS=ready: test-01"
    notifier.watchdog()
    notifier.watchdog()  # within half WatchdogSec: not sent again
    now[0] += 1.0
    notifier.watchdog()
    sock.settimeout(0.2)
    assert [sock.recv(64), sock.recv(64)] == [b"WATCHDOG=1", b"WATCHDOG=1"]
    with pytest.raises(TimeoutError):
        sock.recv(64)


def test_abstract_socket_address():
    name = f"madoguchi-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        SystemdNotifier("@" + name).notify(stopping=1)
        assert sock.recv(64) == b"STOPPING=1"


def test_not_under_systemd_is_silent():
    SystemdNotifier(None, watchdog_usec=1).watchdog()


def test_daemon_reports_ready_and_stops_on_sigterm(notify_socket, tmp_path, sane_config_dir):
    from madoguchi.engine import FaceEngine

    try:
        FaceEngine.load()
    except ModelError as error:
        pytest.skip(f"the face engine's models are not built yet: {error}")
    sock, path = notify_socket
    sock.settimeout(60)
    config = tmp_path / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        '[hardware]\nkind = "simulated"\n'
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    env = os.environ | {
        "NOTIFY_SOCKET": path,
        "SANE_CONFIG_DIR": str(sane_config_dir),
        SOCKET_ENV: str(tmp_path / "control.sock"),  # never the box's /run/madoguchi
    }
    daemon = subprocess.Popen(
        [sys.executable, "-m", "madoguchi", "run", "--config", str(config)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sock.recv(256).startswith(b"READY=1")
        time.sleep(0.2)
        daemon.send_signal(signal.SIGTERM)
        assert sock.recv(256) == b"STOPPING=1"
        assert daemon.wait(timeout=20) == 0
    finally:
        daemon.kill()
        stderr = daemon.communicate()[1]
    assert "cold start to ready" in stderr
    assert (tmp_path / "audit.jsonl").exists()


def test_a_device_missing_at_start_is_named_on_the_lcd_until_it_is_plugged_in(notify_socket, tmp_path):
    """kind = "real" with the camera unplugged: the LCD (luma's dummy here) names it, systemd hears
    it, and the counter starts on the same LCD once the camera is found."""
    from daemon_doubles import counter_settings
    from madoguchi.config.hardware import HardwareConfig
    from madoguchi.errors import DeviceNotFound
    from madoguchi.hardware.factory import make_display, make_hardware
    from madoguchi.ops.daemon import RETRY_SECONDS, wait_for_hardware
    from madoguchi.ui import screens

    sock, path = notify_socket
    config = counter_settings(tmp_path)
    simulated = HardwareConfig(kind="simulated")
    shown, waits = [], []

    def camera_plugged_in_on_the_third_try(hardware, *, opened=None):
        if len(waits) < 2:
            raise DeviceNotFound("no camera: picamera2: no camera; opencv: cannot open 0", device="camera")
        return make_hardware(simulated, opened=opened)

    def open_lcd(hardware):
        display = make_display(simulated)
        shown.append(display[0])
        return display

    hardware = wait_for_hardware(
        config,
        SystemdNotifier(path),
        make=camera_plugged_in_on_the_third_try,
        open_display=open_lcd,
        sleep=waits.append,
    )
    try:
        assert waits == [RETRY_SECONDS, RETRY_SECONDS]
        (lcd,) = shown  # opened once, kept through the retries, and handed to the counter
        assert hardware.display is lcd
        expected = screens.device_missing_screen("camera", look=screens.Look(size=lcd.size))
        assert np.array_equal(np.asarray(lcd.device.image.convert("RGB")), np.asarray(expected))
        status = sock.recv(256).decode()
        assert status.startswith("READY=1\nSTATUS=waiting: no camera")
    finally:
        hardware.close()


def test_without_an_lcd_a_missing_device_is_still_waited_for(tmp_path):
    from daemon_doubles import counter_settings
    from madoguchi.config.hardware import HardwareConfig
    from madoguchi.errors import DeviceNotFound
    from madoguchi.hardware.factory import make_hardware
    from madoguchi.ops.daemon import wait_for_hardware

    attempts = []

    def scanner_on_the_second_try(hardware, *, opened=None):
        attempts.append(opened)
        if len(attempts) == 1:
            raise DeviceNotFound("no scanner: sane: no device", device="scanner")
        return make_hardware(HardwareConfig(kind="simulated"), opened=opened)

    def no_lcd(hardware):
        raise DeviceNotFound("no display: st7789: no /dev/spidev0.0", device="display")

    hardware = wait_for_hardware(
        counter_settings(tmp_path),
        SystemdNotifier(None),
        make=scanner_on_the_second_try,
        open_display=no_lcd,
        sleep=lambda s: None,
    )
    hardware.close()
    assert attempts == [None, None]
