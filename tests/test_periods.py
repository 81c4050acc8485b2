"""Period words and dates for --since/--until: pure, with the zone passed in."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sess.errors import UsageError
from sess.periods import Period, describe, midnight, parse_period, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 2026-11-18, 15:30 in Berlin (CET, +01:00).
NOW = datetime(2026, 11, 18, 15, 30, tzinfo=BERLIN)


def at(day: str, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=zone)


@pytest.mark.parametrize(("word", "day"), [
    ("today", "2026-11-18"),
    ("TODAY", "2026-11-18"),
    ("yesterday", "2026-11-17"),
    ("wednesday", "2026-11-18"),  # the most recent such day, today included
    ("wed", "2026-11-18"),
    ("monday", "2026-11-16"),
    ("tuesday", "2026-11-17"),
    ("thursday", "2026-11-12"),
    ("sunday", "2026-11-15"),
    ("1d", "2026-11-18"),  # the last N days including today
    ("7d", "2026-11-12"),
    ("1w", "2026-11-12"),
    ("2w", "2026-11-05"),
    ("2026-11-01", "2026-11-01"),
])
def test_words_and_dates_are_local_midnights(word: str, day: str) -> None:
    moment = parse_when(word, NOW, BERLIN)
    assert moment == at(day)
    assert moment.timestamp() == at(day).timestamp()


def test_seven_days_is_seven_calendar_days_including_today() -> None:
    since = parse_when("7d", NOW, BERLIN)
    tomorrow = midnight(NOW.date() + timedelta(days=1), BERLIN)
    assert (tomorrow.date() - since.date()).days == 7


def test_times_and_offsets() -> None:
    assert parse_when("2026-11-01T14:30", NOW, BERLIN) == datetime(2026, 11, 1, 14, 30, tzinfo=BERLIN)
    assert parse_when("2026-11-01 14:30:15", NOW, BERLIN) == datetime(2026, 11, 1, 14, 30, 15, tzinfo=BERLIN)
    utc = parse_when("2026-11-01T10:00:00+00:00", NOW, BERLIN)
    assert utc.timestamp() == datetime(2026, 11, 1, 10, tzinfo=UTC).timestamp()
    assert parse_when("now", NOW, BERLIN).timestamp() == NOW.timestamp()


def test_midnight_follows_daylight_saving() -> None:
    # 2026-10-25: Berlin falls back from CEST (+02:00) to CET (+01:00); the day lasts 25 hours.
    start, end = midnight(date(2026, 10, 25), BERLIN), midnight(date(2026, 10, 26), BERLIN)
    assert start.utcoffset() == timedelta(hours=2) and end.utcoffset() == timedelta(hours=1)
    assert end.timestamp() - start.timestamp() == 25 * 3600
    # 2026-03-29: springs forward; 23 hours.
    spring = midnight(date(2026, 3, 29), BERLIN), midnight(date(2026, 3, 30), BERLIN)
    assert spring[1].timestamp() - spring[0].timestamp() == 23 * 3600
    # Seven days back across the change is still seven midnights back, not 7 * 24 hours.
    after = datetime(2026, 10, 28, 9, 0, tzinfo=BERLIN)
    assert parse_when("7d", after, BERLIN) == at("2026-10-22")
    assert after.timestamp() - parse_when("7d", after, BERLIN).timestamp() == (6 * 24 + 1 + 9) * 3600


def test_period_from_flags() -> None:
    assert parse_period(None, None, NOW, BERLIN) is None
    period = parse_period("yesterday", "today", NOW, BERLIN)
    assert period == Period(at("2026-11-17"), at("2026-11-18"))
    assert period is not None and period.since_epoch == at("2026-11-17").timestamp()
    assert parse_period(None, "monday", NOW, BERLIN) == Period(None, at("2026-11-16"))


@pytest.mark.parametrize(("since", "until", "flag"), [
    ("someday", None, "--since"),
    (None, "2026-13-01", "--until"),
    ("0d", None, "--since"),
    ("999999w", None, "--since"),
    ("", None, "--since"),
    ("today", "yesterday", "--since must be earlier"),
    ("now", "now", "--since must be earlier"),  # the same moment; the same day twice is that day
])
def test_bad_values_are_usage_errors_naming_the_flag(since: str | None, until: str | None, flag: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_period(since, until, NOW, BERLIN)
    assert flag in caught.value.message
    assert caught.value.exit_code == 2


def test_describe() -> None:
    assert describe(Period(at("2026-11-01"), None), BERLIN) == "since 2026-11-01"
    assert describe(Period(None, at("2026-11-08")), BERLIN) == "before 2026-11-08"
    assert describe(Period(at("2026-11-01"), at("2026-11-08")), BERLIN) == "2026-11-01 to 2026-11-07"
    assert describe(Period(at("2026-11-17"), at("2026-11-18")), BERLIN) == "on 2026-11-17"
    afternoon = datetime(2026, 11, 1, 14, 30, tzinfo=BERLIN)
    assert describe(Period(afternoon, at("2026-11-08")), BERLIN) == "since 2026-11-01 14:30, before 2026-11-08"
