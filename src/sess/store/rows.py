"""Row readers and the shapes the store hands out: the columns each query selects, in order."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from sess import rules, timestamps
from sess.errors import SessError
from sess.records import NamedTuple
from sess.rules import Project, Session

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

# The columns each row reader expects, in order; the widths tell where one table's part of a
# joined row ends.
_SESSION_FIELDS = (
    "s.id", "s.project_id", "s.branch", "COALESCE(s.branch_type, '')", "s.state", "s.issue_id", "s.issue_title",
    "s.start_time", "s.pause_time", "s.end_time", "s.current_slice_start", "s.total_elapsed", "s.pr_number",
    "s.pr_url", "s.base_branch", "s.outcome", "s.issue_tracker", "s.issue_url", "s.parked_stash", "s.worktree",
)
_PROJECT_FIELDS = ("p.id", "p.name", "p.path", "p.base_branch", "p.created_at", "p.last_used_at")
_JOURNAL_FIELDS = ("j.session_id", "j.step", "j.status", "j.data", "j.error", "j.updated_at")
SESSION_COLUMNS, SESSION_WIDTH = ", ".join(_SESSION_FIELDS), len(_SESSION_FIELDS)
PROJECT_COLUMNS, PROJECT_WIDTH = ", ".join(_PROJECT_FIELDS), len(_PROJECT_FIELDS)
JOURNAL_COLUMNS = ", ".join(_JOURNAL_FIELDS)


class SessionConflict(SessError):
    """The project already has an active or paused session."""


class UndoEntry(NamedTuple):
    """One change `sess undo` can revert (or, for an end, refuses to)."""

    id: int
    project_id: int
    session_id: int | None
    action: str  # start, pause, resume, amend, cancel; end is a barrier
    summary: str
    data: dict[str, Any]
    created_at: datetime | None


# How many undo entries a project keeps (the contract asks for at least 20).
UNDO_DEPTH = 200
# A session's columns as an undo entry keeps them: what a transition or amend may change.
SNAPSHOT_COLUMNS = ("state", "start_time", "pause_time", "end_time", "current_slice_start", "total_elapsed",
                     "start_epoch", "outcome", "pr_number", "pr_url")


class Journal(NamedTuple):
    """Progress of an unfinished `sess end`."""

    session_id: int
    step: str
    status: str  # "running" while a step is under way, "failed" after it failed, "done" after it
    data: dict[str, Any]
    error: str | None
    updated_at: datetime | None



def db_value(value: object) -> object:
    return timestamps.format_db(value) if isinstance(value, datetime) else value


def parse_time(value: Any) -> datetime | None:
    try:
        return timestamps.parse_db(value)
    except ValueError:
        return None


def session_from_row(row: tuple[Any, ...]) -> Session:
    start = parse_time(row[7])
    return Session(
        id=row[0], project_id=row[1], branch=row[2], branch_type=row[3] or "", state=row[4],
        issue_id=rules.normalise_issue_id(row[5]), issue_title=row[6] or None,
        start_time=start if start is not None else timestamps.now(),
        pause_time=parse_time(row[8]), end_time=parse_time(row[9]),
        current_slice_start=parse_time(row[10]), total_elapsed_ns=int(row[11] or 0),
        pr_number=int(row[12]) if row[12] not in (None, "") else None, pr_url=row[13] or None,
        base_branch=row[14] or None, outcome=row[15] or None, issue_tracker=row[16] or None,
        issue_url=row[17] or None, parked=row[18] or None, worktree=row[19] or None,
    )


def project_from_row(row: tuple[Any, ...]) -> Project:
    return Project(id=row[0], name=row[1], path=row[2], base_branch=row[3] or "",
                   created_at=parse_time(row[4]), last_used_at=parse_time(row[5]))


def update_session(conn: sqlite3.Connection, session_id: int, values: dict[str, Any]) -> None:
    """Set these columns (names from sess's own code, never from input) of one session."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE sessions SET {assignments} WHERE id = ?", [*values.values(), session_id])


def put_slices(conn: sqlite3.Connection, session_id: int, rows: list[tuple[Any, ...]]) -> None:
    """The session's slices, all replaced by `rows` of (id or None, start_time, end_time,
    start_epoch, end_epoch)."""
    conn.execute("DELETE FROM session_slices WHERE session_id = ?", (session_id,))
    conn.executemany("INSERT INTO session_slices (id, session_id, start_time, end_time, start_epoch, end_epoch) "
                     "VALUES (?, ?, ?, ?, ?, ?)", [(row[0], session_id, *row[1:]) for row in rows])


def json_data(text: str | None) -> dict[str, Any]:
    """A JSON object kept in a column (undo data, the end journal); {} when it is unreadable."""
    import json

    try:
        data: dict[str, Any] = json.loads(text or "{}")
    except ValueError:
        return {}
    return data


def journal_from_row(row: tuple[Any, ...] | None) -> Journal | None:
    if row is None or row[0] is None:
        return None
    return Journal(row[0], row[1], row[2], json_data(row[3]), row[4], parse_time(row[5]))


def split_status_row(row: tuple[Any, ...]) -> tuple[Project, Session | None, Journal | None]:
    end_of_session = PROJECT_WIDTH + SESSION_WIDTH
    project = project_from_row(row[:PROJECT_WIDTH])
    session = session_from_row(row[PROJECT_WIDTH:end_of_session]) if row[PROJECT_WIDTH] is not None else None
    return project, session, journal_from_row(row[end_of_session:])


