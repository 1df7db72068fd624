"""照合番号B read from a scanned My Number card's front: birth date, expiry year, security code.

The card is found as the largest patch of ink on the page (darker than its surroundings at
100 dpi, closed over the card's blank gaps) and turned so its long side is level; the portrait, the
darkest photo-sized window, then says which way up it lies and pins the layout
(:mod:`madoguchi.document.card_layout`) to the print, whatever the card's outline or its colour
against the scanner lid. In each field's region the line of print nearest the layout's box is cut
out (a line cut by the region's edge, such as the serial number above the security code, is
refused) and read by Tesseract (:mod:`madoguchi.document.ocr`) with only the characters the field
can hold, twice: as scanned and with its lighting levelled (the lamp's glare band); the security
code by both the English and the Japanese model (trained apart, they seldom misread a digit
alike). Every read must agree. A line that a mark (a laminate scratch) runs across is not read.

A code is **sure** only when every field passed all of its checks: all reads agree, every word
holding its digits (or era) has at least ``MIN_CONFIDENCE``, the birth date is a real day inside
its era and not in the future, the expiry year is within the card's 10 years and the expiry day is
the birthday (a Japanese national's card ends on a birthday; a foreign resident's may end with the
residence period, so theirs is not checked against it), and the security code is exactly four
digits. Otherwise it is **unsure**, says which fields and why, and must not be sent: a wrong code
costs the citizen one of the card's tries. Staff confirm a sure code on the LCD before it is sent.

The code is personal data: the digits live in one ``bytearray`` that :meth:`CardCodeRead.wipe`
zeroes (``with`` does it on exit), are never logged and never shown by ``repr``; every crop of the
card is zeroed before :meth:`CardCodeReader.read` returns. Tesseract's own copies and the text it
returns are freed unwiped (:mod:`madoguchi.document.ocr`).

    reader = CardCodeReader()
    with reader.read(page, dpi=300) as read:
        if read.sure:
            ...  # show read.digits for staff to confirm, then send
        else:
            ...  # read.unsure names the fields staff key in; read.digits has "_" there
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import cv2
import numpy as np

from madoguchi.document.card_layout import FIELDS, PHOTO, Box, Field
from madoguchi.document.ocr import Line, LineReader
from madoguchi.document.wareki import NotADate, parse_printed_date
from madoguchi.engine.images import rgb_image
from madoguchi.privacy import TransactionMemory
from madoguchi.units import ID1_MM, MM_PER_INCH

log = logging.getLogger(__name__)

PX_PER_MM = 12.0
"""The upright card is read at this scale (about 305 dpi): its 3 mm lines are ~30 px tall, where
Tesseract reads best, whatever the scan's resolution."""
MARGIN_MM = 3.0
"""The upright card keeps this much of the page around it, for regions reaching past its edge."""
MIN_DPI, MAX_DPI = 100, 1200
"""Scans read: below 100 dpi the 3 mm lines are under 12 px tall."""
PATCH_DPI = 100
"""The card's print is found on a copy of the page at this resolution (small type still shows)."""
INK_WINDOW_MM = 3.0
INK_LEVEL = 10
"""Ink is a pixel this many levels darker than the mean of the INK_WINDOW_MM around it."""
CLOSE_MM = 8.0
"""Print closer than this is one patch: joins a card's lines, its photo and its serial."""
PRINT_LENGTH_MM = (60.0, 100.0)
"""A card's print spans ~79 mm of its 85.6 mm; other patches are not a card front."""
INK_GREY = 128
"""In the levelled crop, print is darker than this."""
INK_ROW_PX = 3
"""A row with this many inked pixels is part of a line of print (a scratch crosses a row in 1-2)."""
LINE_MARGIN_MM = 0.5
"""A line cut out keeps this much above and below it and gets as much blank paper around it
(Tesseract misses print touching the image's edge); its region's leftmost 0.5 mm must hold no ink."""
MIN_CONFIDENCE = 80.0
"""The lowest confidence (0-100) a word holding the field's digits (or era) may have, in either
read, for the field to be sure."""
LEVEL_SIGMA_MM = 4.0
"""The levelled read divides the print by its own blur at this scale: glare and tint go, strokes
(under 1 mm wide) stay."""
MAX_AGE = 120
CARD_YEARS = 10
"""A card runs to the 10th birthday after issue (the 5th for a minor issued under 18)."""
MINOR_CARD_YEARS = 5
ADULT_AGE = 18

