"""Timestamps as the database holds them.

sess writes `YYYY-MM-DD HH:MM:SS.ffffff+HH:MM` (local time with its offset). Databases written
by the Go tool also hold Go's `time.Time.String()` form, `2026-04-02 10:15:30.123456789 +0200
CEST m=+0.004211870`, and RFC 3339 (`2026-04-02T10:15:30Z`); all of them parse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

# Compiled on first use (re caches it): sess status mostly reads its own form, which needs no regex.
_FORM = r"""^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?  # date, time, fraction
    \s*(Z|[+-]\d{2}(?::?\d{2})?)?                                          # offset
    (?:\s+(?!m=)\S+)?                                                       # zone abbreviation
    (?:\s+m=[+-]\d+(?:\.\d+)?)?\s*$                                         # Go's monotonic reading
    """


def now() -> datetime:
    return datetime.now().astimezone()


def format_db(moment: datetime) -> str:
    return moment.astimezone().isoformat(sep=" ", timespec="microseconds")


def parse_db(text: str | None) -> datetime | None:
    """Parse any stored form; None for NULL or empty. Naive values are taken as UTC."""
    if text is None:
        return None
    if isinstance(text, (int, float)):  # a Unix timestamp, as some SQLite tools store
        return datetime.fromtimestamp(text, UTC)
    text = str(text)
    if not text.strip():
        return None
    if len(text) == 32 and text[10] == " " and text[19] == "." and text[26] in "+-":
        try:  # the form sess writes (format_db), read without a regular expression
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    import re

    match = re.match(_FORM, text, re.VERBOSE)
    if match is None:
        raise ValueError(f"unrecognised timestamp {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
                    tzinfo=_zone(offset))


def _zone(offset: str | None) -> timezone:
    if offset is None or offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def epoch(text: str | None) -> float | None:
    """Seconds since the epoch for a stored timestamp (a SQLite function during migrations)."""
    try:
        moment = parse_db(text)
    except ValueError:
        return None
    return moment.timestamp() if moment is not None else None


_DURATION = r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$"  # compiled on first use


def parse_duration(text: str) -> int:
    """Seconds in a compact duration (`30s`, `90m`, `1h30m`, `2h`); ValueError for anything else."""
    import re

    match = re.match(_DURATION, text.strip().lower())
    if not match or not any(match.groups()):
        raise ValueError(f"'{text}' is not a duration such as 30s, 90m, 1h30m or 2h")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
