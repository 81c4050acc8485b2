"""The store's read for `sess prompt`: the open session of one project, in one query.

On every shell prompt, so: the database opened as it is (never created, never migrated), a short
busy timeout, and nothing imported beyond SQLite's C module. The running slice's start is turned into
epoch seconds by SQLite (`julianday` reads the `YYYY-MM-DD HH:MM:SS.ffffff+HH:MM` sess writes);
only a form SQLite cannot read (the Go tool's) is left to `sess.timestamps`.
"""

from __future__ import annotations

import os

try:
    # The C module alone: the `sqlite3` package adds its datetime adapters, a fifth of the
    # prompt's whole budget, for nothing the prompt reads.
    import _sqlite3 as sqlite
except ImportError:  # an interpreter without it (PyPy): the package, slower but the same calls
    import sqlite3 as sqlite  # type: ignore[no-redef]

# A prompt that waits is worse than a prompt without the session.
BUSY_TIMEOUT_S = 0.5

# Unix epoch as a Julian day number.
_UNIX_EPOCH_JD = 2440587.5

_OPEN_SESSION = f"""
    SELECT s.branch, s.state, s.issue_id, s.total_elapsed, s.current_slice_start,
           (julianday(s.current_slice_start) - {_UNIX_EPOCH_JD}) * 86400.0
    FROM projects p JOIN sessions s ON s.project_id = p.id
    WHERE p.path = ? AND s.state IN ('active', 'paused')
    ORDER BY s.state = 'active' DESC, s.id DESC
"""


class OpenSession:
    """What the prompt shows: branch, state, issue, and the time recorded so far."""

    __slots__ = ("branch", "state", "issue_id", "total_elapsed_ns", "slice_start", "slice_start_epoch")

    def __init__(self, row: tuple[object, ...]) -> None:
        branch, state, issue_id, total, slice_start, slice_epoch = row
        self.branch = str(branch)
        self.state = str(state)
        self.issue_id = str(issue_id).strip().lstrip("#") if issue_id is not None else ""
        self.total_elapsed_ns = int(total) if isinstance(total, (int, float)) else 0
        self.slice_start = str(slice_start) if slice_start is not None else None
        self.slice_start_epoch = float(slice_epoch) if isinstance(slice_epoch, (int, float)) else None


def open_sessions(db_path: str, top: str) -> list[OpenSession]:
    """The open sessions of the project at `top` (its main work tree), the running one first,
    then newest first; [] when there are none (or no database)."""
    if not os.path.isfile(db_path):
        return []
    conn = sqlite.connect(db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        rows = conn.execute(_OPEN_SESSION, (top,)).fetchall()
    finally:
        conn.close()
    return [OpenSession(row) for row in rows]
