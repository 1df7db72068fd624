"""A daemon a newcomer runs on a PC: `madoguchi run --simulated`, driven with `press` and seen with
`show lcd`, its socket in the user's runtime directory and its record in the user's state directory."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest
from PIL import Image

from control_daemon import require_engine
from madoguchi.ops.simulated import simulated_config

DEADLINE_S = 180.0
"""Only so that a daemon that never starts cannot hang the suite."""


def madoguchi(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A technician's command, told the user's daemon's socket (a box's /run/madoguchi may also be here)."""
    socket = str(pathlib.Path(env["XDG_RUNTIME_DIR"]) / "madoguchi" / "control.sock")
    return subprocess.run(
        [sys.executable, "-m", "madoguchi", *args, "--socket", socket],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_simulated_daemon_on_a_pc_is_driven_from_the_command_line(tmp_path):
    require_engine()
    runtime, state = tmp_path / "run", tmp_path / "state"
    runtime.mkdir(mode=0o700)
    env = os.environ | {
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_STATE_HOME": str(state),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("MADOGUCHI_CONTROL_SOCKET", None)
    config = tmp_path / "config.toml"  # a user's own: the counter; its record where they may write
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "pc-test"\nthreshold = 60\n'
        "capture_seconds = 0.5\n"
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    with (tmp_path / "daemon.log").open("w") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "madoguchi", "run", "--simulated", "--config", str(config)],
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + DEADLINE_S
        while madoguchi("status", env=env).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail((tmp_path / "daemon.log").read_text())
            time.sleep(0.5)
        assert (runtime / "madoguchi" / "control.sock").exists()
        pressed = madoguchi("press", "start", "--sample", "genuine", "--wait", "--lang", "en", env=env)
        assert pressed.returncode == 0 and "#1 scored" in pressed.stdout, pressed.stderr
        shown = madoguchi("show", "lcd", "--out", str(tmp_path / "lcd.png"), env=env)
        assert shown.returncode == 0, shown.stderr
        with Image.open(tmp_path / "lcd.png") as screen:
            assert screen.size == (240, 320)
        status = madoguchi("status", "--lang", "en", env=env).stdout
        assert "camera=simulated:FileCamera" in status and "pc-test" in status
        assert (tmp_path / "audit.jsonl").exists()
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)


@pytest.mark.parametrize("storage", ["", '[storage]\naudit_path = "/var/lib/madoguchi/audit.jsonl"\n'])
def test_a_simulated_daemon_never_writes_the_box_s_record(tmp_path, monkeypatch, storage):
    """Not even as root, where /var/lib/madoguchi is writable: simulated visitors go to the user's
    state directory, whether the config names the box's record or names none."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SANE_CONFIG_DIR", str(tmp_path))
    config = tmp_path / "config.toml"
    counter = '[counter]\nmunicipality = "テスト市"\nterminal_id = "pc-test"\nthreshold = 60\n'
    config.write_text(counter + storage)
    for path in (config, tmp_path / "no-such.toml"):
        assert simulated_config(path).storage.audit_path == tmp_path / "state" / "madoguchi" / "audit.jsonl"
