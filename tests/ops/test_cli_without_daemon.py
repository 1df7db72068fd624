"""Every command as a technician meets it on a bad day: no daemon running, a config that is missing,
invalid or not theirs to read, and its output piped into `head` that has already gone. Each says
what is wrong in words and an exit code; none ends in a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from madoguchi.errors import ExitCode

COMMANDS = (
    ("status",),
    ("selftest",),
    ("camera-check", "--seconds", "1"),
    ("print-test",),
    ("scan-test",),
    ("config", "show"),
    ("config", "validate"),
    ("config", "set", "threshold", "70"),
    ("logs",),
    ("version",),
    ("privacy-check",),
    ("audit", "verify"),
    ("audit", "tail"),
    ("audit", "head"),
    ("audit", "setup-key", "--no-qr"),
    ("run", "--validate-config"),
    ("run",),
)
"""Every technician command (the simulator and the benchmarks have their own data checks, below)."""
TECHNICIAN = {"status", "selftest", "camera-check", "print-test", "scan-test", "config", "logs", "version"}


def madoguchi(
    args: tuple[str, ...], *, config: Path, socket: Path, user: int | None = None
) -> tuple[int, str]:
    """Run ``madoguchi ARGS`` with its output going into a pipe whose reader has already gone."""
    extra = ("--socket", str(socket)) if args[0] in TECHNICIAN | {"privacy-check"} else ()
    command = [sys.executable, "-m", "madoguchi", *args, *extra, "--config", str(config)]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *command]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"},
        cwd="/",
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head` that has read what it wanted
    stderr = process.stderr.read().decode(errors="replace")
    return process.wait(timeout=300), stderr


def run_all(config: Path, socket: Path, *, user: int | None = None) -> dict[tuple[str, ...], tuple[int, str]]:
    with ThreadPoolExecutor(4) as pool:
        runs = {
            args: pool.submit(madoguchi, args, config=config, socket=socket, user=user) for args in COMMANDS
        }
    return {args: run.result() for args, run in runs.items()}


def assert_said_not_raised(results: dict[tuple[str, ...], tuple[int, str]]) -> None:
    for args, (code, stderr) in results.items():
        assert "Traceback" not in stderr, f"madoguchi {' '.join(args)}:\n{stderr}"
        assert code in {int(c) for c in ExitCode}, f"madoguchi {' '.join(args)} exited {code}:\n{stderr}"


def test_a_missing_config(tmp_path):
    results = run_all(tmp_path / "no-such" / "config.toml", tmp_path / "no.sock")
    assert_said_not_raised(results)
    assert results[("config", "validate")][0] == ExitCode.CONFIG
    assert results[("status",)][0] == ExitCode.UNAVAILABLE
    assert results[("run", "--validate-config")][0] == ExitCode.CONFIG


def test_an_invalid_config(tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(b"[counter]\nthreshold = \xff\xfe[[[\n")
    results = run_all(config, tmp_path / "no.sock")
    assert_said_not_raised(results)
    assert results[("audit", "verify")][0] == ExitCode.CONFIG  # it names the record through the config


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_a_config_that_is_not_this_users_to_read(tmp_path):
    """On a box config.toml is 0640 root:madoguchi: a technician outside that group cannot read it."""
    tmp_path.chmod(0o755)
    config = tmp_path / "config.toml"
    config.write_text('[counter]\nmunicipality = "テスト市"\nterminal_id = "t"\nthreshold = 60\n')
    config.chmod(0o600)
    results = run_all(config, tmp_path / "no.sock", user=65534)
    assert_said_not_raised(results)
    code, stderr = results[("audit", "head")]
    assert code == ExitCode.CONFIG and "--path" in stderr


def test_the_tools_say_what_data_they_miss(tmp_path):
    for args in (
        ("simulate", "--out", str(tmp_path / "out"), "--lfw", "--lfw-dir", str(tmp_path / "nothing")),
        ("bench", "accuracy", "--lfw", str(tmp_path / "nothing"), "--folds", "2"),
    ):
        code, stderr = madoguchi(args, config=tmp_path / "none.toml", socket=tmp_path / "no.sock")
        assert "Traceback" not in stderr and code in {int(c) for c in ExitCode}, stderr
