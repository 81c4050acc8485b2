"""Periods for `--since` / `--until`: words and dates turned into moments in local time.

Pure: the current moment (and, for tests, the zone) come in as arguments. Days begin at local
midnight, found through the zone's rules, so a day across a daylight-saving change is 23 or 25
hours long. `--until` is exclusive: `--since yesterday --until today` is all of yesterday.

Forms (case-insensitive):
- `today`, `yesterday`: that day's midnight; `now`: this moment.
- `monday` .. `sunday` (or `mon` .. `sun`): midnight of the most recent such day, today included.
- `Nd`: the last N days including today, i.e. midnight N-1 days ago (`1d` = today, `7d` = this
  day and the six before it). `Nw`: the same for 7*N days (`2w` = the last 14 days).
- `YYYY-MM-DD`: that day's midnight; `YYYY-MM-DDTHH:MM[:SS]` (or with a space): that local time;
  with an offset (`+02:00`, `Z`), that moment.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sess.errors import UsageError
from sess.records import NamedTuple

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FORMS_HINT = "Use a date (2026-11-01), today, yesterday, a weekday (monday), 7d (the last 7 days) or 2w."

# Compiled on first use (re caches them), not by every import: `report` without a period never loads re.
_AGO = r"^(\d{1,5})([dw])$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_CLOCK = r"^(\d{1,2}):(\d{2})$"
_MOMENT = r"^\d{4}-\d{2}-\d{2}[ Tt]\d{1,2}:\d{2}"
_PLAIN_MOMENT = r"^(\d{4}-\d{2}-\d{2})[ Tt](\d{1,2}):(\d{2})(?::(\d{2}))?$"  # local, no offset
_DAY_WORD = r"^(\d{4}-\d{2}-\d{2}|today|yesterday|[a-z]{3,9})$"  # a day, not a moment
_DAY_CLOCK = r"^([a-z]+)\s+(\d{1,2}):(\d{2})$"  # yesterday 23:30, mon 9:10
_BACK = r"^(?:(\d{1,5})\s*d)?\s*(?:(\d{1,6})\s*h)?\s*(?:(\d{1,8})\s*m)?\s*(?:(\d{1,9})\s*s)?$"

AT_HINT = ("Use HH:MM (its most recent past moment), 'yesterday HH:MM', 'monday HH:MM', 'YYYY-MM-DD HH:MM', "
           "an ISO 8601 time with offset (2026-11-30T14:02+01:00), or how long ago (20m, 1h 30m, 1d).")


class Period(NamedTuple):
    """[since, until): either end may be open."""

    since: datetime | None
    until: datetime | None

    @property
    def since_epoch(self) -> float | None:
        return self.since.timestamp() if self.since is not None else None

    @property
    def until_epoch(self) -> float | None:
        return self.until.timestamp() if self.until is not None else None


def midnight(day: date, zone: tzinfo | None = None) -> datetime:
    """The first moment of `day` in `zone` (default: the local zone, as TZ sets it)."""
    if zone is None:
        # A naive time's astimezone() asks the C library for the offset in force on that day.
        return datetime.combine(day, time()).astimezone()
    return datetime.combine(day, time(), tzinfo=zone)


def parse_when(text: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """The moment a period word or date stands for; ValueError when it is none of the forms."""
    word = text.strip().lower()
    local_now = now.astimezone(zone) if zone is not None else now.astimezone()
    today = local_now.date()
    if word == "now":
        return local_now
    if word == "today":
        return midnight(today, zone)
    if word == "yesterday":
        return midnight(today - timedelta(days=1), zone)
    for index, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            return midnight(today - timedelta(days=(today.weekday() - index) % 7), zone)
    import re

    ago = re.match(_AGO, word)
    if ago:
        count = int(ago.group(1)) * (7 if ago.group(2) == "w" else 1)
        if count < 1:
            raise ValueError("a period of at least one day is needed")
        try:
            return midnight(today - timedelta(days=count - 1), zone)
        except OverflowError as exc:
            raise ValueError("too far back") from exc
    if re.match(_DATE, word):
        return midnight(date.fromisoformat(word), zone)
    moment = datetime.fromisoformat(text.strip())  # ValueError when it is not ISO 8601 either
    if moment.tzinfo is not None:
        return moment.astimezone(zone) if zone is not None else moment.astimezone()
    if zone is not None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone()


def parse_at(text: str, now: datetime, zone: tzinfo | None = None) -> datetime:
    """The moment an `--at` value names; ValueError when it is none of the forms.

    `HH:MM` is the most recent such moment (after midnight, `23:30` is yesterday's);
    `yesterday HH:MM`, `today HH:MM`, a weekday with `HH:MM` (its most recent past moment);
    `YYYY-MM-DD H:MM` (or with `T`, seconds, an offset) that moment; `20m`, `1h30m`, `1h 30m`,
    `1d` that long before `now`. A local time the clocks skipped (daylight saving) is a
    ValueError saying so; one they went through twice is the first.
    """
    import re

    word = text.strip()
    lower = word.lower()
    local_now = _local(now, zone)
    clock = re.match(_CLOCK, lower)
    if clock:
        moment = _local_moment(local_now.date(), clock.group(1), clock.group(2), zone)
        if moment > local_now:
            moment = _local_moment(local_now.date() - timedelta(days=1), clock.group(1), clock.group(2), zone)
        return moment
    named = re.match(_DAY_CLOCK, lower)
    if named:
        day_word, hours, minutes = named.groups()
        today = local_now.date()
        if day_word in ("today", "yesterday"):
            return _local_moment(today - timedelta(days=day_word == "yesterday"), hours, minutes, zone)
        for index, name in enumerate(WEEKDAYS):
            if day_word in (name, name[:3]):
                day = today - timedelta(days=(today.weekday() - index) % 7)
                moment = _local_moment(day, hours, minutes, zone)
                if moment > local_now:
                    moment = _local_moment(day - timedelta(days=7), hours, minutes, zone)
                return moment
        raise ValueError(f"'{text}' is not a time")
    back = re.match(_BACK, lower)
    if back and any(back.groups()):
        days, hours, minutes, seconds = (int(part or 0) for part in back.groups())
        return local_now - timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    plain = re.match(_PLAIN_MOMENT, word)
    if plain:
        day_text, hours, minutes, secs = plain.groups()
        return _local_moment(date.fromisoformat(day_text), hours, minutes, zone, int(secs or 0))
    if re.match(_MOMENT, word):
        return parse_when(word, now, zone)
    raise ValueError(f"'{text}' is not a time")


class SkippedTime(ValueError):
    """A local time that does not exist: the clocks jumped over it (daylight saving)."""


def _local_moment(day: date, hours: str, minutes: str, zone: tzinfo | None, seconds: int = 0) -> datetime:
    """`day` at that wall-clock time in `zone` (default: local); the first of a repeated hour."""
    naive = datetime.combine(day, time(int(hours), int(minutes), seconds))
    moment = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    # A skipped time comes back as another wall-clock time once through UTC.
    if _local(moment.astimezone(UTC), zone).replace(tzinfo=None) != naive:
        raise SkippedTime(f"{naive:%Y-%m-%d %H:%M} does not exist here: the clocks skipped it (daylight saving)")
    return moment


def parse_at_flag(flag: str, text: str, now: datetime) -> datetime:
    """`parse_at` for a command-line flag: a UsageError naming the flag when it cannot be read."""
    try:
        return parse_at(text, now)
    except SkippedTime as exc:
        raise UsageError(f"{flag}: {exc}", "Pick a moment before or after the hour the clocks skipped.") from None
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"{flag}: cannot read '{text}' as a time", AT_HINT) from None


def show_moment(moment: datetime, now: datetime, zone: tzinfo | None = None) -> str:
    """`14:02` today, else `2026-11-29 14:02` (local time, to the minute)."""
    local = _local(moment, zone)
    if local.date() == _local(now, zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def at_argument(moment: datetime, now: datetime, zone: tzinfo | None = None) -> str:
    """How to write `moment` after `--at` without quotes: `14:02`, else `2026-11-29T14:02`."""
    return show_moment(moment, now, zone).replace(" ", "T")


def parse_period(since: str | None, until: str | None, now: datetime, zone: tzinfo | None = None) -> Period | None:
    """The period `--since`/`--until` describe, None without either; UsageError names a bad flag."""
    if since is None and until is None:
        return None
    bounds: list[datetime | None] = []
    for flag, text in (("--since", since), ("--until", until)):
        if text is None:
            bounds.append(None)
            continue
        try:
            bounds.append(parse_when(text, now, zone))
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"{flag}: cannot read '{text}' as a time", FORMS_HINT) from None
    period = Period(bounds[0], bounds[1])
    import re

    if (period.since is not None and period.since == period.until and _is_midnight(period.since, zone)
            and re.match(_DAY_WORD, str(until).strip().lower())):
        # The same day twice (--since 2026-11-30 --until 2026-11-30): that day.
        period = Period(period.since, midnight(_local(period.since, zone).date() + timedelta(days=1), zone))
    if period.since is not None and period.until is not None and period.since >= period.until:
        raise UsageError("--since must be earlier than --until",
                         "--until is exclusive: --since yesterday --until today is all of yesterday.")
    return period


def describe(period: Period, zone: tzinfo | None = None) -> str:
    """`since 2026-11-01`, `before 2026-11-08`, `2026-11-01 to 2026-11-07`, `on 2026-11-07`."""
    since, until = period.since, period.until
    if since is not None and until is not None and _is_midnight(since, zone) and _is_midnight(until, zone):
        first = _local(since, zone).date()
        last = _local(until, zone).date() - timedelta(days=1)
        return f"on {first.isoformat()}" if first == last else f"{first.isoformat()} to {last.isoformat()}"
    parts = []
    if since is not None:
        parts.append(f"since {_show(since, zone)}")
    if until is not None:
        parts.append(f"before {_show(until, zone)}")
    return ", ".join(parts)


def _local(moment: datetime, zone: tzinfo | None) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def _is_midnight(moment: datetime, zone: tzinfo | None) -> bool:
    return _local(moment, zone).time() == time()


def _show(moment: datetime, zone: tzinfo | None) -> str:
    local = _local(moment, zone)
    if local.time() == time():
        return local.date().isoformat()
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")
