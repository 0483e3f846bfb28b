"""Report periods: half-open [start, end) date ranges in the portal's time zone (METRICS.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # exclusive
    label: str

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def key(self) -> str:
        return self.label


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    return Period(start, end, f"{start:%Y-%m}")


def quarter(year: int, number: int) -> Period:
    start = date(year, 3 * (number - 1) + 1, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return Period(start, end, f"{year}-Q{number}")


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def previous(period: Period) -> Period:
    """The period of the same kind just before (month or quarter)."""
    if "-Q" in period.label:
        return quarter_of(period.start - timedelta(days=1))
    return month_of(period.start - timedelta(days=1))


def last_quarters(today: date, count: int) -> list[Period]:
    """The `count` quarters ending with the one containing today, oldest first."""
    periods = [quarter_of(today)]
    while len(periods) < count:
        periods.insert(0, previous(periods[0]))
    return periods


def last_months(today: date, count: int) -> list[Period]:
    periods = [month_of(today)]
    while len(periods) < count:
        periods.insert(0, previous(periods[0]))
    return periods


FIRST_YEAR, LAST_YEAR = 1900, 2200
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse(text: str) -> Period:
    """'2026-Q3' or '2026-07'; ValueError with a readable message otherwise."""
    text = (text or "").strip()
    match = _QUARTER.match(text) or _MONTH.match(text)
    if match and not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise ValueError(f"{text!r} is out of range: choose a year from {FIRST_YEAR} to {LAST_YEAR}.")
    if match := _QUARTER.match(text):
        return quarter(int(match[1]), int(match[2]))
    if (match := _MONTH.match(text)) and 1 <= int(match[2]) <= 12:
        return month(int(match[1]), int(match[2]))
    raise ValueError(f"{text!r} is not a period: use a quarter like 2026-Q3 or a month like 2026-07.")
