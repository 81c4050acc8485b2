"""The undo log: what each change kept, and putting a session back as it was."""

from __future__ import annotations

import sqlite3

from sess import rules, timestamps
from sess.errors import SessError
from sess.rules import Project, Session
from sess.store.rows import SNAPSHOT_COLUMNS, UNDO_DEPTH, UndoEntry, json_data, parse_time, put_slices, update_session

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any


class UndoMixin:
    """The Store's undo log; the store's own calls it relies on are declared for the type checker."""

    conn: sqlite3.Connection
    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def session(self, session_id: int) -> Session: ...
        def project_by_id(self, project_id: int) -> Project: ...

    @staticmethod
    def _log_undo(conn: sqlite3.Connection, project_id: int, session_id: int | None, action: str, summary: str,
                  data: dict[str, Any]) -> None:
        import json

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
        return [UndoEntry(row[0], row[1], row[2], row[3], row[4], json_data(row[5]), parse_time(row[6]))
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
            current = take_snapshot(conn, entry.session_id)
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
                restore_snapshot(conn, entry.session_id, snapshot)
            except sqlite3.IntegrityError:
                raise SessError("the project has another open session now; nothing was undone",
                                "End or cancel it first.") from None
            self._mark_undone(conn, entry.id)
            if snapshot is not entry.data["before"]:
                # Not back to exactly where that change began: the change before it, if it was on
                # this session, is to be undone from the state this undo left.
                self._expect(conn, entry, take_snapshot(conn, entry.session_id)["columns"])
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
        import json

        data = json.loads(row[2] or "{}")
        if "after" in data:
            data["after"] = columns
            conn.execute("UPDATE undo_log SET data = ? WHERE id = ?", (json.dumps(data, sort_keys=True), row[0]))

    @staticmethod
    def _mark_undone(conn: sqlite3.Connection, entry_id: int) -> None:
        conn.execute("UPDATE undo_log SET undone_at = ? WHERE id = ?",
                     (timestamps.format_db(timestamps.now()), entry_id))



def take_snapshot(conn: sqlite3.Connection, session_id: int) -> dict[str, Any]:
    """The session's changeable columns and its slices, as plain JSON values."""
    row = conn.execute(f"SELECT {', '.join(SNAPSHOT_COLUMNS)} FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        raise SessError(f"session {session_id} no longer exists")
    slices = conn.execute("SELECT id, start_time, end_time, start_epoch, end_epoch FROM session_slices "
                          "WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
    return {"columns": dict(zip(SNAPSHOT_COLUMNS, row, strict=True)), "slices": [list(piece) for piece in slices]}


def slice_ids(snapshot: dict[str, Any]) -> list[int]:
    return sorted(int(piece[0]) for piece in snapshot["slices"])


def restore_snapshot(conn: sqlite3.Connection, session_id: int, snapshot: dict[str, Any]) -> None:
    columns = snapshot["columns"]
    update_session(conn, session_id, {column: columns.get(column) for column in SNAPSHOT_COLUMNS})
    put_slices(conn, session_id, [tuple(piece) for piece in snapshot["slices"]])


