"""The two languages staff and technicians are spoken to in, and a sentence in both.

Kept apart from the message catalogue (:mod:`madoguchi.ui.messages`) so that a config section or a
reference source can carry its own sentences without importing the screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["ja", "en"]
LANGUAGES: tuple[Language, ...] = ("ja", "en")


@dataclass(frozen=True)
class Text:
    """One sentence in Japanese and English; calling it with a language gives that one."""

    ja: str
    en: str

    def __call__(self, language: Language) -> str:
        return self.ja if language == "ja" else self.en
