"""Where a line of screen or slip text may break: between words, and in Japanese between phrases.

Japanese has no spaces, and a break between any two characters cuts words (「確認しまし/た」).
BudouX (Google's phrase segmenter, Apache-2.0; its Japanese model ships in the package, no download)
splits a run of Japanese into phrases (文節) a reader takes in at a glance, and lines break only
between them. Spaces still separate words, so English wraps by words as before.

Kinsoku shori (禁則処理), the line-breaking rules of Japanese typesetting (JIS X 4051), come on top:
no line starts with closing punctuation, a prolonged sound mark or a small kana (``NO_LINE_START``),
and none ends with an opening bracket (``NO_LINE_END``); a phrase that would do either is joined to
its neighbour. A phrase wider than a whole line is broken between characters, keeping the same rules.
"""

from __future__ import annotations

import functools
import re

import budoux

NO_LINE_START = frozenset(
    "、。，．,.:;：；!?！？)]}）〕］｝〉》」』】〙〗〟’”｠»"  # closing punctuation and brackets
    "ー〜～…‥・･"  # prolonged sound mark, wave dash, ellipses, middle dot
    "ゝゞ々〻ヽヾ"  # iteration marks
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"  # small kana
)
"""Characters no line may start with."""
NO_LINE_END = frozenset("([{（〔［｛〈《「『【〘〖〝‘“｟«")
"""Characters no line may end with."""

_WORDS = re.compile(r"\S+\s*|\s+")


@functools.lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


@functools.lru_cache(maxsize=512)
def phrases(paragraph: str) -> tuple[str, ...]:
    """``paragraph`` (one line, no newline) cut where a line may break; joined, the pieces are the
    paragraph again. A piece keeps the spaces that follow it, which a break there drops."""
    pieces: list[str] = []
    for word in _WORDS.findall(paragraph):
        bare = word.rstrip()
        parts = _parser().parse(bare) if bare else [""]
        parts[-1] += word[len(bare) :]
        for part in parts:
            if pieces and not breakable(pieces[-1], part):
                pieces[-1] += part
            else:
                pieces.append(part)
    return tuple(pieces)


def breakable(before: str, after: str) -> bool:
    """Whether a line may end with ``before`` and the next start with ``after`` (kinsoku)."""
    last = before.rstrip()[-1:]
    return bool(before.strip() and after) and after[0] not in NO_LINE_START and last not in NO_LINE_END


def last_break(text: str, fits: int) -> int:
    """Where to cut ``text`` between characters, given its first ``fits`` fit on a line: the last
    place at or before ``fits`` that kinsoku allows, else ``fits`` itself (a line must end somewhere)."""
    for cut in range(fits, 0, -1):
        if breakable(text[:cut], text[cut:]):
            return cut
    return max(1, fits)
