"""Where sess keeps its state: `$SESS_HOME`, else `~/.sess-cli`; the database is `sess.db` in it.

Only `os`: `sess prompt` needs the path on every shell prompt.
"""

from __future__ import annotations

import os


def state_dir() -> str:
    return os.environ.get("SESS_HOME") or os.path.join(os.path.expanduser("~"), ".sess-cli")


def db_path() -> str:
    return os.path.join(state_dir(), "sess.db")


def is_database_file(path: str) -> bool:
    """Whether `path` is the database or one of the files SQLite keeps beside it (its write-ahead
    log, shared memory, rollback journal), which nothing but SQLite may write, truncate or delete:
    the log holds changes committed but not yet folded into sess.db (issue 15, item 10)."""
    database = os.path.realpath(db_path())
    return os.path.realpath(path) in {database, *(database + suffix for suffix in ("-wal", "-shm", "-journal"))}
