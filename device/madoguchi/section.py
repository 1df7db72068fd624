"""The base of every config.toml section, shared by madoguchi.config and the device sections beside
their drivers in madoguchi.hardware (it imports neither, so both can import it).

Sections are strict, as TOML already gives each value its type: ``threshold = true`` is not 1 and
``width = "640"`` is not 640. Unknown keys are errors, so a typo stops the daemon at start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _absolute(path: Path) -> Path:
    if not path.is_absolute():
        raise ValueError(f"must be an absolute path, not {path}")
    if "\0" in str(path):
        raise ValueError("must not hold a NUL character")
    return path


AbsolutePath = Annotated[Path, Field(strict=False), AfterValidator(_absolute)]
"""An absolute path, given in TOML as a string."""


def by_driver(union: Any, default: str) -> Any:
    """``union`` (device sections told apart by their ``driver``), taking ``default`` when a table
    does not name its driver."""

    def fill(value: object) -> object:
        if isinstance(value, dict) and "driver" not in value:
            return {"driver": default, **value}
        return value

    return Annotated[union, Field(discriminator="driver"), BeforeValidator(fill)]
