"""Stretches of worked time (epoch seconds) cut by local day and by weekday and hour.

Pure: the stretches come in, sums go out. Days begin at local midnight through the zone's rules
(sess.periods.midnight), so a day across a daylight-saving change is 23 or 25 hours long; a
stretch across midnight counts on both days, one across the hour in both hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from sess.periods import midnight

Stretch = tuple[float, float]  # start, end: epoch seconds, end > start


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def local(epoch: float, zone: tzinfo | None = None) -> datetime:
    return datetime.fromtimestamp(epoch, zone) if zone is not None else datetime.fromtimestamp(epoch).astimezone()


def by_day(stretches: Iterable[Stretch], days: list[date], zone: tzinfo | None = None) -> list[float]:
    """Seconds worked on each of `days` (consecutive local days), in their order."""
    if not days:
        return []
    index = {day: position for position, day in enumerate(days)}
    totals = [0.0] * len(days)
    for start, end in stretches:
        moment = start
        while moment < end:
            day = local(moment, zone).date()
            next_midnight = midnight(day + timedelta(days=1), zone).timestamp()
            upto = min(end, next_midnight)
            if day in index:
                totals[index[day]] += upto - moment
            moment = upto
    return totals


def week_by_hour(stretches: Iterable[Stretch], zone: tzinfo | None = None) -> list[list[float]]:
    """Seconds worked in each hour of each weekday: [Monday..Sunday][0..23]."""
    grid = [[0.0] * 24 for _ in range(7)]
    for start, end in stretches:
        moment = start
        while moment < end:
            when = local(moment, zone)
            into_hour = when.minute * 60 + when.second + when.microsecond / 1e6
            upto = min(end, moment + 3600 - into_hour)
            grid[when.weekday()][when.hour] += upto - moment
            moment = upto
    return grid
