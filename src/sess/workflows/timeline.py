"""The slices of a session: which session a command means, and amending one slice.

Every change keeps the Go tool's columns (`total_elapsed`, `current_slice_start`, `pause_time`)
in agreement with the slices, and is logged for `sess undo`.
"""

from __future__ import annotations

from datetime import datetime

from sess import rules
from sess.errors import SessError, UsageError
from sess.records import NamedTuple
from sess.rules import Project, Session, Slice
from sess.store import Store, project_lock


class Amended(NamedTuple):
    project: Project
    session: Session
    number: int
    before: Slice
    after: Slice | None  # None: dropped


def target(store: Store | None, cwd: str, ref: str | int | None) -> tuple[Project, Session]:
    """Session ID (any project), else the open session of this project on branch `ref`, else the
    session the command means here (SPEC Part 3; SessionChoice when that cannot be told)."""
    if ref is not None and str(ref).isdigit():
        session_id = int(ref)
        if store is None:
            raise SessError(f"session {session_id} does not exist")
        row = store.conn.execute("SELECT project_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise SessError(f"session {session_id} does not exist", "'sess history --all --json' lists the ids.")
        return store.project_by_id(row[0]), store.session(session_id)
    if store is None:
        raise SessError("not a tracked project", "Run it inside a tracked repository, or pass --session ID.")
    from sess.workflows.common import locate, require_session

    where = locate(store, cwd)
    project = where.project
    if project is None:
        raise SessError("not a tracked project", "Run it inside a tracked repository, or pass --session ID.")
    if not store.open_sessions(project.id):
        raise SessError("no open session in this project",
                        "Pass --session ID for an ended one ('sess history --json' lists the ids).")
    return project, require_session(store, project, where=where, ref=None if ref is None else str(ref))


def unaccounted_s(session: Session, slices: list[Slice]) -> float:
    """Completed time no slice holds (the Go tool kept none)."""
    closed = sum((piece.end - piece.start).total_seconds() for piece in slices if piece.end is not None)
    rest = session.total_elapsed_ns / rules.NS_PER_SECOND - closed
    return rest if rest >= 1.0 else 0.0


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _span(piece: Slice) -> str:
    return f"{_clock(piece.start)} to {_clock(piece.end) if piece.end else 'now'}"


def amend(store: Store, project: Project, session_id: int, number: int, start: datetime | None,
          end: datetime | None, drop: bool, now: datetime, exclusive: bool = False) -> Amended:
    """`exclusive` (time.exclusive): the slice may not share time with another project's either."""
    with project_lock(project.path):
        session = store.session(session_id)
        slices = store.slices(session)
        if not 1 <= number <= len(slices):
            raise UsageError(f"@{number}: the session on {session.branch} has "
                             f"{len(slices)} slice{'s' if len(slices) != 1 else ''}",
                             "'sess log' lists them, newest first.")
        old = slices[number - 1]
        if drop:
            if old.end is None:
                raise UsageError(f"@{number} is the running slice; it cannot be dropped",
                                 "Pause first ('sess pause'), then drop it.")
            updated: Slice | None = None
            new = [piece for piece in slices if piece is not old]
        else:
            updated = _moved(store, project, session, slices, number, old, start, end, now, exclusive)
            new = [updated if piece is old else piece for piece in slices]
        changes = rules.columns_for_slices(session, slices, new)
        verb = "drop" if drop else "amend"
        written = store.replace_slices(session, slices, new, changes, f"{verb} @{number} of {session.branch}")
        return Amended(project, written, number, old, updated)


def _moved(store: Store, project: Project, session: Session, slices: list[Slice], number: int, old: Slice,
           start: datetime | None, end: datetime | None, now: datetime, exclusive: bool = False) -> Slice:
    if end is not None and old.end is None:
        raise UsageError(f"@{number} is the running slice: its end is when the clock stops",
                         "Use 'sess pause --at WHEN' to stop it then.")
    for flag, moment in (("--start", start), ("--end", end)):
        if moment is not None:
            rules.check_not_future(flag, moment, now)
    new_start = start or old.start
    new_end = end or old.end
    if new_end is not None and new_end <= new_start:
        raise UsageError(f"the end {_clock(new_end)} would not be after the start {_clock(new_start)}",
                         "A slice ends after it starts.")
    until = new_end or now
    for index, piece in enumerate(slices, start=1):
        if piece is not old and piece.start < until and (piece.end or now) > new_start:
            raise UsageError(f"{_clock(new_start)} to {_clock(new_end) if new_end else 'now'} overlaps "
                             f"@{index} of this session ({_span(piece)})", "Amend or drop that slice first.")
    found = store.overlap(project.id, session.id, new_start, until, now, anywhere=exclusive)
    if found is not None:
        other, piece = found
        elsewhere = " (time.exclusive: one clock at a time)" if other.project_id != project.id else ""
        raise UsageError(f"{_clock(new_start)} to {_clock(new_end) if new_end else 'now'} overlaps the "
                         f"session on {other.branch} (id {other.id}, {_span(piece)}){elsewhere}",
                         f"'sess log --session {other.id}' shows its slices.")
    return old._replace(start=new_start, end=new_end)
