"""The daemon started by hand, as `madoguchi run --config X` (``cli.main``), with a probe inside it.

The child process starts one extra thread before the daemon (so before its seccomp filter); once
the daemon reports READY=1 the thread opens sockets from inside the daemon's process, prints what
happened and stops the daemon with SIGTERM. ``setup`` may first emulate a missing libseccomp or
load the systemd unit's system-call allow list, as systemd would before exec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from madoguchi import seccomp
from madoguchi.errors import ModelError
from madoguchi.ops.control import SOCKET_ENV

PROBE = r"""
import errno, json, os, signal, socket, sys, threading

setup = json.loads(sys.argv[3])
if setup.get("without_libseccomp"):
    sys.modules["pyseccomp"] = None  # as if the library were not installed
if "allowed_syscalls" in setup:  # SystemCallFilter= with SystemCallErrorNumber=EPERM
    import pyseccomp
    rules = pyseccomp.SyscallFilter(pyseccomp.ERRNO(errno.EPERM))
    for name in setup["allowed_syscalls"]:
        try:
            rules.add_rule(pyseccomp.ALLOW, name)
        except OSError:
            pass  # no such system call on this architecture
    rules.load()
from madoguchi import seccomp
from madoguchi.cli.main import main

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
sys.exit(main(["run", "--config", sys.argv[1]]))
"""


@dataclass(frozen=True)
class Probed:
    before: dict[str, str]  # socket family → "created" or the errno's name, before the daemon started
    after: dict[str, str]  # the same, from inside the ready daemon
    socket_filter: bool  # what the daemon's seccomp.status() says of its own filter
    kernel: seccomp.Status  # /proc/PID/status of the ready daemon
    exit_code: int
    log: str


def require_models() -> None:
    from madoguchi.engine import FaceEngine

    try:
        FaceEngine.load()
    except ModelError as error:
        pytest.skip(f"the face engine's models are not built yet: {error}")


def run_daemon_with_probe(tmp_path: Path, **setup: object) -> Probed:
    """Start the daemon on simulated hardware with the probe thread, and stop it once probed."""
    require_models()
    config = tmp_path / "config.toml"
    config.write_text(
        '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
        '[hardware]\nkind = "simulated"\n'
        f'[storage]\naudit_path = "{tmp_path / "audit.jsonl"}"\n'
    )
    log = tmp_path / "daemon.log"
    command = [sys.executable, "-c", PROBE, str(config), str(tmp_path / "notify"), json.dumps(setup)]
    with log.open("w") as stderr:
        daemon = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=os.environ | {SOCKET_ENV: str(tmp_path / "control.sock")},  # its control socket, here
        )
    hung = threading.Timer(180, daemon.kill)  # only so that a hung daemon cannot hang the suite
    hung.start()
    try:
        line = daemon.stdout.readline()
        kernel = seccomp.status(daemon.pid) if line else None
        daemon.stdin.write("\n")
        daemon.stdin.flush()
        code = daemon.wait()
    finally:
        hung.cancel()
        daemon.kill()
    text = log.read_text()
    assert line and kernel, f"the daemon never became ready:\n{text}"
    report = json.loads(line)
    return Probed(report["before"], report["after"], report["status"]["socket_filter"], kernel, code, text)
