"""`sess prompt`: one short line for a shell prompt, or nothing.

`feature/add-oauth 1h2m #123`, with `paused` added when paused; nothing when the current
directory is in no repository with an open session. It runs on every prompt, so: no git call
(the repository's top is the nearest directory holding `.git`, a directory or, in a worktree or
submodule, a file), no network, one SQLite read, and no import beyond `os`, `sys`, `time` and
`sqlite3` (cli.py dispatches here before loading argparse).
"""

from __future__ import annotations

import os
import sys
import time


def repository_top(start: str) -> str | None:
    """The nearest directory from `start` up that holds `.git`, as `git rev-parse --show-toplevel`
    names it for a work tree (the path sess records for a project)."""
    path = start
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def line(cwd: str, now: float) -> str:
    """The prompt text for `cwd` at `now` (epoch seconds); empty without an open session."""
    from sess import gitfiles, state
    from sess.store_prompt import open_sessions

    top = repository_top(cwd)
    if top is None:
        return ""
    sessions = open_sessions(state.db_path(), gitfiles.main_work_tree(top))
    if not sessions:
        return ""
    # The session meant here (SPEC Part 3): the one checked out in this work tree, else the only
    # one not checked out in another; else nothing.
    here = gitfiles.current_branch_quick(top)
    session = next((s for s in sessions if s.branch == here), None)
    if session is None:
        heads = gitfiles.worktree_heads(top)
        taken = {branch for branch, path in heads.items() if os.path.realpath(path) != os.path.realpath(top)}
        free = [s for s in sessions if s.branch not in taken]
        if len(free) != 1:
            return ""
        session = free[0]
    elapsed = session.total_elapsed_ns / 1e9
    if session.state == "active":
        start = session.slice_start_epoch
        if start is None and session.slice_start is not None:
            from sess.timestamps import epoch  # a form SQLite cannot read: rare, and worth the import

            start = epoch(session.slice_start)
        if start is not None:
            elapsed += max(0.0, now - start)
    from sess.durations import duration

    parts = [session.branch, duration(elapsed)]
    if session.issue_id:
        # As rules.issue_ref writes it (not imported: the prompt loads nothing it can do without).
        plain = "#" in session.issue_id or ("-" in session.issue_id and session.issue_id[:1].isupper())
        parts.append(session.issue_id if plain else f"#{session.issue_id}")
    if session.state == "paused":
        parts.append("paused")
    text = " ".join(parts)
    if not text.isprintable():  # a control character from the database must not reach the terminal
        from sess.render import safe

        text = safe(text)
    return text


def main() -> int:
    """Print the line (or nothing). Never an error message: it would land in every prompt."""
    try:
        text = line(os.getcwd(), time.time())
        if text:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
    except KeyboardInterrupt:
        return 130
    except Exception:  # an unreadable database, a vanished directory, a closed pipe: no segment this time
        return 1
    return 0
