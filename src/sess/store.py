"""The store: the only module that speaks SQL.

The database is the Go sess v0.4 file (`$SESS_HOME/sess.db`, else `~/.sess-cli/sess.db`), kept
readable by it. Migrations are ordered, named and recorded; each runs in one transaction.
WAL and a busy timeout let concurrent invocations wait for each other instead of failing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from sess import rules, timestamps
from sess.errors import SessError, StoreError
from sess.records import NamedTuple
from sess.rules import Project, Session, Slice
from sess.state import state_dir as state_dir  # re-exported: the name the rest of sess uses

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

BUSY_TIMEOUT_S = 30.0

# The columns each row reader expects, in order; the widths tell where one table's part of a
# joined row ends.
_SESSION_FIELDS = (
    "s.id", "s.project_id", "s.branch", "COALESCE(s.branch_type, '')", "s.state", "s.issue_id", "s.issue_title",
    "s.start_time", "s.pause_time", "s.end_time", "s.current_slice_start", "s.total_elapsed", "s.pr_number",
    "s.pr_url", "s.base_branch", "s.outcome",
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
_SNAPSHOT_COLUMNS = ("state", "start_time", "pause_time", "end_time", "current_slice_start", "total_elapsed",
                     "start_epoch", "outcome", "pr_number", "pr_url")


class Journal(NamedTuple):
    """Progress of an unfinished `sess end`."""

    session_id: int
    step: str
    status: str  # "running" while a step is under way, "failed" after it failed, "done" after it
    data: dict[str, Any]
    error: str | None
    updated_at: datetime | None


# --- migrations -------------------------------------------------------------------------------

def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # executescript() would commit the migration's transaction; run statement by statement.
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _go_schema(conn: sqlite3.Connection) -> None:
    # Exactly the Go tool's tables, so a fresh database is one it can open too.
    _script(conn,
        """
        CREATE TABLE IF NOT EXISTS projects (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            created_at DATETIME NOT NULL,
            last_used_at DATETIME NOT NULL,
            base_branch TEXT NOT NULL DEFAULT 'dev',
            is_active BOOLEAN NOT NULL DEFAULT 1
        );
        CREATE INDEX IF NOT EXISTS idx_projects_path ON projects(path);
        CREATE INDEX IF NOT EXISTS idx_projects_is_active ON projects(is_active);
        CREATE TABLE IF NOT EXISTS sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL,
            branch TEXT NOT NULL,
            issue_id TEXT,
            issue_title TEXT,
            state TEXT NOT NULL CHECK(state IN ('active', 'paused', 'ended')),
            start_time DATETIME NOT NULL,
            pause_time DATETIME,
            end_time DATETIME,
            total_elapsed INTEGER NOT NULL DEFAULT 0,
            branch_type TEXT,
            FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE
        );
        CREATE INDEX IF NOT EXISTS idx_sessions_project_id ON sessions(project_id);
        CREATE INDEX IF NOT EXISTS idx_sessions_state ON sessions(state);
        CREATE INDEX IF NOT EXISTS idx_sessions_start_time ON sessions(start_time);
        """
    )


def _go_v04_columns(conn: sqlite3.Connection) -> None:
    have = _columns(conn, "sessions")
    for name, kind in (("current_slice_start", "DATETIME"), ("pr_number", "INTEGER"), ("pr_url", "TEXT")):
        if name not in have:
            conn.execute(f"ALTER TABLE sessions ADD COLUMN {name} {kind}")


def _normalise_open_sessions(conn: sqlite3.Connection) -> None:
    # Before v0.4 a running slice had no start of its own: it began at the start, or at the
    # last pause (a resume cleared nothing else). Give every active session an explicit one.
    conn.execute(
        """UPDATE sessions SET current_slice_start =
               CASE WHEN total_elapsed = 0 OR pause_time IS NULL THEN start_time ELSE pause_time END
           WHERE state = 'active' AND current_slice_start IS NULL"""
    )
    # The Go tool did not enforce one open session per project. Older duplicates are closed
    # (their time kept) so that the database itself can enforce it from now on.
    conn.execute(
        """UPDATE sessions SET state = 'ended', current_slice_start = NULL,
               end_time = COALESCE(end_time, pause_time, current_slice_start, start_time)
           WHERE state IN ('active', 'paused') AND id NOT IN (
               SELECT MAX(id) FROM sessions WHERE state IN ('active', 'paused') GROUP BY project_id)"""
    )


def _one_open_session(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_sessions_one_open ON sessions(project_id) "
        "WHERE state IN ('active', 'paused')"
    )


def _start_epoch(conn: sqlite3.Connection) -> None:
    # A sortable, comparable start: stored strings mix forms and offsets.
    if "start_epoch" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN start_epoch REAL")
    conn.execute("UPDATE sessions SET start_epoch = sess_epoch(start_time) WHERE start_epoch IS NULL")
    _script(conn,
        """
        CREATE INDEX IF NOT EXISTS idx_sessions_start_epoch ON sessions(start_epoch);
        CREATE INDEX IF NOT EXISTS idx_sessions_project_start_epoch ON sessions(project_id, start_epoch);
        CREATE INDEX IF NOT EXISTS idx_sessions_unsynced ON sessions(id) WHERE start_epoch IS NULL;
        """
    )


def _session_slices(conn: sqlite3.Connection) -> None:
    # Every active stretch of a session, so time can be clipped to a day or a week.
    _script(conn,
        """
        CREATE TABLE IF NOT EXISTS session_slices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            start_time DATETIME NOT NULL,
            end_time DATETIME,
            start_epoch REAL NOT NULL,
            end_epoch REAL
        );
        CREATE INDEX IF NOT EXISTS idx_slices_session ON session_slices(session_id);
        CREATE INDEX IF NOT EXISTS idx_slices_start_epoch ON session_slices(start_epoch);
        """
    )
    conn.execute(
        """INSERT INTO session_slices (session_id, start_time, start_epoch)
           SELECT id, current_slice_start, sess_epoch(current_slice_start) FROM sessions
           WHERE state = 'active' AND current_slice_start IS NOT NULL
             AND sess_epoch(current_slice_start) IS NOT NULL
             AND id NOT IN (SELECT session_id FROM session_slices)"""
    )


def _end_journal(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS end_journal (
               session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
               step TEXT NOT NULL,
               status TEXT NOT NULL,
               data TEXT NOT NULL DEFAULT '{}',
               error TEXT,
               updated_at DATETIME NOT NULL
           )"""
    )


