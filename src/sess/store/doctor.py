"""What `sess doctor` asks of the database, read-only: the file is opened with `mode=ro`, never
migrated, never written (not even its write-ahead log is folded in)."""

from __future__ import annotations

import os
import sqlite3

from sess.records import NamedTuple
from sess.store.files import BUSY_TIMEOUT_S
from sess.store.schema import MIGRATIONS

TOLERANCE_NS = 1_000_000_000  # timestamps are kept to the microsecond; a second apart is not a disagreement


class Disagreement(NamedTuple):
    session_id: int
    project_path: str
    branch: str
    why: str


class OpenSession(NamedTuple):
    session_id: int
    project_path: str
    branch: str
    state: str
    parked_stash: str | None = None  # the stash commit holding a parked session's changes
    worktree: str | None = None  # the linked worktree sess made for it (None: the main one)


class UnfinishedEnd(NamedTuple):
    session_id: int
    project_path: str
    branch: str
    step: str
    status: str
    error: str | None


def open_read_only(path: str) -> sqlite3.Connection:
    """The database as it is; sqlite3.Error when it cannot be opened or is not a database."""
    from urllib.parse import quote

    conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S,
                           isolation_level=None)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database: raises here
    return conn


def integrity_problems(conn: sqlite3.Connection, most: int = 3) -> list[str]:
    rows = conn.execute(f"PRAGMA integrity_check({int(most)})").fetchall()
    said = [str(row[0]) for row in rows]
    return [] if said == ["ok"] else said


def schema_version(conn: sqlite3.Connection) -> tuple[int, int]:
    """(the file's user_version, the version this sess migrates to)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0]), len(MIGRATIONS)


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def slice_disagreements(conn: sqlite3.Connection) -> list[Disagreement]:
    """Sessions whose Go columns (state, total_elapsed, current_slice_start) say other than their
    slices. Only sessions whose slices go back to their start are compared on totals: the Go tool
    kept no slices, so an older session's total may rightly hold more than its slices."""
    if not _has_table(conn, "session_slices") or not _has_table(conn, "projects"):
        return []
    rows = conn.execute(
        """SELECT s.id, p.path, s.branch, s.state, s.total_elapsed, s.current_slice_start, s.start_epoch,
                  COUNT(x.id), SUM(x.end_epoch IS NULL),
                  COALESCE(SUM(CASE WHEN x.end_epoch IS NOT NULL THEN x.end_epoch - x.start_epoch END), 0),
                  MIN(x.start_epoch),
                  MAX(CASE WHEN x.end_epoch IS NULL THEN x.start_time END)
           FROM sessions s JOIN projects p ON p.id = s.project_id
           LEFT JOIN session_slices x ON x.session_id = s.id
           GROUP BY s.id ORDER BY s.id"""
    ).fetchall()
    found: list[Disagreement] = []
    for (sid, path, branch, state, total, current, start_epoch, count, running, closed_s, first_start,
         running_start) in rows:
        running = int(running or 0)
        why = None
        if running > 1:
            why = f"{running} slices are running at once"
        elif running and state != "active":
            why = f"it is {state}, but a slice is still running"
        elif state == "active" and count and not running:
            why = "it is active, but no slice is running"
        elif state != "active" and current is not None:
            why = f"it is {state}, but current_slice_start is set"
        elif running and current is not None and running_start is not None \
                and str(current)[:19] != str(running_start)[:19]:
            why = "current_slice_start is not the start of its running slice"
        elif count and start_epoch is not None and first_start is not None and abs(first_start - start_epoch) < 1:
            slices_ns = int(round(float(closed_s) * 1e9))
            if abs(int(total or 0) - slices_ns) > TOLERANCE_NS:
                why = f"total_elapsed is {int(total or 0) // 10**9}s, its closed slices add up to {slices_ns // 10**9}s"
        if why:
            found.append(Disagreement(int(sid), str(path), str(branch), why))
    return found


class Overlap(NamedTuple):
    """Two sessions' slices that share [start, end) (epoch seconds)."""

    first: tuple[int, str, str]  # (session id, branch, project path): the slice that began first
    second: tuple[int, str, str]
    start: float
    end: float
    same_project: bool


def overlapping_slices(conn: sqlite3.Connection, now: float) -> list[Overlap]:
    """Slices of two sessions that share time (recorded while time.exclusive was off, by hand, by
    another tool): one sweep in start order against the slice that reaches furthest so far, so
    each slice is reported at most once. A running slice reaches `now`."""
    if not _has_table(conn, "session_slices") or not _has_table(conn, "projects"):
        return []
    rows = conn.execute(
        """SELECT x.start_epoch, COALESCE(x.end_epoch, CASE WHEN s.state = 'active' THEN ? ELSE x.start_epoch END),
                  s.id, s.branch, p.path, s.project_id
           FROM session_slices x JOIN sessions s ON s.id = x.session_id JOIN projects p ON p.id = s.project_id
           WHERE x.start_epoch IS NOT NULL ORDER BY x.start_epoch, x.id""", (now,)).fetchall()
    found: list[Overlap] = []
    reach: tuple[float, int, str, str, int] | None = None  # (end, session, branch, path, project)
    for start, end, session, branch, path, project in rows:
        if reach is not None and min(end, reach[0]) - start >= 1 and session != reach[1]:  # a second or more
            found.append(Overlap((reach[1], reach[2], reach[3]), (session, branch, path), float(start),
                                 float(min(end, reach[0])), project == reach[4]))
        if reach is None or end > reach[0]:
            reach = (float(end), session, branch, path, project)
    return found


def open_sessions(conn: sqlite3.Connection) -> list[OpenSession]:
    # A database at an older schema (doctor never migrates) may lack the newer columns.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}
    extra = ", ".join(f"s.{name}" if name in columns else "NULL" for name in ("parked_stash", "worktree"))
    rows = conn.execute(
        f"""SELECT s.id, p.path, s.branch, s.state, {extra} FROM sessions s JOIN projects p ON p.id = s.project_id
           WHERE s.state IN ('active', 'paused') ORDER BY s.id"""
    ).fetchall()
    return [OpenSession(int(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4] or None, r[5] or None) for r in rows]


def unfinished_ends(conn: sqlite3.Connection) -> list[UnfinishedEnd]:
    if not _has_table(conn, "end_journal"):
        return []
    rows = conn.execute(
        """SELECT s.id, p.path, s.branch, j.step, j.status, j.error
           FROM end_journal j JOIN sessions s ON s.id = j.session_id JOIN projects p ON p.id = s.project_id
           ORDER BY s.id"""
    ).fetchall()
    return [UnfinishedEnd(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5]) for r in rows]
