"""The config of a daemon run on simulated devices (``madoguchi run --simulated``, a PC): nothing a
newcomer has to know about ``hardware.kind``, SANE or where a user may write."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from madoguchi.config import CommonConfig, parse
from madoguchi.config.counter import BOX_AUDIT_PATH
from madoguchi.config.problems import check_nesting
from madoguchi.hardware.scanner import use_sane_test_backend

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

log = logging.getLogger(__name__)

SAMPLE_COUNTER = {"municipality": "見本市", "terminal_id": "pc-01", "threshold": 60}
"""The counter of a PC without a config file."""


def state_dir() -> Path:
    """Where a user's daemon keeps its audit record: $XDG_STATE_HOME/madoguchi, else ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "madoguchi"


def cache_dir() -> Path:
    """Where a user's daemon keeps what it may keep between starts (the voice's prompts):
    $XDG_CACHE_HOME/madoguchi, else ~/.cache/madoguchi."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "madoguchi"


def simulated_config(path: Path) -> CommonConfig:
    """The file at ``path`` if there is one (else a sample counter), with every device simulated,
    and its audit record in :func:`state_dir` unless the file names a place this user may write
    other than the box's own record (simulated visitors never enter a real box's record)."""
    data: dict[str, Any] = {"counter": dict(SAMPLE_COUNTER)}
    text = None
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        check_nesting(text)
        data = tomllib.loads(text)
    else:
        log.info("no config file at %s: a sample counter (%s)", path, SAMPLE_COUNTER["terminal_id"])
    data["hardware"] = {**data.get("hardware", {}), "kind": "simulated"}
    record = Path(data.get("storage", {}).get("audit_path", BOX_AUDIT_PATH))
    if record == BOX_AUDIT_PATH or not _may_write(record):  # never the box's record, even as root
        data["storage"] = {**data.get("storage", {}), "audit_path": str(state_dir() / "audit.jsonl")}
    prompts = Path(data.get("voice", {}).get("cache_dir", "/var/cache/madoguchi/voice"))
    if not _may_write(prompts / "prompt.wav"):
        data["voice"] = {**data.get("voice", {}), "cache_dir": str(cache_dir() / "voice")}
    config = parse(data, text=text, source=str(path))
    config.storage.audit_path.parent.mkdir(parents=True, exist_ok=True)
    if "SANE_CONFIG_DIR" not in os.environ:  # scan through SANE's test backend, probe nothing real
        use_sane_test_backend(Path(tempfile.mkdtemp(prefix="madoguchi-sane-")))
    log.info("simulated devices; audit record %s", config.storage.audit_path)
    return config


def _may_write(path: Path) -> bool:
    """Whether this user may make ``path`` (its directory, or the nearest that exists, is writable)."""
    for directory in path.parents:
        if directory.exists():
            return os.access(directory, os.W_OK)
    return False