def _session_base_branch(conn: sqlite3.Connection) -> None:
    # The branch a session was cut from (`start --base`), which its end rebases onto and
    # opens the PR against. NULL (older rows) means the project's base branch.
    if "base_branch" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN base_branch TEXT")


def _analytics_indexes(conn: sqlite3.Connection) -> None:
    # For history/stats/report (store_reports): per-project totals from one pass over a small
    # covering index, PR counts from a partial one, the longest session from the top of an index,
    # and slices or slice-less sessions that reach past the start of a period without scanning
    # everything before it.
    _script(conn,
        """
        CREATE INDEX IF NOT EXISTS idx_sessions_totals ON sessions(project_id, state, total_elapsed);
        CREATE INDEX IF NOT EXISTS idx_sessions_with_pr ON sessions(project_id)
            WHERE pr_number IS NOT NULL OR pr_url <> '';
        CREATE INDEX IF NOT EXISTS idx_sessions_total_elapsed ON sessions(total_elapsed);
        CREATE INDEX IF NOT EXISTS idx_sessions_worked_until ON sessions(start_epoch + total_elapsed / 1e9);
        CREATE INDEX IF NOT EXISTS idx_slices_end_epoch ON session_slices(end_epoch);
        """
    )


def _session_outcome(conn: sqlite3.Connection) -> None:
    # How an ended session ended: NULL for a handoff (or the Go tool's end), 'cancelled' for
    # `sess cancel`. `state` stays 'ended' so the Go tool reads it as it always did.
    if "outcome" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN outcome TEXT")
    conn.execute("CREATE INDEX IF NOT EXISTS idx_sessions_outcome ON sessions(project_id, outcome) "
                 "WHERE outcome IS NOT NULL")


def _undo_log(conn: sqlite3.Connection) -> None:
    # What `sess undo` can revert: per project, newest last; `data` holds what it takes to put
    # things back (the session's columns and slices before, git facts for a start).
    _script(conn,
        """
        CREATE TABLE IF NOT EXISTS undo_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            session_id INTEGER,
            action TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}',
            created_at DATETIME NOT NULL,
            undone_at DATETIME
        );
        CREATE INDEX IF NOT EXISTS idx_undo_log_project ON undo_log(project_id, id);
        """
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_go_schema", _go_schema),
    ("0002_go_v04_columns", _go_v04_columns),
    ("0003_normalise_open_sessions", _normalise_open_sessions),
    ("0004_one_open_session_per_project", _one_open_session),
    ("0005_sessions_start_epoch", _start_epoch),
    ("0006_session_slices", _session_slices),
    ("0007_end_journal", _end_journal),
    ("0008_sessions_base_branch", _session_base_branch),
    ("0009_analytics_indexes", _analytics_indexes),
    ("0010_sessions_outcome", _session_outcome),
    ("0011_undo_log", _undo_log),
]


