"""`madoguchi bench ocr` on a handful of cards: the figures add up and the text prints them."""

from __future__ import annotations

import json

import pytest

from madoguchi.bench import ocr
from madoguchi.document.card_code import CardCodeReader
from madoguchi.document.ocr import OcrUnavailable
from madoguchi.synthetic.card_faces import FONTS, HELD_OUT_PRINT


@pytest.fixture(scope="module")
def results():
    if not all(path.is_file() for path, _ in FONTS.values()):
        pytest.skip("the card fronts are printed with fonts-ipaexfont, fonts-noto-cjk and fonts-vlgothic")
    try:
        CardCodeReader().close()
    except OcrUnavailable as error:
        pytest.skip(f"no Tesseract: {error}")
    return ocr.run(["gothic", HELD_OUT_PRINT], 2, first_seed=6)


def test_each_card_is_counted_once_and_the_figures_add_up(results):
    result = ocr.report(results)
    assert [(r.family, r.seed) for r in results] == [
        ("gothic", 6),
        ("gothic", 7),
        (HELD_OUT_PRINT, 6),
        (HELD_OUT_PRINT, 7),
    ]
    tuning, held_out = result["tuning"], result["held_out_figures"]
    assert tuning["cards"] == held_out["cards"] == 2
    for figures in (tuning, held_out):
        assert figures["sure"] == round(figures["sure_share"] * 2)
        assert figures["wrong_sent"] == 0
        assert figures["digits_given_share"] is not None
    assert tuning["sure"] == 2  # two clear cards of the tuning families (tests/test_card_code.py)
    assert sum(s["cards"] for s in result["by_dpi"].values()) == 4
    json.dumps(result)  # --json prints it whole


def test_the_text_names_the_held_out_family(results):
    printed = ocr.text(ocr.report(results))
    assert f"{HELD_OUT_PRINT} (held out)" in printed
    assert "wrong sent" in printed
