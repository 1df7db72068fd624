"""Printed lines read by Tesseract in memory: Debian's ``tesseract-ocr`` through tesserocr's API.

What is read here is personal data (a birth date, a card's security code), so the image goes to
Tesseract in memory (``SetImage`` on a Pillow image: tesserocr hands leptonica an in-memory copy),
never through a file, which rules out pytesseract; and each call reads only a small crop. Each
line comes back as words with Tesseract's confidence in each: its LSTM can be sure of every
character of a word it misread (「2935」 for 「2035」, each character at 93) while the word's
confidence drops (50), so words are what is judged.

The copies tesserocr and Tesseract make (the encoded image, leptonica's picture, the recognised
text) are freed when the next image is set or the reader closed, unwiped, as numpy's and OpenCV's
temporaries are (:mod:`madoguchi.privacy`); the returned strings are the caller's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from madoguchi.errors import MadoguchiError


class OcrUnavailable(MadoguchiError, RuntimeError):
    """Tesseract, tesserocr or a language's data is missing: reading the card face is off."""


@dataclass(frozen=True)
class Word:
    """A word Tesseract found (only characters of the alphabet asked for) and its confidence (0-100)."""

    text: str
    confidence: float


@dataclass(frozen=True)
class Line:
    """A line Tesseract found, as its words."""

    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)

    def confidence(self, *, of: str = "") -> float:
        """The lowest confidence of the words holding any character of ``of`` (every word if empty);
        0 if none does."""
        chosen = [w.confidence for w in self.words if not of or any(c in of for c in w.text)]
        return min(chosen, default=0.0)


class LineReader:
    """One Tesseract engine for ``language`` (e.g. "jpn", "eng"), reading a line of text made of
    the characters of an ``alphabet`` given with each call.

        with LineReader("eng") as reader:
            lines = reader.lines(grey_line, alphabet="0123456789", ppi=300)

    Not thread-safe: one reader per thread (the counter's).

    :param language: the traineddata to load (Debian: tesseract-ocr-jpn, tesseract-ocr-eng).
    :param datapath: the tessdata directory; None: the one libtesseract was built with.

    Raises OcrUnavailable when tesserocr cannot be imported or the language cannot be loaded.
    """

    def __init__(self, language: str, *, datapath: str | None = None) -> None:
        try:
            import tesserocr
        except ImportError as error:
            raise OcrUnavailable(
                f"tesserocr is missing ({error}): apt install python3-tesserocr tesseract-ocr-jpn"
            ) from error
        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(init=False)
        try:
            # no dictionaries: the lines are numbers and dates, and a dictionary pulls toward words
            self._api.InitFull(
                path=datapath or tesserocr.get_languages()[0],
                lang=language,
                variables={"load_system_dawg": "0", "load_freq_dawg": "0"},
            )
        except RuntimeError as error:
            self._api.End()
            raise OcrUnavailable(
                f"Tesseract cannot load {language!r} ({error}): apt install tesseract-ocr-{language}"
            ) from error
        self._api.SetPageSegMode(tesserocr.PSM.SINGLE_LINE)

    def lines(self, grey: np.ndarray, *, alphabet: str, ppi: int) -> list[Line]:
        """The line of print in ``grey`` (a uint8 image of one line cut out, with blank paper
        around it, at ``ppi`` pixels per inch) read with only the characters of ``alphabet``: one
        line, or none if Tesseract found no text."""
        tesserocr = self._tesserocr
        api = self._api
        api.SetVariable("tessedit_char_whitelist", alphabet)
        api.SetImage(Image.fromarray(np.ascontiguousarray(grey), mode="L"))
        api.SetSourceResolution(ppi)
        api.Recognize()
        found: list[Line] = []
        words: list[Word] = []
        iterator = api.GetIterator()
        word_level, line_level = tesserocr.RIL.WORD, tesserocr.RIL.TEXTLINE
        for word in tesserocr.iterate_level(iterator, word_level) if iterator is not None else ():
            if word.IsAtBeginningOf(line_level) and words:
                found.append(Line(tuple(words)))
                words = []
            try:
                text = word.GetUTF8Text(word_level)
            except RuntimeError:  # tesserocr's word without text
                continue
            if text:
                words.append(Word(text, word.Confidence(word_level)))
        if words:
            found.append(Line(tuple(words)))
        api.Clear()
        return found

    def close(self) -> None:
        if self._api is not None:
            self._api.End()
            self._api = None

    def __enter__(self) -> LineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