ERA_CHARACTERS = "元明治大正昭和平成令"
DATE_ALPHABET = "0123456789年月日生 " + ERA_CHARACTERS
EXPIRY_ALPHABET = "0123456789年月日まで有効 "
DIGITS = "0123456789"
KEY_B_GROUPS = (("birth_date", 6), ("expiry", 4), ("security_code", 4))
"""The fields of 照合番号B in order, and their digits."""
BLANK = ord("_")


@dataclass(frozen=True)
class FieldRead:
    """How one field of 照合番号B was read: ``problem`` is None when it passed every check, else a
    code (``card_not_found``, ``not_found``, ``crossed``, ``ambiguous``, ``reads_disagree``,
    ``low_confidence``, ``not_a_date``, ``outside_era``, ``in_future``, ``implausible``,
    ``dates_disagree``); ``confidence`` is the lowest confidence of a word holding its digits (0
    when nothing was read)."""

    name: str
    problem: str | None
    confidence: float

    @property
    def passed(self) -> bool:
        return self.problem is None


class CardCodeRead:
    """The outcome of one read: each field's verdict and the 14 digits, ``_`` where a field is
    unsure. Wipe it (or use ``with``) once the code has been sent or refused."""

    def __init__(self, fields: tuple[FieldRead, ...], digits: bytearray) -> None:
        self.fields = fields
        self.digits = digits
        """照合番号B as 14 ASCII digits (birth YYMMDD, expiry YYYY, security code), ``_`` in every
        field that is not sure."""

    @property
    def sure(self) -> bool:
        """Every field passed: the code may be shown to staff to confirm and send."""
        return all(field.passed for field in self.fields)

    @property
    def unsure(self) -> tuple[str, ...]:
        """The fields that did not pass, for staff to key in."""
        return tuple(field.name for field in self.fields if not field.passed)

    def wipe(self) -> None:
        self.digits[:] = bytes(len(self.digits))

    def __enter__(self) -> CardCodeRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __repr__(self) -> str:  # never the digits
        verdicts = ", ".join(f"{f.name}={f.problem or 'ok'} ({f.confidence:.0f})" for f in self.fields)
        return f"CardCodeRead({'sure' if self.sure else 'unsure'}: {verdicts})"


@dataclass(frozen=True)
class _Value:
    """A field's value (digits for 照合番号B, and the date where there is one), or why there is none."""

    digits: str = ""
    day: date | None = None
    national: bool = False
    problem: str | None = None
    confidence: float = 0.0


class CardCodeReader:
    """Reads 照合番号B from scanned My Number card fronts; holds two Tesseract engines (jpn for the
    dates, eng for the security code), so make one and keep it.

    :param datapath: Tesseract's tessdata directory; None: libtesseract's own.
    :param today: the local date, for the checks against the present.

    Raises OcrUnavailable when Tesseract or its jpn/eng data is missing.
    """

    def __init__(self, *, datapath: str | None = None, today: Callable[[], date] = date.today) -> None:
        self.today = today
        self._dates = LineReader("jpn", datapath=datapath)
        try:
            self._digits = LineReader("eng", datapath=datapath)
        except BaseException:
            self._dates.close()
            raise

    def close(self) -> None:
        self._dates.close()
        self._digits.close()

    def __enter__(self) -> CardCodeReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, page_rgb: np.ndarray, *, dpi: int) -> CardCodeRead:
        """照合番号B from the card front on ``page_rgb`` (a scan at ``dpi``, RGB or grey uint8);
        whatever the page shows, an unsure read rather than an error (``card_not_found`` for a
        page without a card). UnreadableImage only for what is no image at all."""
        page = rgb_image(page_rgb, what="page")
        today = self.today()
        with TransactionMemory() as held:
            if page is not page_rgb:
                held.keep(page)
            card = _upright_card(page, dpi, held)
            if card is None:
                log.info("card code: no card front found on the page")
                return _unsure_everywhere("card_not_found")
            return self._read_card(card, today, held)

    def _read_card(self, card: np.ndarray, today: date, held: TransactionMemory) -> CardCodeRead:
        birth = self._field(card, "birth_date", held, (self._dates,), DATE_ALPHABET, _birth_date)
        expiry = self._field(card, "expiry", held, (self._dates,), EXPIRY_ALPHABET, _expiry)
        # digits alone: both models, trained apart, must read the same four
        both = (self._digits, self._dates)
        code = self._field(card, "security_code", held, both, DIGITS, _security_code)
        birth, expiry = _checked_dates(birth, expiry, today)
        values = {"birth_date": birth, "expiry": expiry, "security_code": code}
        digits = bytearray()
        fields = []
        for name, length in KEY_B_GROUPS:
            value = values[name]
            fields.append(FieldRead(name, value.problem, value.confidence))
            digits += value.digits.encode() if value.problem is None else bytes([BLANK]) * length
        return CardCodeRead(tuple(fields), digits)

    def _field(
        self,
        card: np.ndarray,
        name: str,
        held: TransactionMemory,
        readers: tuple[LineReader, ...],
        alphabet: str,
        parse: Callable[[list[Line]], _Value],
    ) -> _Value:
        """``name`` read by each of ``readers`` in each view of its line (:func:`_views`), cut out
        of its region (:func:`_own_line`, which leaves out neighbouring print); a value only if
        every read gives it."""
        field = FIELDS[name]
        found, problem = _own_line(held.keep(_crop(card, field.region)), field, held)
        if found is None:
            return _Value(problem=problem)
        values = [
            parse(reader.lines(view, alphabet=alphabet, ppi=round(PX_PER_MM * MM_PER_INCH)))
            for view in _views(held.keep(found), held)
            for reader in readers
        ]
        failed = [value for value in values if value.problem is not None]
        if failed:
            return failed[0]
        confidence = min(value.confidence for value in values)
        if len({(value.digits, value.day) for value in values}) > 1:
            return _Value(problem="reads_disagree", confidence=confidence)
        if confidence < MIN_CONFIDENCE:
            return _Value(problem="low_confidence", confidence=confidence)
        first = values[0]
        return _Value(first.digits, first.day, first.national, None, confidence)


