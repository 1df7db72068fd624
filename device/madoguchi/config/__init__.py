"""The daemon's settings, read from ``/etc/madoguchi/config.toml`` (example: systemd/config.example.toml).

Every section rejects unknown keys, so a typo stops the daemon at start instead of being ignored.
:func:`load` reads and validates; its :class:`~madoguchi.errors.ConfigError` lists each problem as
``key.path: message (line N)``, which ``madoguchi run --validate-config`` prints for technicians.

The tables, each in its own module and each titled, typed and bounded:

    [counter] [storage] [models]   :mod:`.counter`
    [hardware] and its devices     :mod:`.hardware`, :mod:`.devices`
    [voice] [pad]                  :mod:`madoguchi.voice.settings`, :mod:`madoguchi.pad.settings`
    [scan] [chip] ...              the reference sources' own (:mod:`madoguchi.counter.sources`)

Reading a config loads no device library (camera, GPIO, LCD, printer): the technician's commands
import this module to learn the language.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, create_model, model_validator

from madoguchi.config.counter import CounterConfig, ModelsConfig, StorageConfig
from madoguchi.config.hardware import HardwareConfig
from madoguchi.config.problems import check_nesting, describe
from madoguchi.counter.sources import SOURCES
from madoguchi.errors import ConfigError
from madoguchi.pad.settings import PadConfig
from madoguchi.section import Section
from madoguchi.voice.settings import VoiceConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_PATH = Path("/etc/madoguchi/config.toml")
MAX_BYTES = 1 << 20
"""A config file is a few kilobytes; anything past this is refused unread."""


class CommonConfig(Section):
    """The tables every counter has; :data:`Config` adds the reference sources' own."""

    counter: CounterConfig = Field(title="Counter", description="What this counter is and how it works.")
    hardware: HardwareConfig = Field(
        default_factory=HardwareConfig, title="Devices", description="Which devices, and how each is reached."
    )
    storage: StorageConfig = Field(
        default_factory=StorageConfig, title="Storage", description="Where the audit record is kept."
    )
    models: ModelsConfig = Field(
        default_factory=ModelsConfig, title="Face models", description="Where the face models are read."
    )
    voice: VoiceConfig = Field(
        default_factory=VoiceConfig,
        title="Spoken guidance",
        description="The visitor's guidance, said aloud.",
    )
    pad: PadConfig = Field(
        default_factory=PadConfig,
        title="Presentation-attack checks",
        description="A photo or a screen held to the camera, as advice to staff.",
    )

    def section(self, name: str) -> Any:
        """The table ``name`` (a reference source's, e.g. "scan" or "chip")."""
        return getattr(self, name)

    @model_validator(mode="after")
    def _mode_offered(self) -> CommonConfig:
        kind = SOURCES[self.counter.mode]
        why = kind.unavailable(self.section(kind.section[0])) if kind.section else None
        if why is not None:
            raise ValueError(f"counter.mode: {why}")
        return self


def _source_tables() -> dict[str, Any]:
    """Each reference source's table, once (card and form share [scan]), as a field of :data:`Config`."""
    tables: dict[str, Any] = {}
    for kind in SOURCES.values():
        if kind.section is not None:
            name, model = kind.section
            title, description = model.model_config.get("title", name), (model.__doc__ or "").strip()
            tables[name] = (model, Field(default_factory=model, title=title, description=description))
    return tables


Config = create_model("Config", __base__=CommonConfig, __module__=__name__, **_source_tables())
"""The whole config file: :class:`CommonConfig` and a table for each reference source that has one."""


def parse(data: dict[str, Any], *, text: str | None = None, source: str = "config") -> CommonConfig:
    """Validate already-parsed settings; ``text`` (the TOML) lets errors name their lines."""
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = describe(Config, error, text, data)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise ConfigError(f"{source}: {count}\n" + "\n".join(problems)) from None


def load(path: Path = DEFAULT_PATH) -> CommonConfig:
    """Read and validate the TOML file at ``path``; raise ConfigError saying what to fix."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES} bytes; not a config file")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    try:
        check_nesting(text)
        data = tomllib.loads(text)
    except ConfigError as error:
        raise ConfigError(f"{path}: not valid: {error}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse(data, text=text, source=str(path))
