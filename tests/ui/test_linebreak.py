"""Line breaking: Japanese between phrases (BudouX) under kinsoku rules, English between words."""

from __future__ import annotations

import itertools

import pytest

from madoguchi.linebreak import NO_LINE_END, NO_LINE_START, breakable, last_break, phrases
from madoguchi.ui.fonts import find_font, load_font, wrap


def lines(text: str, size: int, width: int) -> list[str]:
    return wrap(text, load_font(find_font(), size), width)


# The three breaks seen at the counter: inside a verb on the LCD's band and chip line, and a slip's
# label left alone on its line. Sizes and widths are the screens' and the 80 mm slip's.
@pytest.mark.parametrize(
    ("text", "size", "width", "expected"),
    [
        ("顔写真を確認しています", 22, 220, ["顔写真を", "確認しています"]),
        ("ICチップ写真：署名を確認しました", 14, 220, ["ICチップ写真：署名を", "確認しました"]),
        ("区分: ICチップ（マイナンバーカード）", 33, 552, ["区分: ICチップ", "（マイナンバーカード）"]),
    ],
)
def test_japanese_breaks_between_phrases(text, size, width, expected):
    assert lines(text, size, width) == expected


def test_english_breaks_between_words_and_drops_the_space():
    english = lines("Place the card face down on the scanner", 16, 100)
    assert len(english) > 2
    assert " ".join(english) == "Place the card face down on the scanner"
    font = load_font(find_font(), 16)
    assert all(font.getlength(line) <= 100 for line in english)


def test_text_that_fits_is_one_line_and_newlines_are_kept():
    assert lines("基準以上", 16, 200) == ["基準以上"]
    assert lines("一行目\n二行目", 16, 200) == ["一行目", "二行目"]


@pytest.mark.parametrize(
    "text",
    [
        "カードの表面を下にしてスキャナーに置いてください。「開始」ボタンを押してください。",
        "ちょっと待ってください、ね。ショッピングセンター（本館）でキャッシュカードを",
        "あ" * 7 + "っ" * 9 + "」。" * 3,
    ],
)
@pytest.mark.parametrize("width", [60, 90, 130])
def test_no_line_breaks_a_kinsoku_rule_where_another_break_was_possible(text, width):
    wrapped = lines(text, 16, width)
    assert "".join(wrapped) == text
    font = load_font(find_font(), 16)
    for line in wrapped:
        assert font.getlength(line) <= width
    for before, after in itertools.pairwise(wrapped):
        # a line may start with a closing mark only when the one before it offered no other break
        assert after[0] not in NO_LINE_START or set(before[1:]) <= NO_LINE_START, (before, after)
        assert before[-1] not in NO_LINE_END, (before, after)


def test_phrases_rejoin_to_the_paragraph_and_keep_kinsoku():
    for text in ("区分: ICチップ（マイナンバーカード）", "Score: 72 (threshold 60)", "  indented", ""):
        assert "".join(phrases(text)) == text
    pieces = phrases("区分: ICチップ（マイナンバーカード）")
    assert pieces[0] == "区分: "  # BudouX alone would put ":" at the start of a phrase
    for before, after in itertools.pairwise(pieces):
        assert breakable(before, after)


def test_a_break_inside_a_long_phrase_moves_back_past_small_kana_and_brackets():
    assert last_break("ああっ", 2) == 1  # not before the small っ
    assert last_break("あ（い", 2) == 1  # not after the opening bracket
    assert last_break("っっっ", 2) == 2  # nowhere allowed: cut where it fits
