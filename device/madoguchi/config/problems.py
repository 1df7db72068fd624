"""Saying what is wrong with a config file in words a technician can act on: each problem as
``key.path: message (line N)``, and a guard that keeps a file nested too deep from the TOML parser."""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from madoguchi.errors import ConfigError

MAX_NESTING = 32
"""Arrays and inline tables nested deeper than this are refused before tomllib (which recurses)."""


def line_of(text: str, loc: tuple[str | int, ...]) -> int | None:
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


def _drivers_with(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The drivers whose section has the key at ``loc``, e.g. ["usb"] for hardware.printer.usb_vendor."""
    sections: tuple[Any, ...] = (model,)
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


def describe(model: type[BaseModel], error: ValidationError, text: str | None, data: object) -> list[str]:
    """Each problem ``error`` found in ``data`` (read from ``text``) by ``model``, as key, message, line."""
    problems = []
    for item in error.errors():
        loc, driver = _key_path(tuple(item["loc"]), data)
        messages = item["msg"].removeprefix("Value error, ").splitlines()
        if item["type"] == "extra_forbidden":
            others = _drivers_with(model, loc) if driver else []
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
            line = line_of(text, key_loc) if text is not None else None
            problems.append(f"{key}: {said}" + (f" (line {line})" if line else ""))
    return problems


def check_nesting(text: str) -> None:
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
