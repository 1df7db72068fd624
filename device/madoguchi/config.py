"""The daemon's settings, read from ``/etc/madoguchi/config.toml`` (example: systemd/config.example.toml).

Every section rejects unknown keys, so a typo stops the daemon at start instead of being ignored.
:func:`load` reads and validates; its :class:`~madoguchi.errors.ConfigError` lists each problem as
``key.path: message (line N)``, which ``madoguchi run --validate-config`` prints for technicians.
"""

from __future__ import annotations

import os
import re
import sys
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from madoguchi.chip.settings import ChipConfig
from madoguchi.errors import ConfigError
from madoguchi.fonts import check_font
from madoguchi.hardware import HardwareConfig
from madoguchi.messages import Language
from madoguchi.outcome import Mode
from madoguchi.section import AbsolutePath, Section

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULT_PATH = Path("/etc/madoguchi/config.toml")
MAX_BYTES = 1 << 20
"""A config file is a few kilobytes; anything past this is refused unread."""
MAX_NESTING = 32
"""Arrays and inline tables nested deeper than this are refused before tomllib (which recurses)."""
VIRTUAL_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
_MANIFEST = "manifest.json"  # madoguchi.engine.models.MANIFEST, without loading the engine


def _audit_file(path: Path) -> Path:
    path = Path(os.path.normpath(path))
    if path == Path("/") or path.is_dir():
        raise ValueError(f"must name a file, and {path} is a directory")
    for root in VIRTUAL_FILESYSTEMS:
        if path.is_relative_to(root):
            raise ValueError(f"must be on a real file system, not under {root}")
    if path.parent.exists() and not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a directory")
    return path


def _models_dir(path: Path) -> Path:
    if not (path / _MANIFEST).is_file():
        raise ValueError(f"{path} is not a models directory: it has no {_MANIFEST}")
    return path


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
    code_seconds: float = Field(
        default=120.0,
        title="Code entry time",
        description="Seconds without a press after which an access code being keyed in is wiped and"
        " the transaction cancelled (chip mode), so a half-entered code never waits for the next visitor.",
        ge=2.0,
        le=600.0,
    )
    font: Annotated[AbsolutePath, AfterValidator(check_font)] | None = Field(
        default=None,
        title="Font",
        description="A font with Japanese glyphs; by default IPAex Gothic or Noto Sans CJK is found.",
    )


class ScanConfig(Section):
    card_dpi: int = Field(default=300, title="Card resolution", description="DPI for cards.", ge=150, le=1200)
    form_dpi: int = Field(default=300, title="Form resolution", description="DPI for forms.", ge=150, le=1200)
    rescan_max_dpi: int = Field(
        default=600,
        title="Highest rescan resolution",
        description="A photo too small to compare is scanned again at once, at the resolution it needs"
        " or this (DPI) if it needs more; at or below card_dpi and form_dpi, never.",
        ge=150,
        le=1200,
    )

    def dpi(self, mode: Mode) -> int:
        return self.card_dpi if mode == "card" else self.form_dpi


class StorageConfig(Section):
    audit_path: Annotated[AbsolutePath, AfterValidator(_audit_file)] = Field(
        default=Path("/var/lib/madoguchi/audit.jsonl"),
        title="Audit record",
        description="Append-only, hash-chained JSON lines; never holds images or anything biometric.",
    )


class ModelsConfig(Section):
    dir: Annotated[AbsolutePath, AfterValidator(_models_dir)] | None = Field(
        default=None,
        title="Model directory",
        description="Overrides where the face models are read; it must hold manifest.json.",
    )
    faceres: bool = Field(
        default=True,
        title="Second descriptor (FaceRes)",
        description="true: each face is described by dlib's ResNet and by HSE FaceRes and the two "
        "distances are fused (fewer honest visitors fall below the threshold); false: dlib's descriptor "
        "alone, for boxes too slow for both (a Raspberry Pi 4 or older, a Jetson Nano). The score means "
        "the same false-match rate either way, so the threshold stands.",
    )


class Config(Section):
    counter: CounterConfig = Field(title="Counter", description="What this counter is and how it works.")
    scan: ScanConfig = Field(default_factory=ScanConfig, title="Scanning", description="Scan resolutions.")
    hardware: HardwareConfig = Field(
        default_factory=HardwareConfig, title="Devices", description="Which devices, and how each is reached."
    )
    storage: StorageConfig = Field(
        default_factory=StorageConfig, title="Storage", description="Where the audit record is kept."
    )
    models: ModelsConfig = Field(
        default_factory=ModelsConfig, title="Face models", description="Where the face models are read."
    )
    chip: ChipConfig = Field(
        default_factory=ChipConfig, title="IC chip", description="The IC chip as a third reference source."
    )

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


