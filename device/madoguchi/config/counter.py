"""The counter's own tables: ``[counter]`` (what this counter is and how it works), ``[storage]`` (the
audit record) and ``[models]`` (where the face models are read)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from PIL import ImageFont
from pydantic import AfterValidator, Field, field_validator

from madoguchi.counter.sources import SOURCES
from madoguchi.errors import FontNotFound
from madoguchi.language import Language
from madoguchi.section import AbsolutePath, Section

VIRTUAL_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
_MANIFEST = "manifest.json"  # madoguchi.engine.models.MANIFEST, without loading the engine


def check_font(path: Path) -> Path:
    """``path``, once FreeType has loaded it as a font; FontNotFound says why it cannot."""
    if not path.is_file():
        raise FontNotFound(f"configured font {path} does not exist")
    try:
        ImageFont.truetype(str(path), 16)
    except (OSError, ValueError) as e:
        raise FontNotFound(f"{path} is not a font FreeType can load ({e})") from None
    return path


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
    mode: str = Field(
        default="card",
        title="Mode at start",
        description="card: 交付時来庁 (the card face is scanned); form: 申請時来庁 (the application form); "
        "chip: the photo in the card's IC chip ([chip] enabled). One of the reference sources.",
    )
    mode_button: bool = Field(
        default=True,
        title="Mode button",
        description="Whether the MODE button switches card/form (and chip).",
    )
    decisions: bool = Field(
        default=True,
        title="Staff's decision",
        description="Whether staff record what they did after a score with one press while it is on "
        "screen: START 交付 (issued), MODE 再確認 (second check), CANCEL 交付せず (refused). Kept in the "
        "audit record (no biometric data) for the day slip and `madoguchi report`.",
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

    @field_validator("mode")
    @classmethod
    def _a_source(cls, mode: str) -> str:
        if mode not in SOURCES:
            raise ValueError(f"must be one of {', '.join(SOURCES)}, not {mode!r}")
        return mode


BOX_AUDIT_PATH = Path("/var/lib/madoguchi/audit.jsonl")
"""The box's audit record, where its daemon keeps it unless the config says otherwise."""


class StorageConfig(Section):
    audit_path: Annotated[AbsolutePath, AfterValidator(_audit_file)] = Field(
        default=BOX_AUDIT_PATH,
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