def _unsure_everywhere(problem: str) -> CardCodeRead:
    fields = tuple(FieldRead(name, problem, 0.0) for name, _ in KEY_B_GROUPS)
    return CardCodeRead(fields, bytearray(b"_" * sum(length for _, length in KEY_B_GROUPS)))


def _upright_card(page: np.ndarray, dpi: int, held: TransactionMemory) -> np.ndarray | None:
    """The card front (grey, PX_PER_MM, MARGIN_MM around it) upright with its print where the
    layout has it; None when the page holds nothing card-sized."""
    if not MIN_DPI <= dpi <= MAX_DPI:
        return None
    found = _print_patch(page, dpi, held)
    if found is None:
        return None
    center, angle = found
    card = held.keep(_upright(page, center, angle, dpi))
    x, y = _photo_at(card)
    photo_x, photo_y = (PHOTO.x0 + MARGIN_MM) * PX_PER_MM, (PHOTO.y0 + MARGIN_MM) * PX_PER_MM
    if x + (PHOTO.x1 - PHOTO.x0) * PX_PER_MM / 2 < card.shape[1] / 2:  # the portrait on the left
        angle += 180.0
        card = held.keep(_upright(page, center, angle, dpi))
        x, y = _photo_at(card)
    # move the centre by the portrait's offset from the layout's, in page pixels
    scale = PX_PER_MM * MM_PER_INCH / dpi
    turn = np.deg2rad(angle)
    dx, dy = (x - photo_x) / scale, (y - photo_y) / scale
    center = (
        center[0] + dx * np.cos(turn) - dy * np.sin(turn),
        center[1] + dx * np.sin(turn) + dy * np.cos(turn),
    )
    return held.keep(_upright(page, center, angle, dpi))


