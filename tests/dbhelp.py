"""Reading and poking the sess database from tests, with plain sqlite3 (no sess code)."""
from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any


def connect(db_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def rows(db_path: Path, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    conn = connect(db_path)
    try:
        return [dict(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def execute(db_path: Path, sql: str, params: Sequence[Any] = ()) -> None:
    conn = connect(db_path)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def sessions(db_path: Path) -> list[dict[str, Any]]:
    return rows(db_path, "SELECT * FROM sessions ORDER BY id")


def session_row(db_path: Path, session_id: int = 1) -> dict[str, Any]:
    return rows(db_path, "SELECT * FROM sessions WHERE id = ?", (session_id,))[0]


def open_sessions(db_path: Path) -> list[dict[str, Any]]:
    return rows(db_path, "SELECT * FROM sessions WHERE state IN ('active', 'paused') ORDER BY id")


def slices(db_path: Path, session_id: int) -> list[dict[str, Any]]:
    return rows(db_path, "SELECT * FROM session_slices WHERE session_id = ? ORDER BY id", (session_id,))


def stamp(moment: datetime) -> str:
    """A timestamp in the form sess writes."""
    return moment.astimezone().isoformat(sep=" ", timespec="microseconds")


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


# --- databases written by the Go tool -----------------------------------------------------

# The Go sess before v0.4: no current_slice_start, pr_number, pr_url.
GO_OLD_SCHEMA = """
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


def go_time(moment: datetime, zone: str = "CEST", offset_hours: int = 2, monotonic: bool = True) -> str:
    """Go's time.Time.String(): nanoseconds, numeric offset, zone abbreviation, monotonic reading."""
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    sign = "+" if offset_hours >= 0 else "-"
    text = f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond:06d}123 {sign}{abs(offset_hours):02d}00 {zone}"
    return text + (" m=+0.004211870" if monotonic else "")


def make_go_db(db_path: Path, v04: bool = False) -> sqlite3.Connection:
    """An empty database laid out as the Go tool left it (rollback journal, not WAL)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.executescript(GO_OLD_SCHEMA)
    if v04:
        conn.execute("ALTER TABLE sessions ADD COLUMN current_slice_start DATETIME")
    return conn
