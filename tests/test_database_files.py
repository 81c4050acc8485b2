"""sess never writes, truncates or deletes the database's files outside SQLite (issue 15, item
10): the write-ahead log holds another command's committed changes until SQLite folds them in."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from conftest import Repo, SessRunner


def test_a_report_is_never_written_over_the_write_ahead_log(sess: SessRunner, repo: Repo, db_path: Path) -> None:
    sess("start", "x", "--no-issue", check=0)
    reader = sqlite3.connect(db_path)  # open, as another command would be: the log stays
    try:
        assert reader.execute("SELECT count(*) FROM sessions").fetchall() == [(1,)]
        sess("pause", check=0)  # committed into the log
        wal = db_path.with_name("sess.db-wal")
        before = (wal.stat().st_ino, wal.read_bytes())
        for target in (wal, db_path, db_path.with_name("sess.db-shm")):
            r = sess("report", "--html", str(target), check=2)
            assert "a report never replaces it" in r.err, r
        assert (wal.stat().st_ino, wal.read_bytes()) == before
        assert reader.execute("SELECT state FROM sessions").fetchall() == [("paused",)]
    finally:
        reader.close()
    assert "paused" in sess("status", check=0).out