def _print_patch(
    page: np.ndarray, dpi: int, held: TransactionMemory
) -> tuple[tuple[float, float], float] | None:
    """The centre (page pixels) and turn (degrees, counter-clockwise, long side level) of the
    largest card-sized patch of print on the page, or None. Print is what is darker than its
    surroundings at PATCH_DPI (thin strokes of small type included), closed over CLOSE_MM."""
    scale = PATCH_DPI / dpi
    grey = held.keep(cv2.cvtColor(page, cv2.COLOR_RGB2GRAY))
    small = held.keep(cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    window = round(INK_WINDOW_MM / MM_PER_INCH * PATCH_DPI) | 1
    ink = cv2.adaptiveThreshold(
        small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, window, INK_LEVEL
    )
    k = round(CLOSE_MM / MM_PER_INCH * PATCH_DPI) | 1
    blobs = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    (cx, cy), (w, h), a = cv2.minAreaRect(max(contours, key=cv2.contourArea))
    long_mm = max(w, h) / PATCH_DPI * MM_PER_INCH
    if not PRINT_LENGTH_MM[0] <= long_mm <= PRINT_LENGTH_MM[1]:
        return None
    angle = a if w >= h else a + 90.0  # the long side's direction, clockwise on the page
    angle = (angle + 90.0) % 180.0 - 90.0
    return (cx / scale, cy / scale), angle


def _photo_at(card: np.ndarray) -> tuple[int, int]:
    """The top left corner (pixels) of the darkest photo-sized window of the upright card."""
    w, h = round((PHOTO.x1 - PHOTO.x0) * PX_PER_MM), round((PHOTO.y1 - PHOTO.y0) * PX_PER_MM)
    ink = cv2.boxFilter(
        255.0 - card.astype(np.float32), -1, (w, h), anchor=(0, 0), borderType=cv2.BORDER_CONSTANT
    )
    ink = ink[: card.shape[0] - h + 1, : card.shape[1] - w + 1]
    y, x = np.unravel_index(int(np.argmax(ink)), ink.shape)
    return int(x), int(y)


def _upright(page: np.ndarray, center: tuple[float, float], angle: float, dpi: int) -> np.ndarray:
    """The grey card around ``center``, turned ``angle`` degrees counter-clockwise, at PX_PER_MM."""
    scale = PX_PER_MM * MM_PER_INCH / dpi
    size = (round((ID1_MM[0] + 2 * MARGIN_MM) * PX_PER_MM), round((ID1_MM[1] + 2 * MARGIN_MM) * PX_PER_MM))
    m = cv2.getRotationMatrix2D(center, angle, scale)
    m[:, 2] += (size[0] / 2 - center[0], size[1] / 2 - center[1])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    turned = cv2.warpAffine(page, m, size, flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    grey = cv2.cvtColor(turned, cv2.COLOR_RGB2GRAY)
    turned[:] = 0
    return grey


def _pixels(box: Box) -> tuple[int, int, int, int]:
    return tuple(round((v + MARGIN_MM) * PX_PER_MM) for v in (box.x0, box.y0, box.x1, box.y1))  # type: ignore[return-value]


def _crop(card: np.ndarray, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = _pixels(box)
    h, w = card.shape[:2]
    return card[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)].copy()


def _own_line(crop: np.ndarray, field: Field, held: TransactionMemory) -> tuple[np.ndarray | None, str]:
    """The band of ``crop`` (``field``'s region) holding the line of print nearest where the layout
    has the field, with blank paper around it; or None and why: ``not_found`` (no such line, or
    its ink reaches the region's left edge: print cut by the region, such as the serial number
    above the security code, is not the field) or ``crossed`` (a mark runs from the line out of
    it: a laminate scratch across 「13」 reads as a confident 「18」, so such a line is not read)."""
    ink = held.keep((_levelled(crop) < INK_GREY).astype(np.uint8))
    rows = ink.sum(axis=1) >= INK_ROW_PX
    bands, start = [], None
    for y, inked in enumerate([*rows, False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            bands.append((start, y))
            start = None
    low, high = 0.5 * field.text_mm * PX_PER_MM, 2.0 * field.text_mm * PX_PER_MM
    bands = [(y0, y1) for y0, y1 in bands if low <= y1 - y0 <= high]
    if not bands:
        return None, "not_found"
    region = field.region
    expected = ((field.box.y0 + field.box.y1) / 2 - region.y0) * PX_PER_MM
    y0, y1 = min(bands, key=lambda band: abs((band[0] + band[1]) / 2 - expected))
    margin = round(LINE_MARGIN_MM * PX_PER_MM)
    y0, y1 = max(0, y0 - margin), min(crop.shape[0], y1 + margin)
    if ink[y0:y1, :margin].any():
        return None, "not_found"
    _, labels = cv2.connectedComponents(ink, connectivity=8)
    held.keep(labels)
    inside = set(np.unique(labels[y0:y1])) - {0}
    if inside & (set(np.unique(labels[:y0])) | set(np.unique(labels[y1:]))):
        return None, "crossed"
    band = crop[y0:y1]
    paper = int(np.percentile(band, 95))
    return cv2.copyMakeBorder(band, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=paper), ""


def _views(line: np.ndarray, held: TransactionMemory) -> tuple[np.ndarray, ...]:
    """The line as scanned, and with its lighting levelled (:func:`_levelled`)."""
    return line, held.keep(_levelled(line))


def _levelled(crop: np.ndarray) -> np.ndarray:
    """The crop divided by its lighting (a wide blur of its brightest neighbourhood), stretched:
    a glare band or tint gradient goes, print stays dark."""
    sigma = LEVEL_SIGMA_MM * PX_PER_MM
    light = cv2.dilate(crop, np.ones((7, 7), np.uint8))
    light = cv2.GaussianBlur(light.astype(np.float32), (0, 0), sigma) + 1.0
    flat = crop.astype(np.float32) / light
    low, high = np.percentile(flat, (1, 99))
    return np.clip((flat - low) / max(high - low, 1e-3) * 255, 0, 255).astype(np.uint8)


def _lines_with(lines: list[Line], parse: Callable[[str], _Value], judged: str) -> _Value:
    """The one value the lines hold (parse gives each line's), or why there is not exactly one; its
    confidence is the lowest of the line's words holding a character of ``judged``."""
    found = [(line, parse(line.text)) for line in lines]
    good = [(line, value) for line, value in found if value.problem is None]
    distinct = {(value.digits, value.day) for _, value in good}
    if len(distinct) > 1:
        return _Value(problem="ambiguous")
    if good:
        line, value = good[0]
        return _Value(value.digits, value.day, value.national, None, line.confidence(of=judged))
    problems = [value.problem for _, value in found if value.problem != "not_found"]
    return _Value(problem=problems[0] if problems else "not_found")


def _birth_date(lines: list[Line]) -> _Value:
    def parse(text: str) -> _Value:
        try:
            day, national = parse_printed_date(text)
        except NotADate as error:
            return _Value(problem=error.problem)
        return _Value(f"{day:%y%m%d}", day, national)

    return _lines_with(lines, parse, DIGITS + ERA_CHARACTERS)


def _expiry(lines: list[Line]) -> _Value:
    def parse(text: str) -> _Value:
        try:
            day, national = parse_printed_date(text)
        except NotADate as error:
            return _Value(problem=error.problem)
        if national:  # the expiry is always printed in the Western calendar
            return _Value(problem="not_a_date")
        return _Value(f"{day.year:04d}", day)

    return _lines_with(lines, parse, DIGITS)


_FOUR_DIGITS = re.compile(r"\d{4}")


def _security_code(lines: list[Line]) -> _Value:
    def parse(text: str) -> _Value:
        compact = text.replace(" ", "")
        return _Value(compact) if _FOUR_DIGITS.fullmatch(compact) else _Value(problem="not_found")

    return _lines_with(lines, parse, DIGITS)


def _birthday_in(birth: date, year: int) -> tuple[date, ...]:
    """The day(s) a card expiring in ``year`` on the holder's birthday may print."""
    try:
        return (birth.replace(year=year),)
    except ValueError:  # born on 29 February, a common year: either side of the missing day
        return (date(year, 2, 28), date(year, 3, 1))


def birth_problem(birth: date, today: date) -> str | None:
    """Why ``birth`` cannot be a card holder's birth date on ``today``, or None."""
    if birth > today:
        return "in_future"
    if today.year - birth.year > MAX_AGE:
        return "implausible"
    return None


def expiry_problem(expiry: date, today: date) -> str | None:
    """Why ``expiry`` cannot be a card's expiry on ``today`` (a card runs at most CARD_YEARS
    from its issue, which is not after today), or None."""
    return None if today.year <= expiry.year <= today.year + CARD_YEARS else "implausible"


def dates_agree(birth: date, expiry: date, *, national: bool, today: date) -> bool:
    """Whether a card expiring on ``expiry`` fits a holder born on ``birth``: at least
    MINOR_CARD_YEARS after birth; more than that after today only if the holder is an adult (the
    card was issued on or before today); and for a Japanese national (``national``: the birth date
    printed in an era), on a birthday."""
    age_today = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    agree = expiry.year - birth.year >= MINOR_CARD_YEARS and (
        expiry.year - today.year <= MINOR_CARD_YEARS or age_today >= ADULT_AGE
    )
    return agree and (not national or expiry in _birthday_in(birth, expiry.year))


def _checked_dates(birth: _Value, expiry: _Value, today: date) -> tuple[_Value, _Value]:
    """The checks on the dates against today and each other; a failed one marks the field(s)."""
    if birth.day is not None and (problem := birth_problem(birth.day, today)):
        birth = _Value(problem=problem, confidence=birth.confidence)
    if expiry.day is not None and (problem := expiry_problem(expiry.day, today)):
        expiry = _Value(problem=problem, confidence=expiry.confidence)
    if birth.problem is not None or expiry.problem is not None or birth.day is None or expiry.day is None:
        return birth, expiry
    if not dates_agree(birth.day, expiry.day, national=birth.national, today=today):
        lowest = min(birth.confidence, expiry.confidence)
        return _Value(problem="dates_disagree", confidence=lowest), _Value(
            problem="dates_disagree", confidence=lowest
        )
    return birth, expiry