# --- the store --------------------------------------------------------------------------------

def _db_value(value: object) -> object:
    return timestamps.format_db(value) if isinstance(value, datetime) else value


def _parse_time(value: Any) -> datetime | None:
    try:
        return timestamps.parse_db(value)
    except ValueError:
        return None


def session_from_row(row: tuple[Any, ...]) -> Session:
    start = _parse_time(row[7])
    return Session(
        id=row[0], project_id=row[1], branch=row[2], branch_type=row[3] or "", state=row[4],
        issue_id=rules.normalise_issue_id(row[5]), issue_title=row[6] or None,
        start_time=start if start is not None else timestamps.now(),
        pause_time=_parse_time(row[8]), end_time=_parse_time(row[9]),
        current_slice_start=_parse_time(row[10]), total_elapsed_ns=int(row[11] or 0),
        pr_number=int(row[12]) if row[12] not in (None, "") else None, pr_url=row[13] or None,
        base_branch=row[14] or None, outcome=row[15] or None,
    )


def project_from_row(row: tuple[Any, ...]) -> Project:
    return Project(id=row[0], name=row[1], path=row[2], base_branch=row[3] or "",
                   created_at=_parse_time(row[4]), last_used_at=_parse_time(row[5]))


class Store:
    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

    # -- opening --

    @classmethod
    def open_existing(cls) -> Store | None:
        """`open`, for commands that only read: None when there is no database yet."""
        return cls.open() if os.path.exists(os.path.join(state_dir(), "sess.db")) else None

    @classmethod
    def open(cls) -> Store:
        """Open (and migrate) the database, made first if there is none."""
        directory = state_dir()
        path = os.path.join(directory, "sess.db")
        if not os.path.exists(path):
            _make_private_file(directory, path)
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from exc
        store = cls(conn, path)
        # Closed at exit, also by cli.main_and_exit (which skips the interpreter's teardown): the
        # last connection to close folds the write-ahead log into sess.db, so that the file alone
        # always holds the whole history (a copy of it, the Go tool).
        import atexit

        atexit.register(conn.close)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # With WAL, NORMAL syncs at checkpoints rather than at every commit: the file stays
            # consistent whatever is killed, and an end's dozen journal writes cost no fsync each.
            conn.execute("PRAGMA synchronous = NORMAL")
            if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
                store._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _busy(exc):
                raise _locked(path) from exc
            raise StoreError(f"{path} is not a usable sess database ({exc})",
                             "Move the file aside; sess never overwrites it.") from exc
        return store

    def _migrate(self) -> None:
        conn, path = self.conn, self.path
        with _migration_lock():
            # Re-read under the lock: a concurrent process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                return
            backup = None
            if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():  # not a brand-new file
                _check_integrity(conn, path)
                backup = _backup(conn, path, version)
            conn.create_function("sess_epoch", 1, timestamps.epoch, deterministic=True)
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                # Another process may hold the file; then a later open sets WAL.
                with suppress(sqlite3.OperationalError):
                    conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                         "(name TEXT PRIMARY KEY, applied_at DATETIME NOT NULL)")
            for index, (name, step) in enumerate(MIGRATIONS, start=1):
                try:
                    with self.transaction():
                        # Re-checked inside the lock: a concurrent process may have applied it.
                        done = conn.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (name,)).fetchone()
                        if not done:
                            step(conn)
                            conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                                         (name, timestamps.format_db(timestamps.now())))
                        conn.execute(f"PRAGMA user_version = {index}")
                except StoreError:
                    raise
                except Exception as exc:
                    if isinstance(exc, sqlite3.Error) and _busy(exc):
                        raise
                    kept = (f"The database as it was before is kept at {backup}." if backup else
                            "It was empty before.")
                    raise StoreError(f"could not migrate {path}: step {name} failed ({exc}); "
                                     f"it stays at step {index - 1}, which this sess cannot use",
                                     f"{kept} Report this, with the file if you can; sess never replaces it.") from exc
        with suppress(OSError):  # tighten a file the Go tool created 0644
            os.chmod(path, 0o600)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of work; BEGIN IMMEDIATE takes the write lock up front so it waits, not fails."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise _locked(self.path) from exc
            raise
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- projects --

    def project_by_path(self, path: str) -> Project | None:
        row = self.conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.path = ?", (path,)).fetchone()
        return project_from_row(row) if row else None

    def project_by_id(self, project_id: int) -> Project:
        row = self.conn.execute(f"SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = ?", (project_id,)).fetchone()
        return project_from_row(row)

    def track_project(self, name: str, path: str, base_branch: str) -> Project:
        now = timestamps.format_db(timestamps.now())
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO projects (name, path, created_at, last_used_at, base_branch, is_active)
                   VALUES (?, ?, ?, ?, ?, 1)
                   ON CONFLICT(path) DO UPDATE SET last_used_at = excluded.last_used_at, is_active = 1""",
                (name, path, now, now, base_branch),
            )
        project = self.project_by_path(path)
        assert project is not None
        return project

    def set_base_branch(self, project_id: int, branch: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE projects SET base_branch = ? WHERE id = ?", (branch, project_id))

    def projects_with_open_sessions(self) -> list[tuple[Project, Session | None, Journal | None]]:
        rows = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS}, {JOURNAL_COLUMNS}
                FROM projects p
                LEFT JOIN sessions s ON s.project_id = p.id AND s.state IN ('active', 'paused')
                LEFT JOIN end_journal j ON j.session_id = s.id
                WHERE p.is_active = 1
                ORDER BY p.last_used_at DESC, p.id DESC"""
        ).fetchall()
        return [_split_status_row(row) for row in rows]

    # -- sessions --

    def status(self, path: str) -> tuple[Project | None, Session | None, Journal | None]:
        """Project, open session and unfinished end for a path, in one read."""
        row = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS}, {JOURNAL_COLUMNS}
                FROM projects p
                LEFT JOIN sessions s ON s.project_id = p.id AND s.state IN ('active', 'paused')
                LEFT JOIN end_journal j ON j.session_id = s.id
                WHERE p.path = ?""",
            (path,),
        ).fetchone()
        if row is None:
            return None, None, None
        return _split_status_row(row)

    def open_session(self, project_id: int) -> Session | None:
        row = self.conn.execute(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? AND s.state IN ('active', 'paused') "
            "ORDER BY s.id DESC LIMIT 1",
            (project_id,),
        ).fetchone()
        return session_from_row(row) if row else None

    def session(self, session_id: int) -> Session:
        row = self.conn.execute(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.id = ?", (session_id,)).fetchone()
        if row is None:
            raise StoreError(f"session {session_id} does not exist")
        return session_from_row(row)

    def start_session(self, project_id: int, branch: str, branch_type: str,
                      issue_id: str | None, issue_title: str | None, now: datetime,
                      base_branch: str | None = None, undo: dict[str, Any] | None = None) -> Session:
        stamp = timestamps.format_db(now)
        try:
            with self.transaction() as conn:
                cursor = conn.execute(
                    """INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time,
                           total_elapsed, branch_type, current_slice_start, start_epoch, base_branch)
                       VALUES (?, ?, ?, ?, 'active', ?, 0, ?, ?, ?, ?)""",
                    # '' for no issue, as the Go tool wrote it, so it reads our rows too.
                    (project_id, branch, issue_id or "", issue_title or "", stamp, branch_type, stamp,
                     now.timestamp(), base_branch),
                )
                session_id = cursor.lastrowid
                conn.execute("INSERT INTO session_slices (session_id, start_time, start_epoch) VALUES (?, ?, ?)",
                             (session_id, stamp, now.timestamp()))
                conn.execute("UPDATE projects SET last_used_at = ? WHERE id = ?",
                             (timestamps.format_db(timestamps.now()), project_id))
                if undo is not None:
                    self._log_undo(conn, project_id, session_id, "start", branch, undo)
        except sqlite3.IntegrityError as exc:
            raise SessionConflict("the project already has an open session") from exc
        assert session_id is not None
        return self.session(session_id)

    def apply(self, session: Session, changes: dict[str, object], now: datetime,
              undo: str | None = None, stopped_by: tuple[int, str] | None = None) -> Session:
        """Write a transition from `rules`, keeping the slice table in step, in one transaction.

        With `undo` (the action's name), what it takes to revert it goes in the undo log;
        `stopped_by`: (session id, "start" or "resume") when time.exclusive made this pause, so
        that undoing that start or resume starts this clock again (`stopped_for`).
        """
        with self.transaction() as conn:
            before = _snapshot(conn, session.id) if undo else None
            self._transition(conn, session, changes, now)
            if undo and before is not None:
                data: dict[str, Any] = {"before": before, "after": _snapshot(conn, session.id)["columns"]}
                if stopped_by is not None:
                    data["stopped_by"] = {"session_id": stopped_by[0], "action": stopped_by[1]}
                self._log_undo(conn, session.project_id, session.id, undo, session.branch, data)
        return self.session(session.id)

    @classmethod
    def _transition(cls, conn: sqlite3.Connection, session: Session, changes: dict[str, object],
                    now: datetime) -> None:
        current = conn.execute("SELECT state FROM sessions WHERE id = ?", (session.id,)).fetchone()
        if current is None or current[0] != session.state:
            raise SessError("the session changed under us (another sess process?); try again")
        _update_session(conn, session.id, {column: _db_value(value) for column, value in changes.items()})
        stamp = timestamps.format_db(now)
        if session.state == rules.ACTIVE:
            cls._close_slice(conn, session, now)
        if changes.get("state") == rules.ACTIVE:
            conn.execute("INSERT INTO session_slices (session_id, start_time, start_epoch) VALUES (?, ?, ?)",
                         (session.id, stamp, now.timestamp()))
        conn.execute("UPDATE projects SET last_used_at = ? WHERE id = ?",
                     (timestamps.format_db(timestamps.now()), session.project_id))

    @staticmethod
    def _close_slice(conn: sqlite3.Connection, session: Session, now: datetime) -> None:
        stamp = timestamps.format_db(now)
        closed = conn.execute(
            "UPDATE session_slices SET end_time = ?, end_epoch = ? WHERE session_id = ? AND end_time IS NULL",
            (stamp, now.timestamp(), session.id),
        ).rowcount
        if not closed and session.current_slice_start is not None:
            # A slice begun by the Go tool, which keeps no slice rows.
            start = session.current_slice_start
            conn.execute(
                """INSERT INTO session_slices (session_id, start_time, end_time, start_epoch, end_epoch)
                   VALUES (?, ?, ?, ?, ?)""",
                (session.id, timestamps.format_db(start), stamp, start.timestamp(), now.timestamp()),
            )

    # -- the end journal --

    def journal(self, session_id: int) -> Journal | None:
        row = self.conn.execute(f"SELECT {JOURNAL_COLUMNS} FROM end_journal j WHERE j.session_id = ?",
                                (session_id,)).fetchone()
        return _journal_from_row(row)

    def save_journal(self, session_id: int, step: str, status: str, data: dict[str, Any],
                     error: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO end_journal (session_id, step, status, data, error, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT(session_id) DO UPDATE SET step = excluded.step, status = excluded.status,
                       data = excluded.data, error = excluded.error, updated_at = excluded.updated_at""",
                (session_id, step, status, json.dumps(data, sort_keys=True), error,
                 timestamps.format_db(timestamps.now())),
            )

    def clear_journal(self, session_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM end_journal WHERE session_id = ?", (session_id,))

    def end_session(self, session: Session, pr_number: int | None, pr_url: str | None, now: datetime) -> Session:
        """Mark the session ended and drop its journal, in one transaction."""
        changes = rules.end(session, now, pr_number, pr_url)
        with self.transaction() as conn:
            self._transition(conn, session, changes, now)
            conn.execute("DELETE FROM end_journal WHERE session_id = ?", (session.id,))
            # A barrier for `sess undo`: the work is pushed, nothing before it can be undone.
            self._log_undo(conn, session.project_id, session.id, "end", session.branch, {})
        return self.session(session.id)

    # -- slices --

    def slices(self, session: Session) -> list[Slice]:
        """The session's slices, newest first; a running slice the Go tool began is included (id 0)."""
        rows = self.conn.execute(
            "SELECT id, session_id, start_time, end_time FROM session_slices WHERE session_id = ? "
            "ORDER BY start_epoch DESC, id DESC", (session.id,)).fetchall()
        found = [Slice(row[0], row[1], _parse_time(row[2]) or session.start_time, _parse_time(row[3]))
                 for row in rows]
        if (session.state == rules.ACTIVE and session.current_slice_start is not None
                and not any(piece.end is None for piece in found)):
            found.insert(0, Slice(0, session.id, session.current_slice_start, None))
        return found

    def overlap(self, project_id: int, session_id: int, start: datetime, end: datetime,
                now: datetime) -> tuple[Session, Slice] | None:
        """A slice of another session of the project that shares time with [start, end)."""
        row = self.conn.execute(
            f"""SELECT sl.id, sl.start_time, sl.end_time, {SESSION_COLUMNS}
                FROM session_slices sl JOIN sessions s ON s.id = sl.session_id
                WHERE s.project_id = :project AND sl.session_id <> :session AND sl.start_epoch < :end
                  AND COALESCE(sl.end_epoch, CASE WHEN s.state = 'active' THEN :now ELSE sl.start_epoch END) > :start
                ORDER BY sl.start_epoch LIMIT 1""",
            {"project": project_id, "session": session_id, "start": start.timestamp(), "end": end.timestamp(),
             "now": now.timestamp()}).fetchone()
        if row is None:
            return None
        other = session_from_row(row[3:])
        return other, Slice(row[0], other.id, _parse_time(row[1]) or other.start_time, _parse_time(row[2]))

    def replace_slices(self, session: Session, old: list[Slice], new: list[Slice], changes: dict[str, object],
                       summary: str) -> Session:
        """Write amended slices and the Go columns that agree with them, logged for undo, at once."""
        with self.transaction() as conn:
            before = _snapshot(conn, session.id)
            if _slice_ids(before) != sorted(piece.id for piece in old if piece.id):
                raise SessError("the session changed under us (another sess process?); try again")
            if changes:
                _update_session(conn, session.id, {column: _db_value(value) for column, value in changes.items()})
            _put_slices(conn, session.id, [
                (piece.id or None, timestamps.format_db(piece.start), timestamps.format_db(piece.end) if piece.end
                 else None, piece.start.timestamp(), piece.end.timestamp() if piece.end else None)
                for piece in sorted(new, key=lambda p: p.start)])
            data = {"before": before, "after": _snapshot(conn, session.id)["columns"]}
            self._log_undo(conn, session.project_id, session.id, "amend", summary, data)
        return self.session(session.id)

    def running_elsewhere(self, project_id: int) -> list[tuple[Project, Session]]:
        """Active sessions of other projects (for time.exclusive)."""
        rows = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS} FROM sessions s JOIN projects p ON p.id = s.project_id
                WHERE s.state = 'active' AND s.project_id <> ? ORDER BY s.id""", (project_id,)).fetchall()
        return [(project_from_row(row[:PROJECT_WIDTH]), session_from_row(row[PROJECT_WIDTH:])) for row in rows]

    # -- cancel --

    def cancel_session(self, session: Session, now: datetime) -> Session:
        return self.apply(session, rules.cancel(session, now), now, undo="cancel")

    # -- the undo log --

    @staticmethod
    def _log_undo(conn: sqlite3.Connection, project_id: int, session_id: int | None, action: str, summary: str,
                  data: dict[str, Any]) -> None:
        conn.execute("INSERT INTO undo_log (project_id, session_id, action, summary, data, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     (project_id, session_id, action, summary, json.dumps(data, sort_keys=True),
                      timestamps.format_db(timestamps.now())))
        conn.execute("""DELETE FROM undo_log WHERE project_id = ? AND id <= (
                            SELECT id FROM undo_log WHERE project_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                     (project_id, project_id, UNDO_DEPTH))

    def undo_entries(self, project_id: int, limit: int = UNDO_DEPTH) -> list[UndoEntry]:
        """Changes not undone yet, newest first."""
        rows = self.conn.execute(
            "SELECT id, project_id, session_id, action, summary, data, created_at FROM undo_log "
            "WHERE project_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT ?", (project_id, limit)).fetchall()
        return [UndoEntry(row[0], row[1], row[2], row[3], row[4], _json_data(row[5]), _parse_time(row[6]))
                for row in rows]

    def stopped_for(self, session_id: int, action: str) -> list[tuple[Project, UndoEntry]]:
        """The pauses time.exclusive made in other projects when this session was started or
        resumed, each while it is still the newest change in its project not undone."""
        found = []
        for (project_id,) in self.conn.execute(
                "SELECT DISTINCT project_id FROM undo_log WHERE action = 'pause' AND undone_at IS NULL "
                "AND data LIKE '%\"stopped_by\"%'").fetchall():
            newest = self.undo_entries(project_id, 1)
            if newest and newest[0].action == "pause" and \
                    newest[0].data.get("stopped_by") == {"session_id": session_id, "action": action}:
                found.append((self.project_by_id(project_id), newest[0]))
        return found

    def undo_snapshot(self, entry: UndoEntry) -> Session:
        """Put the session back as it was before a pause, resume or amend; cancel leaves it paused."""
        assert entry.session_id is not None
        with self.transaction() as conn:
            current = _snapshot(conn, entry.session_id)
            if current["columns"] != entry.data.get("after"):
                raise SessError(f"the session on {entry.summary} changed since that {entry.action} "
                                "(by another tool?); nothing was undone")
            if entry.action == "cancel" and entry.data["before"]["columns"]["state"] == rules.ACTIVE:
                # The clock stopped when the session was cancelled; it comes back paused there.
                columns = dict(current["columns"])
                columns.update(state=rules.PAUSED, pause_time=columns["end_time"], end_time=None,
                               current_slice_start=None, outcome=None)
                snapshot = {"columns": columns, "slices": current["slices"]}
            else:
                snapshot = entry.data["before"]
            try:
                _restore(conn, entry.session_id, snapshot)
            except sqlite3.IntegrityError:
                raise SessError("the project has another open session now; nothing was undone",
                                "End or cancel it first.") from None
            self._mark_undone(conn, entry.id)
            if snapshot is not entry.data["before"]:
                # Not back to exactly where that change began: the change before it, if it was on
                # this session, is to be undone from the state this undo left.
                self._expect(conn, entry, _snapshot(conn, entry.session_id)["columns"])
        return self.session(entry.session_id)

    def delete_started_session(self, entry: UndoEntry) -> None:
        """The database half of undoing a start: the session (and its slices) go."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE id = ?", (entry.session_id,))
            self._mark_undone(conn, entry.id)

    @staticmethod
    def _expect(conn: sqlite3.Connection, entry: UndoEntry, columns: dict[str, Any]) -> None:
        row = conn.execute("SELECT id, session_id, data FROM undo_log WHERE project_id = ? AND undone_at IS NULL "
                           "AND id < ? ORDER BY id DESC LIMIT 1", (entry.project_id, entry.id)).fetchone()
        if row is None or row[1] != entry.session_id:
            return
        data = json.loads(row[2] or "{}")
        if "after" in data:
            data["after"] = columns
            conn.execute("UPDATE undo_log SET data = ? WHERE id = ?", (json.dumps(data, sort_keys=True), row[0]))

    @staticmethod
    def _mark_undone(conn: sqlite3.Connection, entry_id: int) -> None:
        conn.execute("UPDATE undo_log SET undone_at = ? WHERE id = ?",
                     (timestamps.format_db(timestamps.now()), entry_id))



def _snapshot(conn: sqlite3.Connection, session_id: int) -> dict[str, Any]:
    """The session's changeable columns and its slices, as plain JSON values."""
    row = conn.execute(f"SELECT {', '.join(_SNAPSHOT_COLUMNS)} FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise SessError(f"session {session_id} no longer exists")
    slices = conn.execute("SELECT id, start_time, end_time, start_epoch, end_epoch FROM session_slices "
                          "WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
    return {"columns": dict(zip(_SNAPSHOT_COLUMNS, row, strict=True)), "slices": [list(piece) for piece in slices]}


def _slice_ids(snapshot: dict[str, Any]) -> list[int]:
    return sorted(int(piece[0]) for piece in snapshot["slices"])


def _restore(conn: sqlite3.Connection, session_id: int, snapshot: dict[str, Any]) -> None:
    columns = snapshot["columns"]
    _update_session(conn, session_id, {column: columns.get(column) for column in _SNAPSHOT_COLUMNS})
    _put_slices(conn, session_id, [tuple(piece) for piece in snapshot["slices"]])


def _update_session(conn: sqlite3.Connection, session_id: int, values: dict[str, Any]) -> None:
    """Set these columns (names from sess's own code, never from input) of one session."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    conn.execute(f"UPDATE sessions SET {assignments} WHERE id = ?", [*values.values(), session_id])


def _put_slices(conn: sqlite3.Connection, session_id: int, rows: list[tuple[Any, ...]]) -> None:
    """The session's slices, all replaced by `rows` of (id or None, start_time, end_time,
    start_epoch, end_epoch)."""
    conn.execute("DELETE FROM session_slices WHERE session_id = ?", (session_id,))
    conn.executemany("INSERT INTO session_slices (id, session_id, start_time, end_time, start_epoch, end_epoch) "
                     "VALUES (?, ?, ?, ?, ?, ?)", [(row[0], session_id, *row[1:]) for row in rows])


def _json_data(text: str | None) -> dict[str, Any]:
    """A JSON object kept in a column (undo data, the end journal); {} when it is unreadable."""
    try:
        data: dict[str, Any] = json.loads(text or "{}")
    except ValueError:
        return {}
    return data


def _journal_from_row(row: tuple[Any, ...] | None) -> Journal | None:
    if row is None or row[0] is None:
        return None
    return Journal(row[0], row[1], row[2], _json_data(row[3]), row[4], _parse_time(row[5]))


def _split_status_row(row: tuple[Any, ...]) -> tuple[Project, Session | None, Journal | None]:
    end_of_session = PROJECT_WIDTH + SESSION_WIDTH
    project = project_from_row(row[:PROJECT_WIDTH])
    session = session_from_row(row[PROJECT_WIDTH:end_of_session]) if row[PROJECT_WIDTH] is not None else None
    return project, session, _journal_from_row(row[end_of_session:])


# How many copies of the database from before a migration are kept (sess.db.bak-<version>).
BACKUPS_KEPT = 3


@contextmanager
def _migration_lock() -> Iterator[None]:
    """One migrating process at a time, so a copy is taken once, of the file as it was."""
    import fcntl

    locks = os.path.join(state_dir(), "locks")
    try:
        os.makedirs(locks, mode=0o700, exist_ok=True)
        handle = open(os.path.join(locks, "migrate.lock"), "w")  # noqa: SIM115 (held for the block)
    except OSError as exc:
        raise StoreError(f"cannot lock the database for its migration: {exc.strerror or exc}") from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_integrity(conn: sqlite3.Connection, path: str) -> None:
    """Refuse to migrate a damaged file: report what SQLite found, never "repair" it."""
    try:
        found = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        if _busy(exc):
            raise
        found = [str(exc)]
    if found != ["ok"]:
        shown = "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        raise StoreError(f"{path} is damaged: the integrity check found: {shown}",
                         "sess changed nothing and never replaces the file. SQLite's '.recover' "
                         "(sqlite3 sess.db .recover) can save what is readable into a new file.")


def _backup(conn: sqlite3.Connection, path: str, version: int) -> str:
    """A copy of the database as it is, through SQLite's backup API, before a migration changes it."""
    target = f"{path}.bak-{version}"
    partial = f"{target}.partial"
    try:
        with suppress(FileNotFoundError):
            os.unlink(partial)
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copy = sqlite3.connect(partial)
        try:
            conn.backup(copy)
        finally:
            copy.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        if isinstance(exc, sqlite3.Error) and _busy(exc):
            raise
        with suppress(OSError):
            os.unlink(partial)
        raise StoreError(f"could not keep a copy of {path} before migrating it ({exc}), so it was not migrated",
                         f"Make room in {os.path.dirname(path)}, then try again.") from exc
    _prune_backups(path)
    return target


def _prune_backups(path: str) -> None:
    import re

    directory, name = os.path.split(path)
    pattern = re.compile(re.escape(name) + r"\.bak-\d+")
    copies = [os.path.join(directory, entry) for entry in os.listdir(directory) if pattern.fullmatch(entry)]
    copies.sort(key=lambda copy: (os.stat(copy).st_mtime_ns, copy), reverse=True)
    for old in copies[BACKUPS_KEPT:]:
        with suppress(OSError):
            os.unlink(old)


def _busy(exc: sqlite3.Error) -> bool:
    """Still locked by another process once the busy timeout ran out."""
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _locked(path: str) -> StoreError:
    return StoreError(f"the database {path} stayed locked by another process for {BUSY_TIMEOUT_S:.0f}s",
                      "Try again once the other sess (or sqlite) process is done.")


def _make_private_file(directory: str, path: str) -> None:
    """Create the state directory (0700) and an empty database file (0600), never replacing one."""
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot create {path}: {exc.strerror}") from exc


@contextmanager
def project_lock(project_path: str, wait_s: float = BUSY_TIMEOUT_S) -> Iterator[None]:
    """Serialise workflows (start, pause, resume, end) on one repository across processes."""
    import fcntl
    import time
    import zlib  # not hashlib: loading OpenSSL costs start and end more than a lock name is worth

    locks = os.path.join(state_dir(), "locks")
    os.makedirs(locks, mode=0o700, exist_ok=True)
    key = project_path.encode()
    name = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}"
    with open(os.path.join(locks, f"{name}.lock"), "w") as handle:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SessError("another sess command is working in this repository",
                                    "Wait for it to finish, then try again.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
