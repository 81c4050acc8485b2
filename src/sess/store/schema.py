"""The schema: ordered, named, recorded migrations from the Go tool's tables on, and the copy
of the file that is kept before any of them runs."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from sess.errors import StoreError
from sess.state import state_dir
from sess.store.files import busy

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    pass

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


# A random version-4 uuid in SQLite's own terms, so that a row the Go tool inserts gets one too.
_NEW_UUID = ("lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) "
             "|| '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' "
             "|| hex(randomblob(6)))")


def _session_uuid(conn: sqlite3.Connection) -> None:
    # The identity a session keeps across machines (sync's records, a tracker's worklogs): the
    # row id is only this database's. Existing rows get one now; the trigger gives one to every
    # new row, ours and the Go tool's alike, which knows nothing of the column.
    if "uuid" not in _columns(conn, "sessions"):
        conn.execute("ALTER TABLE sessions ADD COLUMN uuid TEXT")
    conn.execute(f"UPDATE sessions SET uuid = {_NEW_UUID} WHERE uuid IS NULL")
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS ux_sessions_uuid ON sessions(uuid)")
    conn.execute(
        f"""CREATE TRIGGER IF NOT EXISTS sessions_uuid AFTER INSERT ON sessions
            FOR EACH ROW WHEN NEW.uuid IS NULL
            BEGIN UPDATE sessions SET uuid = {_NEW_UUID} WHERE id = NEW.id; END"""
    )


def _team_records(conn: sqlite3.Connection) -> None:
    # Teammates' session records as `sess sync` read them from refs/sess/v1/* on origin (and
    # yours from your other devices), apart from the Go tool's tables and your own sessions.
    # team_refs: each ref's tip when it was last read, so a sync reads only the refs that moved.
    _script(conn,
        """
        CREATE TABLE IF NOT EXISTS team_refs (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            ref TEXT NOT NULL,
            tip TEXT NOT NULL,
            tip_epoch REAL,
            PRIMARY KEY (project_id, ref)
        );
        CREATE TABLE IF NOT EXISTS team_sessions (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            uuid TEXT NOT NULL,
            ref TEXT NOT NULL,
            blob TEXT NOT NULL,
            actor_hash TEXT NOT NULL,
            device TEXT NOT NULL,
            actor_name TEXT NOT NULL,
            actor_email TEXT NOT NULL,
            branch TEXT NOT NULL,
            branch_type TEXT NOT NULL,
            issue_tracker TEXT,
            issue_id TEXT,
            issue_title TEXT,
            pr_number INTEGER,
            pr_url TEXT,
            state TEXT NOT NULL,
            outcome TEXT,
            start_epoch REAL NOT NULL,
            end_epoch REAL,
            elapsed_s INTEGER NOT NULL,
            slices TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (project_id, uuid)
        );
        CREATE INDEX IF NOT EXISTS idx_team_sessions_ref ON team_sessions(project_id, ref);
        CREATE INDEX IF NOT EXISTS idx_team_sessions_open ON team_sessions(project_id, state);
        CREATE INDEX IF NOT EXISTS idx_team_sessions_start ON team_sessions(project_id, start_epoch);
        """
    )


def _team_totals_index(conn: sqlite3.Connection) -> None:
    # For --team: totals and time by person from one pass over this index instead of the
    # records' rows (their slices and titles are most of the table), and each person's latest
    # name off its end.
    conn.execute("""CREATE INDEX IF NOT EXISTS idx_team_sessions_totals ON team_sessions(
                        project_id, actor_hash, start_epoch, state, outcome, elapsed_s, pr_number, pr_url)""")
    # and the longest completed session from the top of this one
    conn.execute("CREATE INDEX IF NOT EXISTS idx_team_sessions_longest ON team_sessions(project_id, elapsed_s, state)")


def _session_issue_tracker(conn: sqlite3.Connection) -> None:
    # Which tracker a session's issue came from (github, gitlab, jira, linear) and its address.
    # NULL (older rows, the Go tool's): a GitHub issue, whose address was never recorded.
    have = _columns(conn, "sessions")
    for name in ("issue_tracker", "issue_url"):
        if name not in have:
            conn.execute(f"ALTER TABLE sessions ADD COLUMN {name} TEXT")


def _worklog_pushed(conn: sqlite3.Connection) -> None:
    # What `sess worklog` sent to a tracker, per session and local day: one row per entry sent
    # (a later difference is a row of its own). `state` is 'pending' from just before the
    # tracker is asked until its answer is recorded ('pushed'): a pending row that outlives its
    # command is an entry that may or may not have arrived (kill -9 in between).
    _script(conn,
        """
        CREATE TABLE IF NOT EXISTS worklog_pushed (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            seconds INTEGER NOT NULL,
            tracker TEXT NOT NULL,
            issue_id TEXT NOT NULL,
            state TEXT NOT NULL CHECK(state IN ('pending', 'pushed')),
            remote_id TEXT,
            created_at DATETIME NOT NULL
        );
        CREATE INDEX IF NOT EXISTS idx_worklog_pushed_session ON worklog_pushed(session_id, day);
        """
    )


def _several_open_sessions(conn: sqlite3.Connection) -> None:
    # SPEC Part 3: a project may hold several open sessions. What stays enforced by the file
    # itself: one open session per branch (two racing starts of one branch still make one), and
    # one running clock per project. `parked_stash`: the stash commit holding a parked session's
    # changes; `worktree`: the linked worktree sess made for the session (NULL: the main one).
    conn.execute("DROP INDEX IF EXISTS ux_sessions_one_open")
    have = _columns(conn, "sessions")
    for name in ("parked_stash", "worktree"):
        if name not in have:
            conn.execute(f"ALTER TABLE sessions ADD COLUMN {name} TEXT")
    _script(conn,
        """
        CREATE UNIQUE INDEX IF NOT EXISTS ux_sessions_open_branch ON sessions(project_id, branch)
            WHERE state IN ('active', 'paused');
        CREATE UNIQUE INDEX IF NOT EXISTS ux_sessions_one_running ON sessions(project_id)
            WHERE state = 'active';
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
    ("0012_sessions_uuid", _session_uuid),
    ("0013_team_records", _team_records),
    ("0014_team_totals_index", _team_totals_index),
    ("0015_sessions_issue_tracker", _session_issue_tracker),
    ("0016_worklog_pushed", _worklog_pushed),
    ("0017_several_open_sessions", _several_open_sessions),
]


# How many copies of the database from before a migration are kept (sess.db.bak-<version>).
BACKUPS_KEPT = 3


@contextmanager
def migration_lock() -> Iterator[None]:
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


def check_integrity(conn: sqlite3.Connection, path: str) -> None:
    """Refuse to migrate a damaged file: report what SQLite found, never "repair" it."""
    try:
        found = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        if busy(exc):
            raise
        found = [str(exc)]
    if found != ["ok"]:
        shown = "; ".join(found[:3]) + (f" (and {len(found) - 3} more)" if len(found) > 3 else "")
        raise StoreError(f"{path} is damaged: the integrity check found: {shown}",
                         "sess changed nothing and never replaces the file. SQLite's '.recover' "
                         "(sqlite3 sess.db .recover) can save what is readable into a new file.")


def backup(conn: sqlite3.Connection, path: str, version: int) -> str:
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
        if isinstance(exc, sqlite3.Error) and busy(exc):
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