def _key_path(loc: tuple[str | int, ...], data: object) -> tuple[tuple[str | int, ...], str | None]:
    """``loc`` as the keys written in the file, and the driver it went through if any.

    pydantic puts a section's driver into the location (hardware.printer.usb.width_px); the file
    has hardware.printer.width_px. A part that is not a key of the data there is such a driver.
    """
    keys: list[str | int] = []
    driver = None
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part not in node and index + 1 < len(loc):
            driver = str(part)
            continue
        keys.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(keys), driver


def _drivers_with(loc: tuple[str | int, ...]) -> list[str]:
    """The drivers whose section has the key at ``loc``, e.g. ["usb"] for hardware.printer.usb_vendor."""
    sections: tuple[Any, ...] = (Config,)
    for part in loc[:-1]:
        fields = getattr(sections[0], "model_fields", {})
        if len(sections) != 1 or part not in fields:
            return []
        annotation = fields[part].annotation
        sections = typing.get_args(annotation) or (annotation,)
    return [
        section.model_fields["driver"].default
        for section in sections
        if "driver" in getattr(section, "model_fields", {}) and loc[-1] in section.model_fields
    ]


def _describe(error: ValidationError, text: str | None, data: object) -> list[str]:
    problems = []
    for item in error.errors():
        loc, driver = _key_path(tuple(item["loc"]), data)
        messages = item["msg"].removeprefix("Value error, ").splitlines()
        if item["type"] == "extra_forbidden":
            others = _drivers_with(loc) if driver else []
            if others:
                messages = [f"a key of driver {' or '.join(map(repr, others))}, not of {driver!r}"]
            else:
                messages = [f"unknown key{f' for driver {driver!r}' if driver else ''} (check the spelling)"]
        elif item["type"] == "union_tag_invalid":
            loc += ("driver",)
            messages = [f"must be one of {item['ctx']['expected_tags']}, not {item['ctx']['tag']!r}"]
        for message in messages:
            key_loc, said = loc, message
            named = re.match(r"([a-z_]+(?:\.[a-z_]+)+): ", message)
            if named:  # a check that names the key itself, e.g. "hardware.buttons.mode: GPIO 5 is ..."
                key_loc, said = tuple(named.group(1).split(".")), message[named.end() :]
            key = ".".join(str(part) for part in key_loc) or "(top level)"
            line = _line_of(text, key_loc) if text is not None else None
            problems.append(f"{key}: {said}" + (f" (line {line})" if line else ""))
    return problems


def _check_nesting(text: str) -> None:
    """Refuse arrays or inline tables nested deeper than MAX_NESTING, naming the line.

    A small scanner that skips strings, comments and table headers and counts brackets, so that
    tomllib, which recurses once per level, never sees a file that would exhaust the stack.
    """
    depth, line, i, at_line_start = 0, 1, 0, True
    while i < len(text):
        char = text[i]
        if char == "\n":
            line, at_line_start, i = line + 1, True, i + 1
            continue
        if char in " \t\r":
            i += 1
            continue
        if char == "#" or (char == "[" and at_line_start and depth == 0):  # a comment or a [table]
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        at_line_start = False
        if char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            end = i + len(quote)
            while True:
                end = text.find(quote, end)
                if end < 0:
                    return  # unterminated: tomllib says so
                escaped = end
                while char == '"' and text[escaped - 1] == "\\":
                    escaped -= 1
                if (end - escaped) % 2 == 0:
                    break
                end += 1
            line += text.count("\n", i, end)
            i = end + len(quote)
            continue
        if char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigError(f"line {line}: arrays or tables nested deeper than {MAX_NESTING}")
        elif char in "]}":
            depth = max(depth - 1, 0)
        i += 1


def parse(data: dict[str, Any], *, text: str | None = None, source: str = "config") -> Config:
    """Validate already-parsed settings; ``text`` (the TOML) lets errors name their lines."""
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        problems = _describe(error, text, data)
        raise ConfigError(f"{source}: {len(problems)} problem(s)\n" + "\n".join(problems)) from None


def load(path: Path = DEFAULT_PATH) -> Config:
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
        _check_nesting(text)
        data = tomllib.loads(text)
    except ConfigError as error:
        raise ConfigError(f"{path}: not valid: {error}") from None
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return parse(data, text=text, source=str(path))
