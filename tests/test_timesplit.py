"""Worked time cut by local day and by weekday-hour, across midnight and daylight-saving changes."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sess.timesplit import by_day, days_between, week_by_hour

BERLIN = ZoneInfo("Europe/Berlin")


def epoch(*parts: int) -> float:
    return datetime(*parts, tzinfo=BERLIN).timestamp()


def test_a_stretch_across_midnight_counts_on_both_days() -> None:
    days = days_between(date(2026, 3, 1), date(2026, 3, 3))
    assert by_day([(epoch(2026, 3, 1, 23), epoch(2026, 3, 2, 1, 30))], days, BERLIN) == [3600.0, 5400.0, 0.0]


def test_days_outside_the_list_are_left_out() -> None:
    days = [date(2026, 3, 2)]
    assert by_day([(epoch(2026, 3, 1, 22), epoch(2026, 3, 3, 2))], days, BERLIN) == [86400.0]


def test_the_day_clocks_go_forward_has_23_hours() -> None:
    day = date(2026, 3, 29)  # Europe/Berlin: 02:00 becomes 03:00
    whole = (epoch(2026, 3, 29, 0), epoch(2026, 3, 30, 0))
    assert by_day([whole], [day], BERLIN) == [23 * 3600.0]


def test_week_by_hour_splits_at_the_hour() -> None:
    grid = week_by_hour([(epoch(2026, 11, 30, 9, 30), epoch(2026, 11, 30, 11, 15))], BERLIN)  # a Monday
    assert grid[0][9] == 1800 and grid[0][10] == 3600 and grid[0][11] == 900
    assert sum(map(sum, grid)) == 6300
