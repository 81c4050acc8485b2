"""Where sess keeps its state: `$SESS_HOME`, else `~/.sess-cli`; the database is `sess.db` in it.

Only `os`: `sess prompt` needs the path on every shell prompt.
"""

from __future__ import annotations

import os


def state_dir() -> str:
    return os.environ.get("SESS_HOME") or os.path.join(os.path.expanduser("~"), ".sess-cli")


def db_path() -> str:
    return os.path.join(state_dir(), "sess.db")
