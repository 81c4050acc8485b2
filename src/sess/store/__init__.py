"""The store: the only package that speaks SQL.

The database is the Go sess v0.4 file (`$SESS_HOME/sess.db`, else `~/.sess-cli/sess.db`), kept
readable by it. `schema` holds the ordered, recorded migrations; `core` the store itself
(projects, sessions, slices, the end journal), with the undo log in `undo`; `reports` the
queries behind history, stats, report and export; `files` the state directory's files and locks.
WAL and a busy timeout let concurrent invocations wait for each other instead of failing.
"""

from sess.state import state_dir as state_dir  # re-exported: the name the rest of sess uses
from sess.store.core import Store as Store
from sess.store.files import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S
from sess.store.files import project_lock as project_lock
from sess.store.rows import PROJECT_COLUMNS as PROJECT_COLUMNS
from sess.store.rows import PROJECT_WIDTH as PROJECT_WIDTH
from sess.store.rows import SESSION_COLUMNS as SESSION_COLUMNS
from sess.store.rows import Journal as Journal
from sess.store.rows import SessionConflict as SessionConflict
from sess.store.rows import UndoEntry as UndoEntry
from sess.store.rows import project_from_row as project_from_row
from sess.store.rows import session_from_row as session_from_row
from sess.store.schema import MIGRATIONS as MIGRATIONS
