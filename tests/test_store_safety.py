"""Before a migration changes the database: a copy through SQLite's backup API (the last three
kept), a damaged file reported and left alone, a failed migration that says where the copy is."""
from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dbhelp import connect, go_time, make_go_db, rows

from sess.store import MIGRATIONS

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

NS = 1_000_000_000


def go_database(db_path: Path, repo: Repo, sessions: int = 3) -> list[dict[str, object]]:
    """A Go tool's database (no migrations yet) holding a project and a few sessions."""
    conn = make_go_db(db_path)
    t = go_time(time_ago(3600))
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)", (str(repo.path), t, t))
    for n in range(1, sessions + 1):
        conn.execute("INSERT INTO sessions VALUES (?, 1, ?, '', '', 'ended', ?, NULL, ?, ?, 'feature')",
                     (n, f"feature/s{n}", t, t, 60 * NS))
    conn.close()
    return rows(db_path, "SELECT * FROM sessions ORDER BY id")


def time_ago(seconds: float) -> object:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(seconds=seconds)


def backups(db_path: Path) -> list[str]:
    return sorted(p.name for p in db_path.parent.iterdir() if p.name.startswith("sess.db.bak-"))


def test_a_copy_is_kept_before_migrating(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    before = go_database(db_path, repo)
    sess("history", check=0)
    assert backups(db_path) == ["sess.db.bak-0"]
    copy = db_path.parent / "sess.db.bak-0"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert rows(copy, "SELECT * FROM sessions ORDER BY id") == before  # as the Go tool left it
    assert rows(copy, "PRAGMA user_version") == [{"user_version": 0}]
    assert not rows(copy, "SELECT name FROM sqlite_master WHERE name = 'schema_migrations'")
    assert rows(db_path, "PRAGMA user_version") == [{"user_version": len(MIGRATIONS)}]
    sess("history", check=0)  # nothing left to migrate: no new copy
    assert backups(db_path) == ["sess.db.bak-0"]


def test_a_fresh_database_needs_no_copy(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    assert backups(db_path) == []


def test_the_last_three_copies_are_kept(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    go_database(db_path, repo)
    for n, age in ((1, 400), (2, 300), (3, 200)):
        older = db_path.parent / f"sess.db.bak-{n}"
        older.write_bytes(b"an older copy")
        os.utime(older, (time.time() - age, time.time() - age))
    keep = db_path.parent / "sess.db.bak-notes"  # not one of ours
    keep.write_text("mine")
    sess("history", check=0)
    assert backups(db_path) == ["sess.db.bak-0", "sess.db.bak-2", "sess.db.bak-3", "sess.db.bak-notes"]


def test_a_failed_migration_says_where_the_copy_is(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    go_database(db_path, repo)
    conn = connect(db_path)
    # A table in the way of migration 0006, as a hand-edited or foreign database might have it.
    conn.execute("CREATE TABLE session_slices (id INTEGER PRIMARY KEY, session_id INTEGER, start_time TEXT)")
    conn.execute("UPDATE sessions SET state = 'active' WHERE id = 3")
    conn.close()
    r = sess("history", check=1)
    first = r.err.splitlines()[0]
    assert first.startswith(f"Error: could not migrate {db_path}: step 0006_session_slices failed"), r
    assert f"kept at {db_path}.bak-0" in r.err and "Traceback" not in r.err
    assert (db_path.parent / "sess.db.bak-0").exists()
    # The steps before the failing one are done; the failing one changed nothing.
    assert rows(db_path, "PRAGMA user_version") == [{"user_version": 5}]
    assert "start_epoch" not in {c["name"] for c in rows(db_path, "PRAGMA table_info(session_slices)")}


def test_a_damaged_database_is_reported_and_left_alone(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    go_database(db_path, repo, sessions=400)
    conn = sqlite3.connect(db_path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'idx_sessions_state'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert root > 1
    with open(db_path, "r+b") as handle:  # scribble over the index's root page: its header and cell pointers
        handle.seek((root - 1) * page_size + 8)
        handle.write(b"\xff" * 64)
    damaged = db_path.read_bytes()
    r = sess("history")
    assert r.code == 1, r
    assert r.err.startswith(f"Error: {db_path} is damaged: the integrity check found: "), r
    assert ".recover" in r.err and "Traceback" not in r.err
    assert db_path.read_bytes() == damaged  # never "repaired", never replaced
    assert backups(db_path) == []
