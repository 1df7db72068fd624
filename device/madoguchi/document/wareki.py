"""Japanese era dates (和暦) as printed on a My Number card, to and from the Western calendar.

A Japanese national's birth date is printed in the era of the family register (「平成元年 3月31日生」);
a foreign resident's in the Western calendar (「1985年 3月31日生」). 照合番号B wants the Western
YYMMDD, so the era date is converted, and only a date that exists and lies inside its era is
accepted: 昭和64年 ends on 7 January 1989 and 平成 starts the next day; 平成31年 ends on 30 April
2019 and 令和 starts on 1 May. An era's first year is printed 元年 (or 1年).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Era:
    """An era: its name, the Western year of its first year (元年), its first and last day (None:
    the present era)."""

    name: str
    year_one: int
    first: date
    last: date | None = None


ERAS = (
    # 明治 began in 1868, but Japan kept the lunar calendar until 明治6年 (1873): no Western date
    # exists before that, and nobody alive was born then.
    Era("明治", 1868, date(1873, 1, 1), date(1912, 7, 29)),
    Era("大正", 1912, date(1912, 7, 30), date(1926, 12, 24)),
    Era("昭和", 1926, date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", 1989, date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", 2019, date(2019, 5, 1)),
)
ERA_NAMES = {era.name: era for era in ERAS}

_DATE = re.compile(
    r"(?P<era>明治|大正|昭和|平成|令和)?\s*(?P<year>元|\d{1,4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日"
)


class NotADate(ValueError):
    """Printed text that is not a real date, or not one inside its era. ``problem`` is a code."""

    def __init__(self, message: str, *, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


def to_western(era_name: str, year: int, month: int, day: int) -> date:
    """The Western date of ``era_name`` ``year`` (1 = 元年) ``month`` ``day``; NotADate unless the
    day exists and falls inside the era."""
    era = ERA_NAMES.get(era_name)
    if era is None:
        raise NotADate(f"unknown era {era_name!r}", problem="unknown_era")
    if year < 1:
        raise NotADate(f"{era_name} has no year {year}", problem="outside_era")
    western = era.year_one + year - 1
    try:
        day_ = date(western, month, day)
    except ValueError:
        raise NotADate(f"{era_name}{year}年{month}月{day}日 is not a day", problem="not_a_date") from None
    if day_ < era.first or (era.last is not None and day_ > era.last):
        raise NotADate(f"{era_name}{year}年{month}月{day}日 is outside {era_name}", problem="outside_era")
    return day_


def to_era(day: date) -> tuple[str, int]:
    """The era and its year for the Western ``day`` (the inverse of :func:`to_western`)."""
    for era in reversed(ERAS):
        if day >= era.first:
            return era.name, day.year - era.year_one + 1
    raise NotADate(f"{day} is before {ERAS[0].name}", problem="outside_era")


def parse_printed_date(text: str) -> tuple[date, bool]:
    """The first date in ``text`` (「平成元年 3月31日」 or 「1985年 3月31日」) and whether it was
    printed in an era; NotADate if there is none or it is not a real day of its era."""
    found = _DATE.search("".join(text.split()))  # OCR spaces characters apart: 「令 和 8 年」
    if found is None:
        raise NotADate("no date", problem="not_found")
    year = 1 if found["year"] == "元" else int(found["year"])
    month, day = int(found["month"]), int(found["day"])
    if found["era"] is not None:
        return to_western(found["era"], year, month, day), True
    if found["year"] == "元" or len(found["year"]) != 4:
        raise NotADate("a Western year has four digits", problem="not_a_date")
    try:
        return date(year, month, day), False
    except ValueError:
        raise NotADate(f"{year}年{month}月{day}日 is not a day", problem="not_a_date") from None
