"""Every session has a uuid: the identity it keeps across machines (sync, trackers' worklogs)."""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from dbhelp import connect, execute, go_time, make_go_db, rows, sessions

if TYPE_CHECKING:
    from conftest import Repo, SessRunner

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_new_sessions_get_a_uuid(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "one", "--no-issue", check=0)
    sess("cancel", check=0)
    sess("start", "two", "--no-issue", check=0)
    uuids = [row["uuid"] for row in sessions(db_path)]
    assert len(uuids) == 2 and len(set(uuids)) == 2
    assert all(UUID4.match(uuid) for uuid in uuids), uuids


def test_go_rows_get_uuids_on_migration_and_after(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    conn = make_go_db(db_path)
    moment = go_time(datetime(2026, 4, 2, 8, 0, 0))
    conn.execute("INSERT INTO projects VALUES (1, 'widgets', ?, ?, ?, 'main', 1)",
                 (repo.git("rev-parse", "--show-toplevel"), moment, moment))
    for n in range(1, 4):
        conn.execute("INSERT INTO sessions VALUES (?, 1, ?, '', '', 'ended', ?, NULL, ?, 0, 'feature')",
                     (n, f"feature/w{n}", moment, moment))
    conn.close()

    sess("history", check=0)  # opening migrates
    migrated = [row["uuid"] for row in sessions(db_path)]
    assert len(set(migrated)) == 3 and all(UUID4.match(uuid) for uuid in migrated), migrated

    # A row the Go tool inserts later, knowing nothing of the column, gets one as well.
    execute(db_path, "INSERT INTO sessions (project_id, branch, issue_id, issue_title, state, start_time, "
                     "total_elapsed, branch_type) VALUES (1, 'feature/go', '', '', 'ended', ?, 0, 'feature')",
            (moment,))
    later = rows(db_path, "SELECT uuid FROM sessions WHERE branch = 'feature/go'")[0]["uuid"]
    assert UUID4.match(later) and later not in migrated
    # and the column is unique: a copied uuid is refused
    conn = connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("UPDATE sessions SET uuid = ? WHERE id = 2", (migrated[0],))
    finally:
        conn.close()
