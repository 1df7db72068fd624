"""The real PC/SC stack with emulated cards: pcscd with vsmartcard's vpcd driver, and cards on it.

pcscd is started (in the foreground, as a child) only if none is running; it is stopped again at
the end. Cards: vicc's ePass (``vicc_epass.py``, run by vicc's own Python) and our My Number card
emulator. Everything skips cleanly when pcscd, vpcd, vicc or pyscard is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
VICC_PYTHON = "/usr/bin/python3"
VICC_PATHS = [Path("/usr/lib/python3/site-packages/virtualsmartcard"), Path("/usr/lib/python3/dist-packages")]
READER = "Virtual PCD 00 00"
PORT = 35963  # vpcd's first slot ("Virtual PCD 00 00"); the second slot listens on 35964
HERE = Path(__file__).resolve().parent


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pcscd_answers() -> bool:
    """pcscd takes clients: its vpcd port can open before its client socket does."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(context)
    return True


SETTLE_SECONDS = 30.0
"""How long pcscd, vpcd or an emulator may take to come or go, with both cores loaded. Each wait
ends as soon as its condition holds."""


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Pcscd:
    """pcscd with vpcd's reader: ``start()`` runs one (a foreground child) unless one already serves
    vpcd; ``stop()`` stops only the one it started (``owned``)."""

    def __init__(self, config_dir: Path) -> None:
        self.config_dir = config_dir
        self.process: subprocess.Popen | None = None

    @property
    def owned(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        pytest.importorskip("smartcard")
        if not VPCD_DRIVER.exists() or shutil.which("pcscd") is None:
            pytest.skip("pcscd or vsmartcard-vpcd is not installed")
        if _port_open(PORT):
            return
        if subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True).returncode == 0:
            pytest.skip("a pcscd without vpcd is running")
        (self.config_dir / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x{PORT:04X}\n'
            f"LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{PORT:04X}\n"
        )
        self.process = subprocess.Popen(
            ["pcscd", "--foreground", "--config", str(self.config_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(
            lambda: self.process.poll() is not None or _port_open(PORT), SETTLE_SECONDS, "pcscd to load vpcd"
        )
        if self.process.poll() is not None:
            self.process = None
            pytest.skip("pcscd could not start here (it needs root for /run/pcscd; .ci/run starts it)")
        _wait(_pcscd_answers, SETTLE_SECONDS, "pcscd to take clients")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
            _wait(lambda: not _port_open(PORT) and not _pcscd_answers(), SETTLE_SECONDS, "pcscd to stop")


@contextlib.contextmanager
def pcscd_with_vpcd(config_dir: Path):
    """Yield a running :class:`Pcscd`; stop it afterwards if we started it."""
    daemon = Pcscd(config_dir)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reader_state() -> tuple[bool, int]:
    """Whether pcscd sees a card on vpcd's reader, and its count of insertions and removals there
    (pcsc-lite keeps it in the event state's upper 16 bits)."""
    from smartcard import scard

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    try:
        hresult, states = scard.SCardGetStatusChange(context, 0, [(READER, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS:
            return False, -1
        return bool(states[0][1] & scard.SCARD_STATE_PRESENT), states[0][1] >> 16
    finally:
        scard.SCardReleaseContext(context)


@dataclass
class EmulatedCard:
    """An emulator's process on vpcd's reader, and pcscd's event count once it was seen inserted."""

    process: subprocess.Popen
    seen_at: int


def vicc_available() -> bool:
    return (
        Path(VICC_PYTHON).exists()
        and subprocess.run(
            [VICC_PYTHON, str(HERE / "vicc_epass.py"), "--check"],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, VICC_PATHS))},
            capture_output=True,
        ).returncode
        == 0
    )


def start_epass(files: dict[int, bytes]) -> EmulatedCard:
    """vicc's ePass with ``files`` (FID → content) on vpcd's first slot; returns once inserted."""
    if not vicc_available():
        pytest.skip("vsmartcard-vpicc (vicc) or python3-pycryptodome is not installed")
    process = subprocess.Popen(
        [VICC_PYTHON, str(HERE / "vicc_epass.py"), str(PORT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None if os.environ.get("CHIP_DEBUG") else subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(map(str, VICC_PATHS))},
    )
    process.stdin.write(json.dumps({f"{fid:04X}": data.hex() for fid, data in files.items()}).encode())
    process.stdin.close()
    return _inserted(process)


def start_mynumber(spec: dict, *args: str) -> EmulatedCard:
    """Our My Number card emulator (``python -m madoguchi.chip.emulator``) on vpcd's first slot;
    ``spec`` is its card: {"files": {FID hex: content hex}, "pin": 14 digits, "tries": n}."""
    process = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.chip.emulator", "--port", str(PORT), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=None if os.environ.get("CHIP_DEBUG") else subprocess.DEVNULL,
    )
    process.stdin.write(json.dumps(spec).encode())
    process.stdin.close()
    return _inserted(process)


def _inserted(process: subprocess.Popen) -> EmulatedCard:
    try:
        _wait(lambda: process.poll() is not None or reader_state()[0], SETTLE_SECONDS, "the emulated card")
    except RuntimeError:
        stop_process(process)
        raise
    if process.poll() is not None:
        raise RuntimeError("the card emulator exited")
    return EmulatedCard(process, reader_state()[1])


def remove_card(card: EmulatedCard) -> None:
    """Take the card off and wait until pcscd has counted its removal. Reading the reader as empty is
    not enough: after a torn read pcscd marks it empty when resetting the card fails, before its own
    poll has seen the card go, and a card put on before that poll would never be seen inserted."""

    def gone() -> bool:
        present, events = reader_state()
        return not present and events > card.seen_at

    stop_process(card.process)
    _wait(gone, SETTLE_SECONDS, "the card to leave")
