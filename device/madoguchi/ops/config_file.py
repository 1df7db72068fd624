"""``config set``: one ``[counter]`` key changed in the config file, checked, then written atomically.

The file is edited as text, line by line, so the technician's comments and layout stay; the result
is validated by the same model the daemon starts with (:func:`madoguchi.config.parse`) before it
replaces the old file (temporary file, fsync, rename, fsync of the directory): a power cut leaves
the old file or the new one, never half of either.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from madoguchi.config import CommonConfig, parse
from madoguchi.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SETTABLE = ("threshold", "terminal_id", "mode", "language", "result_seconds")
"""The ``[counter]`` keys ``config set`` may change; each applies without a restart."""
_NUMBERS = {"threshold": (int, "a whole number"), "result_seconds": (float, "a number")}


class ConfigFile:
    """The config file the daemon started from, and the config in force: :meth:`set` changes both.

    :param path: the file.
    :param config: what it held when the daemon started.
    """

    def __init__(self, path: Path, config: CommonConfig) -> None:
        self.path = path
        self.config = config

    def set(self, key: str, value: str) -> tuple[object, object]:
        """Write ``[counter] key = value`` to the file (checked, atomically) and put it in force;
        the old and the new value. ConfigError, and nothing changed, when it is not allowed."""
        old = getattr(self.config.counter, key)
        self.config = change_counter_setting(self.path, key, value)
        return old, getattr(self.config.counter, key)


def toml_value(key: str, value: str) -> str:
    """``value`` (as typed on the command line) written as a TOML value for ``key``."""
    if key not in SETTABLE:
        raise ConfigError(f"counter.{key}: cannot be set here; settable: {', '.join(SETTABLE)}")
    if key not in _NUMBERS:
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    kind, what = _NUMBERS[key]
    try:
        return repr(kind(value))
    except ValueError:
        raise ConfigError(f"counter.{key}: {value!r} is not {what}") from None


def with_counter_key(text: str, key: str, value: str) -> str:
    """``text`` with ``key = value`` in its ``[counter]`` table (replaced, or added after the header)."""
    lines = text.splitlines(keepends=True)
    header = next(
        (i for i, line in enumerate(lines) if re.fullmatch(r"\s*\[\s*counter\s*\]\s*(#.*)?\s*", line)), None
    )
    if header is None:
        raise ConfigError("the config file has no [counter] table")
    setting = f"{key} = {value}\n"
    for index in range(header + 1, len(lines)):
        line = lines[index]
        if re.match(r"\s*\[", line):
            break
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            lines[index] = setting
            return "".join(lines)
    lines.insert(header + 1, setting)
    return "".join(lines)


def change_counter_setting(path: Path, key: str, value: str) -> CommonConfig:
    """Set ``[counter] key`` in the file at ``path``; the validated new config. ConfigError (file
    untouched) when the value or the file is not valid."""
    try:
        text = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode & 0o7777
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    changed = with_counter_key(text, key, toml_value(key, value))
    try:
        config = parse(tomllib.loads(changed), text=changed, source=str(path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"counter.{key}: {value!r} does not make valid TOML: {error}") from None
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(changed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {error}") from None
    return config
