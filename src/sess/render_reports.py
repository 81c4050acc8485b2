"""History, stats and report as text (STYLE.md) and as JSON (SPEC.md's shapes, plus a few keys)."""

from __future__ import annotations

from datetime import date, datetime

from sess import colour
from sess.periods import Period
from sess.render import (
    DOT,
    branch_label,
    duration,
    iso,
    issue_ref,
    plural,
    relative,
    safe,
    session_json,
    session_state_word,
)
from sess.store.reports import Entry, ProjectTotal, Totals

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

# --- JSON ---------------------------------------------------------------------------------------


def period_json(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {"since": iso(period.since), "until": iso(period.until)}


def entry_json(entry: Entry, now: datetime, period: Period | None) -> dict[str, Any]:
    document = session_json(entry.session, entry.project, now)
    if period is not None:
        # Inside a period, elapsed_seconds is the time inside it; the whole session's beside it.
        document["elapsed_seconds"] = int(entry.elapsed_s)
        document["full_elapsed_seconds"] = int(entry.full_elapsed_s)
    return document


def stats_json(totals: Totals, scope_all: bool, now: datetime, period: Period | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "scope": "all" if scope_all else "project",
        "total_sessions": totals.sessions,
        "total_elapsed_seconds": int(totals.elapsed_s),
        "average_elapsed_seconds": int(totals.elapsed_s / totals.sessions) if totals.sessions else 0,
        "longest": entry_json(totals.longest, now, period) if totals.longest else None,
        "by_state": {"active": totals.active, "paused": totals.paused, "ended": totals.ended},
        # How the ended sessions ended: handed off ("ended") or given up ("cancelled").
        "by_outcome": {"ended": totals.ended - totals.cancelled, "cancelled": totals.cancelled},
        "with_pr": totals.with_pr,
        "first_started_at": iso(totals.first_start),
        "last_started_at": iso(totals.last_start),
        "period": period_json(period),
    }
    if scope_all:
        document["by_project"] = [project_total_json(row) for row in totals.by_project]
    return document


def project_total_json(row: ProjectTotal) -> dict[str, Any]:
    return {"name": row.project.name, "path": row.project.path, "sessions": row.sessions,
            "elapsed_seconds": int(row.elapsed_s),
            "by_state": {"active": row.active, "paused": row.paused, "ended": row.ended},
            "by_outcome": {"ended": row.ended - row.cancelled, "cancelled": row.cancelled},
            "with_pr": row.with_pr}


# --- text ---------------------------------------------------------------------------------------


def heading(text: str, period_text: str | None) -> str:
    return text + (DOT + period_text if period_text else "")


def entry_lines(entry: Entry, now: datetime, show_project: bool, period: Period | None) -> list[str]:
    """`[3] feature/x (feature) · ended · 45m12s · #12 · PR #7`, then `  project · title · yesterday`
    (the id is what `log --session` and `amend --session` take)."""
    session = entry.session
    elapsed = duration(entry.elapsed_s)
    if period is not None and int(entry.full_elapsed_s) - int(entry.elapsed_s) >= 1:
        elapsed += f" of {duration(entry.full_elapsed_s)}"
    parts = [f"[{session.id}] {branch_label(session.branch, session.branch_type)}", session_state_word(session),
             elapsed]
    if session.issue_id:
        parts.append(issue_ref(session))
    if session.pr_number:
        parts.append(f"PR #{session.pr_number}")
    elif session.pr_url:
        parts.append("PR")
    detail = [entry.project.name] if show_project else []
    if session.issue_title:
        detail.append(safe(session.issue_title))
    detail.append(relative(session.start_time, now))
    return [DOT.join(parts), "  " + DOT.join(detail)]


def entries_lines(entries: list[Entry], now: datetime, show_project: bool, period: Period | None) -> list[str]:
    lines: list[str] = []
    for entry in entries:
        lines.extend(entry_lines(entry, now, show_project, period))
    return lines


def count_note(shown: int, total: int) -> str:
    return f"({shown})" if shown >= total else f"({shown} of {total})"


def totals_lines(totals: Totals, now: datetime, show_project: bool) -> list[str]:
    """The three lines under a stats heading; `No sessions` when there are none."""
    if not totals.sessions:
        return ["No sessions"]
    counts = [plural(totals.sessions, "session"), f"{totals.active} active", f"{totals.paused} paused",
              f"{totals.ended - totals.cancelled} ended"]
    if totals.cancelled:
        counts.append(f"{totals.cancelled} cancelled")
    lines = [DOT.join([*counts, f"{totals.with_pr} with PR"])]
    time_parts = [f"Total {duration(totals.elapsed_s)}", f"average {duration(totals.elapsed_s / totals.sessions)}"]
    if totals.longest is not None:
        longest = totals.longest
        where = f" in {longest.project.name}" if show_project else ""
        time_parts.append(f"longest {duration(longest.elapsed_s)} ({longest.session.branch}{where})")
    lines.append(DOT.join(time_parts))
    first, last = relative(totals.first_start, now), relative(totals.last_start, now)
    lines.append(f"First started {first}{DOT}last started {last}")
    return lines


def by_project_lines(totals: Totals, top: int) -> list[str]:
    """`By project`, then the projects that took most time: name, time, share, sessions."""
    rows = [row for row in totals.by_project if row.sessions][:top]
    if not rows:
        return []
    width = max(len(row.project.name) for row in rows)
    times = [duration(row.elapsed_s) for row in rows]
    time_width = max(len(text) for text in times)
    lines = ["By project"]
    for row, text in zip(rows, times, strict=True):
        parts = [text.rjust(time_width)]
        if totals.elapsed_s > 0:
            parts.append(f"{round(100 * row.elapsed_s / totals.elapsed_s):>3d}%")
        parts.append(plural(row.sessions, "session"))
        lines.append(f"  {row.project.name.ljust(width)}  {DOT.join(parts)}")
    rest = len(totals.by_project) - len(rows)
    if rest > 0:
        lines.append(f"  and {plural(rest, 'more project')}")
    return lines


# --- report --chart -------------------------------------------------------------------------------

_EIGHTHS = " ▏▎▍▌▋▊▉"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def bar(seconds: float, most: float, width: int, blocks: bool) -> str:
    """A bar `width` characters long at `most`: block characters in eighths, or `#` when plain.
    Any time at all shows at least the thinnest bar."""
    if seconds <= 0 or most <= 0:
        return ""
    if not blocks:
        return "#" * max(1, round(width * seconds / most))
    eighths = max(1, round(8 * width * seconds / most))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def day_chart_lines(days: list[tuple[date, float]], columns: int, blocks: bool, today: date) -> list[str]:
    """One line a day: `Mon 2026-11-17  ██████▌  2h34m`, bars scaled to the busiest day."""
    most = max((seconds for _, seconds in days), default=0.0)
    values = [duration(seconds) if seconds > 0 else "-" for _, seconds in days]
    value_width = max((len(value) for value in values), default=1)
    width = max(10, min(60, columns - len("Mon 2026-11-17") - value_width - 6))
    lines = []
    for (day, seconds), value in zip(days, values, strict=True):
        label = f"{_WEEKDAYS[day.weekday()]} {day.isoformat()}"
        if day == today:
            label = colour.paint(label, colour.BOLD)
        elif day.weekday() >= 5:
            label = colour.paint(label, colour.DIM)
        drawn = bar(seconds, most, width, blocks)
        shown = colour.paint(drawn, colour.CYAN) if drawn else ""
        lines.append(f"{label}  {shown}{' ' * (width - len(drawn))}  {value.rjust(value_width)}")
    return lines
