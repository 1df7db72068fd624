"""The daemon started as `madoguchi run --config X` on simulated hardware, with its control socket.

``start(box)`` runs it as a subprocess; with ``sandbox=True`` it runs in its own mount namespace
where every writable file system is read-only except ``box`` (the config, the audit record and the
socket), with no capabilities but CAP_IPC_LOCK: the view a systemd unit gives it, so
``privacy-check`` can pass. ``probe`` is Python run inside the daemon's process before it starts,
as tests/daemon_probe.py does (e.g. to replace seccomp.install or to open a socket).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from madoguchi.ops.control import SOCKET_ENV, protocol
from madoguchi.ops.control.client import Unavailable, ask, exchange
from madoguchi.ops.privacy_check import PSEUDO_FS

COUNTER = '[counter]\nmunicipality = "テスト市"\nterminal_id = "test-01"\nthreshold = 60\n'
COUNTER += "capture_seconds = 0.5\nresult_seconds = 1.0\n"
COUNTER += "decisions = false\n"  # START at a result starts the next visitor (tests chain visitors)

RUN = r"""
import sys
exec(sys.argv[1])
from madoguchi.cli import main as cli
sys.exit(cli.main(["run", "--config", sys.argv[2]]))
"""

# As systemd hands a socket unit's socket to its service (sd_listen_fds(3)), then exec.
ACTIVATE = r"""
import os, sys
os.dup2(int(sys.argv[1]), 3)
os.environ |= {"LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1"}
os.execv(sys.argv[2], sys.argv[2:])
"""

# In the new mount namespace: box stays writable, every other writable file system becomes read-only.
REMOUNT = r"""
import subprocess, sys
box, pseudo = sys.argv[1], set(sys.argv[2].split(","))
subprocess.run(["mount", "--bind", box, box], check=True)
for line in open("/proc/self/mountinfo").read().splitlines():
    left, _, right = line.partition(" - ")
    point, options = left.split()[4], left.split()[5].split(",")
    if "rw" in options and right.split()[0] not in pseudo and point != box:
        subprocess.run(["mount", "-o", "remount,bind,ro", point.replace("\\040", " ")], check=True)
"""


@dataclass
class Daemon:
    box: Path
    config: Path
    socket: Path
    process: subprocess.Popen
    log: Path

    def ask(self, command: str, **arguments):
        return ask(command, path=self.socket, **arguments)

    def cli(self, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
        """`madoguchi ARGS --socket S --config C` as a technician would run it."""
        command = [
            sys.executable,
            "-m",
            "madoguchi",
            *args,
            "--socket",
            str(self.socket),
            "--config",
            str(self.config),
        ]
        return subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ.copy())

    def cli_json(self, *args: str) -> tuple[int, dict]:
        result = self.cli(*args, "--json")
        assert result.stdout, result.stderr
        return result.returncode, json.loads(result.stdout)

    def stop(self) -> int:
        """SIGTERM, and its exit status (0 when it stopped cleanly)."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=60)
        finally:
            self.process.kill()


def ask_as(uid: int, path: Path, groups: tuple[int, ...] = ()) -> dict:
    """The daemon's reply to ``status`` asked by a forked child that has become ``uid`` (in ``groups``)."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            os.setgroups(list(groups))
            os.setgid(uid)
            os.setuid(uid)
            reply = exchange(protocol.request("status"), path=path, timeout=60)
        except BaseException as error:
            reply = {"exception": repr(error)}
        os.write(write_end, json.dumps(reply).encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        data = answer.read()
    os.waitpid(child, 0)
    return json.loads(data)


def require_engine() -> None:
    from madoguchi.engine import FaceEngine
    from madoguchi.errors import ModelError

    try:
        FaceEngine.load()
    except ModelError as error:
        pytest.skip(f"the face engine's models are not built yet: {error}")


def start(
    box: Path,
    *,
    log: Path,
    sandbox: bool = False,
    probe: str = "",
    counter: str = COUNTER,
    listener: socket.socket | None = None,
) -> Daemon:
    """Start the daemon with its files in ``box``; return once its control socket answers.

    ``listener``: a listening socket passed in as systemd's socket activation would (fd 3,
    LISTEN_FDS=1, LISTEN_PID); the daemon then binds nothing itself.
    """
    require_engine()
    box.mkdir(parents=True, exist_ok=True)
    config = box / "config.toml"
    config.write_text(
        f'{counter}[hardware]\nkind = "simulated"\n[storage]\naudit_path = "{box / "audit.jsonl"}"\n'
    )
    path = box / "control.sock"
    command = [sys.executable, "-c", RUN, probe, str(config)]
    pass_fds: tuple[int, ...] = ()
    if listener is not None:
        pass_fds = (listener.fileno(),)
        path = Path(listener.getsockname())
        command = [sys.executable, "-c", ACTIVATE, str(listener.fileno()), *command]
    if sandbox:
        for tool in ("unshare", "setpriv", "mount"):
            if shutil.which(tool) is None:
                pytest.skip(f"{tool} is needed to sandbox the daemon")
        remount = [sys.executable, "-c", REMOUNT, str(box), ",".join(sorted(PSEUDO_FS))]
        # No capabilities but CAP_IPC_LOCK: the unit's LimitMEMLOCK=infinity instead needs
        # CAP_SYS_RESOURCE here, which a container may not have.
        drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all,+ipc_lock", "--"]
        script = f"{subprocess.list2cmdline(remount)} && exec {subprocess.list2cmdline(drop + command)}"
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]

    env = os.environ | {SOCKET_ENV: str(box / "control.sock"), "PYTHONDONTWRITEBYTECODE": "1"}
    if sandbox:  # as PrivateTmp=: python-escpos keeps a pickle of its printer profiles there
        (box / "tmp").mkdir(exist_ok=True)
        env["TMPDIR"] = str(box / "tmp")
    with log.open("w") as stderr:
        process = subprocess.Popen(command, env=env, stdout=stderr, stderr=stderr, pass_fds=pass_fds)
    daemon = Daemon(box, config, path, process, log)
    deadline = time.monotonic() + 180  # only so that a daemon that never starts cannot hang the suite
    while True:
        try:
            ask("version", path=path, timeout=10)
            return daemon
        except (Unavailable, TimeoutError):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the daemon did not start ({process.poll()}):\n{log.read_text()}")
            threading.Event().wait(0.2)
