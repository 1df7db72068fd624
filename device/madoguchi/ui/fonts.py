"""The Japanese font screens and slips are drawn with, and how text is fitted to a width.

The font is found once: a configured path if given, else the first of a short list of known
Debian/Raspberry Pi OS paths, else whatever ``fc-list :lang=ja`` offers. Without any, rendering
cannot say anything in Japanese, so :class:`FontNotFound` stops the daemon at start with the fix.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from PIL import ImageFont

from madoguchi.config.counter import check_font
from madoguchi.errors import FontNotFound
from madoguchi.linebreak import last_break, phrases

KNOWN_FONT_PATHS = (
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf"),
    Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"),
)

Font = ImageFont.FreeTypeFont


def _fc_list_japanese() -> Path | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run(
            [fc_list, ":lang=ja", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
    return Path(files[0]) if files else None


@functools.lru_cache(maxsize=4)
def find_font(configured: Path | None = None) -> Path:
    """Return the path of a font that has Japanese glyphs, or raise :class:`FontNotFound`."""
    if configured is not None:
        return check_font(configured)
    for path in KNOWN_FONT_PATHS:
        if path.is_file():
            return path
    found = _fc_list_japanese()
    if found is not None and found.is_file():
        return found
    raise FontNotFound(
        "no Japanese font found: install fonts-ipaexfont-gothic (apt) or set [counter].font in config.toml"
    )


@functools.lru_cache(maxsize=64)
def load_font(path: Path, size: int) -> Font:
    """The font at ``path`` in ``size`` pixels, cached: screens redraw many times a second."""
    return ImageFont.truetype(str(path), size)


def text_width(font: Font, text: str) -> int:
    return int(font.getlength(text))


def wrap(text: str, font: Font, width: int) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` pixels.

    Lines break between words and, in Japanese, between phrases, under the kinsoku rules
    (:mod:`madoguchi.linebreak`); a phrase or word wider than a line is broken between characters.
    A break at a space drops it. Explicit newlines are kept.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in phrases(paragraph):
            if line.strip() and text_width(font, (line + piece).rstrip()) > width:
                lines.append(line.rstrip())
                line = ""
            line += piece
            while text_width(font, line.rstrip()) > width and len(line.rstrip()) > 1:
                fits = next(
                    n for n in range(len(line), 0, -1) if text_width(font, line[:n]) <= width or n == 1
                )
                cut = last_break(line, fits)
                lines.append(line[:cut].rstrip())
                line = line[cut:].lstrip()
        lines.append(line.rstrip())
    return lines
