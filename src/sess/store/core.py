"""The store: the only module that speaks SQL.

The database is the Go sess v0.4 file (`$SESS_HOME/sess.db`, else `~/.sess-cli/sess.db`), kept
readable by it. Migrations are ordered, named and recorded; each runs in one transaction.
WAL and a busy timeout let concurrent invocations wait for each other instead of failing.
"""


from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime

from sess import rules, timestamps
from sess.errors import SessError, StoreError
from sess.rules import Project, Session, Slice
from sess.state import state_dir
from sess.store.files import BUSY_TIMEOUT_S, busy, locked_error, make_private_file
from sess.store.rows import (
    JOURNAL_COLUMNS,
    PROJECT_COLUMNS,
    PROJECT_WIDTH,
    SESSION_COLUMNS,
    Journal,
    SessionConflict,
    db_value,
    journal_from_row,
    parse_time,
    project_from_row,
    put_slices,
    session_from_row,
    split_status_row,
    update_session,
)
from sess.store.schema import MIGRATIONS, backup, check_integrity, migration_lock
from sess.store.undo import UndoMixin, slice_ids, take_snapshot

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

class Store(UndoMixin):
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
            make_private_file(directory, path)
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
            if busy(exc):
                raise locked_error(path) from exc
            from sess.failures import database_error

            # "Move the file aside" only when it is not a database: never for a full disk or a
            # read-only file, where that advice would move a user's history away.
            raise database_error(exc, path) from exc
        return store

    def _migrate(self) -> None:
        conn, path = self.conn, self.path
        with migration_lock():
            # Re-read under the lock: a concurrent process may have migrated meanwhile.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= len(MIGRATIONS):
                return
            kept_copy = None
            if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():  # not a brand-new file
                check_integrity(conn, path)
                kept_copy = backup(conn, path, version)
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
                    if isinstance(exc, sqlite3.Error) and busy(exc):
                        raise
                    kept = (f"The database as it was before is kept at {kept_copy}." if kept_copy else
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
            if busy(exc):
                raise locked_error(self.path) from exc
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

    def set_session_base(self, session_id: int, branch: str) -> None:
        """`end --base B`: the session is re-targeted (rebased onto B, its PR against B)."""
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET base_branch = ? WHERE id = ?", (branch, session_id))

    def projects_with_open_sessions(self) -> list[tuple[Project, Session | None, Journal | None, int]]:
        """Every tracked project with the session `projects` shows (the running one, else the
        newest open one), its unfinished end, and how many sessions are open."""
        rows = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS}, {JOURNAL_COLUMNS},
                       (SELECT COUNT(*) FROM sessions o WHERE o.project_id = p.id AND o.state IN ('active', 'paused'))
                FROM projects p
                LEFT JOIN sessions s ON s.id = (
                    SELECT o.id FROM sessions o WHERE o.project_id = p.id AND o.state IN ('active', 'paused')
                    ORDER BY o.state = 'active' DESC, o.id DESC LIMIT 1)
                LEFT JOIN end_journal j ON j.session_id = s.id
                WHERE p.is_active = 1
                ORDER BY p.last_used_at DESC, p.id DESC"""
        ).fetchall()
        return [(*split_status_row(row[:-1]), int(row[-1])) for row in rows]

    def merge_project(self, old_path: str, main_path: str, name: str) -> None:
        """A linked worktree that an earlier sess tracked as a project of its own becomes part of
        its main work tree's project (SPEC Part 3), sessions, slices and undo log kept."""
        with self.transaction() as conn:
            old = conn.execute("SELECT id FROM projects WHERE path = ?", (old_path,)).fetchone()
            if old is None:
                return
            main = conn.execute("SELECT id FROM projects WHERE path = ?", (main_path,)).fetchone()
            if main is None:
                conn.execute("UPDATE projects SET path = ?, name = ? WHERE id = ?", (main_path, name, old[0]))
                return
            # One clock per project: the merged project's running clock stops if the main one runs.
            running = conn.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? AND s.state = 'active'",
                (main[0],)).fetchone()
            if running is not None:
                now = timestamps.now()
                for row in conn.execute(f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? "
                                        "AND s.state = 'active'", (old[0],)).fetchall():
                    other = session_from_row(row)
                    self._transition(conn, other, rules.pause(other, now), now)
            try:
                for table in ("sessions", "undo_log"):
                    conn.execute(f"UPDATE {table} SET project_id = ? WHERE project_id = ?", (main[0], old[0]))
            except sqlite3.IntegrityError:  # the same branch open in both: leave them apart
                raise SessError(f"{old_path} was tracked as a project of its own and cannot be merged "
                                f"into {main_path}: both have an open session on the same branch",
                                "End or cancel one of them, then try again.") from None
            conn.execute("DELETE FROM projects WHERE id = ?", (old[0],))

    # -- sessions --

    def open_sessions(self, project_id: int) -> list[Session]:
        """The project's open sessions, the running one first, then newest first."""
        rows = self.conn.execute(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? AND s.state IN ('active', 'paused') "
            "ORDER BY s.state = 'active' DESC, s.id DESC", (project_id,)).fetchall()
        return [session_from_row(row) for row in rows]

    def status_all(self, path: str) -> tuple[Project | None, list[tuple[Session, Journal | None]]]:
        """The project at `path` and its open sessions (the running one first, then newest
        first), each with its unfinished end: one read."""
        rows = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS}, {JOURNAL_COLUMNS}
                FROM projects p
                LEFT JOIN sessions s ON s.project_id = p.id AND s.state IN ('active', 'paused')
                LEFT JOIN end_journal j ON j.session_id = s.id
                WHERE p.path = ?
                ORDER BY s.state = 'active' DESC, s.id DESC""",
            (path,),
        ).fetchall()
        if not rows:
            return None, []
        found = [split_status_row(row) for row in rows]
        return found[0][0], [(session, journal) for _, session, journal in found if session is not None]

    def set_parked(self, session_id: int, stash: str | None) -> None:
        """Record (or clear) the stash commit that holds a session's parked changes."""
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET parked_stash = ? WHERE id = ?", (stash, session_id))

    def set_worktree(self, session_id: int, path: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET worktree = ? WHERE id = ?", (path, session_id))

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
        return split_status_row(row)

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
                      base_branch: str | None = None, undo: dict[str, Any] | None = None,
                      issue_tracker: str | None = None, issue_url: str | None = None,
                      pausing: Session | None = None, worktree: str | None = None,
                      open_ids: tuple[int, ...] = (), pr: tuple[int, str] | None = None) -> Session:
        """`pausing`: the project's running session, paused at the same instant (one clock per
        project); `worktree`: the linked worktree made for the session; `open_ids`: the open
        sessions the start was decided with (another start that won a race changes them)."""
        stamp = timestamps.format_db(now)
        try:
            with self.transaction() as conn:
                found = conn.execute("SELECT id FROM sessions WHERE project_id = ? AND state IN ('active', 'paused')",
                                     (project_id,)).fetchall()
                if sorted(row[0] for row in found) != sorted(open_ids):
                    raise SessionConflict("the project's open sessions changed meanwhile")
                paused = self._hand_over(conn, pausing, now)
                cursor = conn.execute(
                    """INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time,
                           total_elapsed, branch_type, current_slice_start, start_epoch, base_branch,
                           issue_tracker, issue_url)
                       VALUES (?, ?, ?, ?, 'active', ?, 0, ?, ?, ?, ?, ?, ?)""",
                    # '' for no issue, as the Go tool wrote it, so it reads our rows too.
                    (project_id, branch, issue_id or "", issue_title or "", stamp, branch_type, stamp,
                     now.timestamp(), base_branch, issue_tracker if issue_id else None,
                     issue_url if issue_id else None),
                )
                session_id = cursor.lastrowid
                assert session_id is not None
                if worktree is not None:
                    conn.execute("UPDATE sessions SET worktree = ? WHERE id = ?", (worktree, session_id))
                if pr is not None:  # a review of someone else's PR (start --pr): known from the start
                    conn.execute("UPDATE sessions SET pr_number = ?, pr_url = ? WHERE id = ?", (*pr, session_id))
                self._log_handover(conn, paused, session_id, "start")
                conn.execute("INSERT INTO session_slices (session_id, start_time, start_epoch) VALUES (?, ?, ?)",
                             (session_id, stamp, now.timestamp()))
                conn.execute("UPDATE projects SET last_used_at = ? WHERE id = ?",
                             (timestamps.format_db(timestamps.now()), project_id))
                if undo is not None:
                    self._log_undo(conn, project_id, session_id, "start", branch, undo)
        except sqlite3.IntegrityError as exc:
            raise SessionConflict(f"the project already has an open session on {branch}") from exc
        return self.session(session_id)

    def _hand_over(self, conn: sqlite3.Connection, pausing: Session | None,
                   now: datetime) -> tuple[Session, dict[str, Any]] | None:
        """Pause `pausing` at `now` inside the caller's transaction; what the undo log needs."""
        if pausing is None:
            return None
        before = take_snapshot(conn, pausing.id)
        if pausing.state == rules.ACTIVE:
            self._transition(conn, pausing, rules.pause(pausing, now), now)
        return pausing, before

    def _log_handover(self, conn: sqlite3.Connection, paused: tuple[Session, dict[str, Any]] | None,
                      session_id: int, action: str) -> None:
        # Logged before the start or resume it made room for, so undoing that one finds it next.
        if paused is None or paused[0].state != rules.ACTIVE:
            return
        other, before = paused
        self._log_undo(conn, other.project_id, other.id, "pause", other.branch, {
            "before": before, "after": take_snapshot(conn, other.id)["columns"],
            "stopped_by": {"session_id": session_id, "action": action}})

    def apply(self, session: Session, changes: dict[str, object], now: datetime,
              undo: str | None = None, stopped_by: tuple[int, str] | None = None,
              undo_data: dict[str, Any] | None = None,
              pausing: Session | None = None, unparked: bool = False) -> Session:
        """Write a transition from `rules`, keeping the slice table in step, in one transaction.

        With `undo` (the action's name), what it takes to revert it goes in the undo log;
        `stopped_by`: (session id, "start" or "resume") when time.exclusive made this pause, so
        that undoing that start or resume starts this clock again (`stopped_for`); `undo_data`:
        more that the undo needs (the stash a cancel made, say); `pausing`: the project's running
        session, paused at the same instant (one clock per project); `unparked`: this session's
        parked changes are back.
        """
        with self.transaction() as conn:
            paused = self._hand_over(conn, pausing, now)
            if undo and paused is not None:
                self._log_handover(conn, paused, session.id, undo)
            before = take_snapshot(conn, session.id) if undo else None
            self._transition(conn, session, changes, now)
            if unparked:
                conn.execute("UPDATE sessions SET parked_stash = NULL WHERE id = ?", (session.id,))
            if undo and before is not None:
                data: dict[str, Any] = {"before": before, "after": take_snapshot(conn, session.id)["columns"]}
                if stopped_by is not None:
                    data["stopped_by"] = {"session_id": stopped_by[0], "action": stopped_by[1]}
                data.update(undo_data or {})
                self._log_undo(conn, session.project_id, session.id, undo, session.branch, data)
        return self.session(session.id)

    @classmethod
    def _transition(cls, conn: sqlite3.Connection, session: Session, changes: dict[str, object],
                    now: datetime) -> None:
        current = conn.execute("SELECT state FROM sessions WHERE id = ?", (session.id,)).fetchone()
        if current is None or current[0] != session.state:
            raise SessError("the session changed under us (another sess process?); try again")
        update_session(conn, session.id, {column: db_value(value) for column, value in changes.items()})
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

    def ended_sessions(self, project_id: int, branch: str) -> list[Session]:
        """The project's ended sessions on `branch`, newest first."""
        rows = self.conn.execute(
            f"SELECT {SESSION_COLUMNS} FROM sessions s WHERE s.project_id = ? AND s.branch = ? AND s.state = 'ended' "
            "ORDER BY s.id DESC", (project_id, branch)).fetchall()
        return [session_from_row(row) for row in rows]

    def reopen_session(self, session: Session, now: datetime, pausing: Session | None = None) -> Session:
        """An ended session active again with a new slice, outcome cleared; the project's running
        clock (`pausing`) stops at that instant. Logged for undo as "reopen"."""
        try:
            with self.transaction() as conn:
                paused = self._hand_over(conn, pausing, now)
                self._log_handover(conn, paused, session.id, "reopen")
                before = take_snapshot(conn, session.id)
                self._transition(conn, session, rules.reopen(session, now), now)
                self._log_undo(conn, session.project_id, session.id, "reopen", session.branch,
                               {"before": before, "after": take_snapshot(conn, session.id)["columns"]})
        except sqlite3.IntegrityError as exc:
            raise SessionConflict(f"another session is open on {session.branch}") from exc
        return self.session(session.id)

    # -- the end journal --

    def journal(self, session_id: int) -> Journal | None:
        row = self.conn.execute(f"SELECT {JOURNAL_COLUMNS} FROM end_journal j WHERE j.session_id = ?",
                                (session_id,)).fetchone()
        return journal_from_row(row)

    def save_journal(self, session_id: int, step: str, status: str, data: dict[str, Any],
                     error: str | None = None) -> None:
        import json

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
        found = [Slice(row[0], row[1], parse_time(row[2]) or session.start_time, parse_time(row[3]))
                 for row in rows]
        if (session.state == rules.ACTIVE and session.current_slice_start is not None
                and not any(piece.end is None for piece in found)):
            found.insert(0, Slice(0, session.id, session.current_slice_start, None))
        return found

    def overlap(self, project_id: int, session_id: int, start: datetime, end: datetime,
                now: datetime, anywhere: bool = False, closed_elsewhere: bool = False) -> tuple[Session, Slice] | None:
        """A slice of another session of the project (`anywhere`: of any project;
        `closed_elsewhere`: and the ended slices of other projects) that shares time with [start, end)."""
        row = self.conn.execute(
            f"""SELECT sl.id, sl.start_time, sl.end_time, {SESSION_COLUMNS}
                FROM session_slices sl JOIN sessions s ON s.id = sl.session_id
                WHERE (s.project_id = :project OR :anywhere OR (:closed AND sl.end_epoch IS NOT NULL))
                  AND sl.session_id <> :session AND sl.start_epoch < :end
                  AND COALESCE(sl.end_epoch, CASE WHEN s.state = 'active' THEN :now ELSE sl.start_epoch END) > :start
                ORDER BY sl.start_epoch LIMIT 1""",
            {"project": project_id, "session": session_id, "start": start.timestamp(), "end": end.timestamp(),
             "now": now.timestamp(), "anywhere": anywhere, "closed": closed_elsewhere}).fetchone()
        if row is None:
            return None
        other = session_from_row(row[3:])
        return other, Slice(row[0], other.id, parse_time(row[1]) or other.start_time, parse_time(row[2]))

    def stopped_elsewhere(self, project_id: int, start: datetime, end: datetime) -> tuple[Session, Slice] | None:
        """An ended slice of another project's session that shares time with [start, end)."""
        row = self.conn.execute(
            f"""SELECT sl.id, sl.start_time, sl.end_time, {SESSION_COLUMNS}
                FROM session_slices sl JOIN sessions s ON s.id = sl.session_id
                WHERE s.project_id <> ? AND sl.end_epoch IS NOT NULL AND sl.start_epoch < ? AND sl.end_epoch > ?
                ORDER BY sl.start_epoch LIMIT 1""", (project_id, end.timestamp(), start.timestamp())).fetchone()
        if row is None:
            return None
        other = session_from_row(row[3:])
        return other, Slice(row[0], other.id, parse_time(row[1]) or other.start_time, parse_time(row[2]))

    def replace_slices(self, session: Session, old: list[Slice], new: list[Slice], changes: dict[str, object],
                       summary: str) -> Session:
        """Write amended slices and the Go columns that agree with them, logged for undo, at once."""
        with self.transaction() as conn:
            before = take_snapshot(conn, session.id)
            if slice_ids(before) != sorted(piece.id for piece in old if piece.id):
                raise SessError("the session changed under us (another sess process?); try again")
            if changes:
                update_session(conn, session.id, {column: db_value(value) for column, value in changes.items()})
            put_slices(conn, session.id, [
                (piece.id or None, timestamps.format_db(piece.start), timestamps.format_db(piece.end) if piece.end
                 else None, piece.start.timestamp(), piece.end.timestamp() if piece.end else None)
                for piece in sorted(new, key=lambda p: p.start)])
            data = {"before": before, "after": take_snapshot(conn, session.id)["columns"]}
            self._log_undo(conn, session.project_id, session.id, "amend", summary, data)
        return self.session(session.id)

    def running_elsewhere(self, project_id: int) -> list[tuple[Project, Session]]:
        """Active sessions of other projects (for time.exclusive)."""
        rows = self.conn.execute(
            f"""SELECT {PROJECT_COLUMNS}, {SESSION_COLUMNS} FROM sessions s JOIN projects p ON p.id = s.project_id
                WHERE s.state = 'active' AND s.project_id <> ? ORDER BY s.id""", (project_id,)).fetchall()
        return [(project_from_row(row[:PROJECT_WIDTH]), session_from_row(row[PROJECT_WIDTH:])) for row in rows]

    # -- cancel --

    def cancel_session(self, session: Session, now: datetime, stash: str | None = None) -> Session:
        """`stash`: the stash commit the cancel left the changes in, for its undo to re-apply."""
        return self.apply(session, rules.cancel(session, now), now, undo="cancel",
                          undo_data={"stash": stash} if stash else None)

    # -- the undo log --
