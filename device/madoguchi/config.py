"""The daemon's settings, read from ``/etc/madoguchi/config.toml`` (example: systemd/config.example.toml).

Every section rejects unknown keys, so a typo stops the daemon at start instead of being ignored.
:func:`load` reads and validates; its :class:`~madoguchi.errors.ConfigError` lists each problem as
``key.path: message (line N)``, which ``madoguchi run --validate-config`` prints for technicians.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from madoguchi.chip.settings import ChipConfig
from madoguchi.errors import ConfigError
from madoguchi.hardware.settings import HardwareSettings
from madoguchi.messages import Language
from madoguchi.outcome import Mode

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_PATH = Path("/etc/madoguchi/config.toml")


def _absolute(path: Path) -> Path:
    if not path.is_absolute():
        raise ValueError(f"must be an absolute path, not {path}")
    return path


AbsolutePath = Annotated[Path, AfterValidator(_absolute)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CounterConfig(Section):
    municipality: str = Field(
        title="Municipality", description="Printed on every slip, e.g. 「○○市」.", min_length=1, max_length=40
    )
    terminal_id: str = Field(
        title="Terminal id",
        description="This counter's name in the audit record and on slips.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$",
    )
    threshold: int = Field(
        title="Threshold",
        description="The municipality's threshold on the 0-100 score; the screen says whether a score "
        "is at or above it. Staff make the decision.",
        ge=0,
        le=100,
    )
    mode: Mode = Field(
        default="card",
        title="Mode at start",
        description="card: 交付時来庁 (the card face is scanned); form: 申請時来庁 (the application form); "
        "chip: the photo in the card's IC chip ([chip] enabled).",
    )
    mode_button: bool = Field(
        default=True,
        title="Mode button",
        description="Whether the MODE button switches card/form (and chip).",
    )
    language: Language = Field(default="ja", title="Language", description="Of screens and slips.")
    capture_seconds: float = Field(
        default=3.0,
        title="Capture time",
        description="Seconds the camera watches the visitor; the best frame is kept.",
        ge=0.2,
        le=15.0,
    )
    reference_quality: Literal["rescan", "note"] = Field(
        default="rescan",
        title="ID photo quality gate",
        description="rescan: an ID photo that fails the quality gate for a reason staff can fix (glare, "
        "blur, exposure) stops the transaction with what to fix; note: it is scored anyway and the "
        "advice is printed on the slip.",
    )
    result_seconds: float = Field(
        default=60.0,
        title="Result time",
        description="Seconds the result stays on screen before the idle screen returns.",
        ge=1.0,
        le=600.0,
    )
    font: AbsolutePath | None = Field(
        default=None,
        title="Font",
        description="A font with Japanese glyphs; by default IPAex Gothic or Noto Sans CJK is found.",
    )


class ScanConfig(Section):
    card_dpi: int = Field(default=300, title="Card resolution", description="DPI for cards.", ge=150, le=1200)
    form_dpi: int = Field(default=300, title="Form resolution", description="DPI for forms.", ge=150, le=1200)

    def dpi(self, mode: Mode) -> int:
        return self.card_dpi if mode == "card" else self.form_dpi


class HardwareConfig(Section):
    kind: Literal["auto", "real", "simulated"] = Field(
        default="auto",
        title="Devices",
        description="auto: real devices where found, simulated otherwise (each fallback is logged); "
        "real: at start, a missing device is named on the LCD and waited for; simulated: doubles only.",
    )
    camera: dict[str, Any] = Field(default_factory=dict, title="Camera", description="[hardware.camera]")
    scanner: dict[str, Any] = Field(default_factory=dict, title="Scanner", description="[hardware.scanner]")
    display: dict[str, Any] = Field(default_factory=dict, title="Display", description="[hardware.display]")
    printer: dict[str, Any] = Field(default_factory=dict, title="Printer", description="[hardware.printer]")
    buttons: dict[str, Any] = Field(default_factory=dict, title="Buttons", description="[hardware.buttons]")

    def settings(self) -> HardwareSettings:
        """The device settings (see madoguchi.hardware.settings for every key and its default)."""
        settings = HardwareSettings.from_sections(self.kind, **self.model_dump(exclude={"kind"}))
        return _HARDWARE_SETTINGS.validate_python(dataclasses.asdict(settings))

    @model_validator(mode="after")
    def _verify_settings(self) -> HardwareConfig:
        try:
            self.settings()
        except ConfigError as error:
            raise ValueError(str(error)) from None
        except ValidationError as error:  # one line per key: "hardware.camera.width: ..."
            lines = [f"hardware.{_section_key(item['loc'][0])}: {item['msg']}" for item in error.errors()]
            raise ValueError("\n".join(lines)) from None
        return self


_HARDWARE_SETTINGS = TypeAdapter(HardwareSettings)


def _section_key(field_name: object) -> str:
    """HardwareSettings' flat "camera_width" as the config's "camera.width"."""
    return str(field_name).replace("_", ".", 1)


class StorageConfig(Section):
    audit_path: AbsolutePath = Field(
        default=Path("/var/lib/madoguchi/audit.jsonl"),
        title="Audit record",
        description="Append-only, hash-chained JSON lines; never holds images or anything biometric.",
    )


class ModelsConfig(Section):
    dir: AbsolutePath | None = Field(
        default=None, title="Model directory", description="Overrides where the face models are read."
    )


class Config(Section):
    counter: CounterConfig
    scan: ScanConfig = Field(default_factory=ScanConfig)
    hardware: HardwareConfig = Field(default_factory=HardwareConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    chip: ChipConfig = Field(default_factory=ChipConfig, title="IC chip", description="[chip]")

    @model_validator(mode="after")
    def _chip_mode_needs_chip(self) -> Config:
        if self.counter.mode == "chip" and not self.chip.enabled:
            raise ValueError("counter.mode: chip needs [chip] enabled = true")
        return self


def _line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
    """The line where key ``loc`` is set in TOML ``text`` (best effort: tables and plain keys)."""
    keys = [str(part) for part in loc]
    table: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]\s*(#.*)?", line)
        if header:
            table = [part.strip().strip("\"'") for part in header.group(1).split(".")]
            if table == keys:
                return number
            continue
        match = re.match(r"([A-Za-z0-9_.\"'-]+)\s*=", line)
        if match:
            key = [part.strip().strip("\"'") for part in match.group(1).split(".")]
            if table + key == keys[: len(table) + len(key)]:
                return number
    return None


def _describe(error: ValidationError, text: str | None) -> list[str]:
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        messages = item["msg"].removeprefix("Value error, ").splitlines()
        if item["type"] == "extra_forbidden":
            messages = ["unknown key (check the spelling)"]
        for message in messages:
            key_loc, said = loc, message
            named = re.match(r"([a-z_]+(?:\.[a-z_]+)+): ", message)
            if named:  # a check that names the key itself, e.g. "hardware.camera.foo: unknown setting"
                key_loc, said = tuple(named.group(1).split(".")), message[named.end() :]
            key = ".".join(str(part) for part in key_loc) or "(top level)"
            line = _line_of(text, key_loc) if text is not None else None
            problems.append(f"{key}: {said}" + (f" (line {line})" if line else ""))
    return problems


def parse(data: dict[str, Any], *, text: str | None = None, source: str = "config") -> Config:
    """Validate already-parsed settings; ``text`` (the TOML) lets errors name their lines."""
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = _describe(error, text)
        raise ConfigError(f"{source}: {len(problems)} problem(s)\n" + "\n".join(problems)) from None


def load(path: Path = DEFAULT_PATH) -> Config:
    """Read and validate the TOML file at ``path``; raise ConfigError saying what to fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse(data, text=text, source=str(path))
