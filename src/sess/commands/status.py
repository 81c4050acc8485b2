"""`sess status`: where you are and the state of the session, in one SQLite read."""

from __future__ import annotations

import os
import sys

from sess import render, timestamps
from sess.commands import Option, add_json, quick_args
from sess.store import Store

TYPE_CHECKING = False  # not typing's, nor argparse at run time: status is on the prompt's budget
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from datetime import datetime
    from typing import Any

    from sess.rules import Project, Session
    from sess.store.rows import Journal


def parser_status(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = commands.add_parser("status", help="show the session in this repository",
                                 description="Show where you are and the session's state.")
    add_json(status)
    status.add_argument("--session", metavar="ID|BRANCH", help="show this open session")


QUICK_OPTIONS: dict[str, Option] = {"--json": ("json", False, None), "--no-hooks": ("no_hooks", False, None),
                                    "--session": ("session", True, None)}


def quick_status(argv: Sequence[str]) -> argparse.Namespace | None:
    """`sess status [--json]`, read without argparse: on the budget of a bare interpreter."""
    return quick_args("status", argv, QUICK_OPTIONS)  # type: ignore[return-value]


def _idle_after(top: str) -> int:
    from sess import config

    return config.load_lenient(top, render.warn).time_idle_after_s  # a broken file: its defaults, and a warning


def cmd_status(args: argparse.Namespace) -> int:
    from sess import gitfiles

    now = timestamps.now()
    where = gitfiles.locate_quick(os.getcwd())
    store = Store.open_existing() if where is not None else None
    project: Project | None = None
    open_sessions: list[tuple[Session, Journal | None]] = []
    if store is not None and where is not None:
        main = gitfiles.main_work_tree(where[0])
        if main != where[0] and store.project_by_path(where[0]) is not None:  # an earlier sess's own project
            from sess.workflows.common import project_name

            store.merge_project(where[0], main, project_name(main))
        project, open_sessions = store.status_all(main)
    session, journal, trees = _meant(open_sessions, where, args.session)
    others = [s for s, _ in open_sessions if session is None or s.id != session.id]
    idle = None
    branch_exists = True
    worktree_gone = None
    if session is not None and where is not None:
        lives = trees.elsewhere().get(session.branch) if where[1] != session.branch else None
        if lives is not None and not os.path.isdir(lives):
            worktree_gone = lives
        elif where[1] != session.branch:  # on the branch, it exists; elsewhere, is it still there?
            branch_exists = gitfiles.branch_exists_quick(where[0], session.branch)
        if branch_exists and session.state == "active" and worktree_gone is None:
            from sess import rules

            idle_after = _idle_after(where[0])
            if rules.may_be_idle(session, now, idle_after):  # only then is git asked
                from sess.workflows.session import find_idle

                idle = find_idle(lives or where[0], where[1] if lives is None else session.branch,
                                 session, idle_after, now)
    if args.json:
        document = _session_document(session, project, now, trees) if session else None
        if document is not None:
            document["branch_exists"] = branch_exists
            document["idle"] = render.idle_json(idle)
        render.emit_json({
            "project": {"name": project.name, "path": project.path, "base_branch": project.base_branch}
            if project else None,
            "session": document,
            "end_in_progress": render.journal_json(journal),
            "open_sessions": [_session_document(s, project, now, trees) for s, _ in open_sessions],
        })
        return 0
    if project is None or where is None:
        render.print_lines(["Not a tracked project"])
        hint = "Run 'sess start' to begin a session here." if where else "Run sess inside a git repository."
        sys.stderr.write(f"\n{hint}\n")
        return 0
    render.print_lines(render.status_text(project, session, journal, where[1], now, idle, branch_exists,
                                          others, worktree_gone))
    return 0


class _Worktrees:
    """The branches checked out in the repository's work trees, read from git's files once, when
    first needed (most runs of status never need them)."""

    def __init__(self, top: str | None) -> None:
        self._top = top
        self._heads: dict[str, str] | None = None

    def all(self) -> dict[str, str]:
        if self._heads is None:
            from sess.gitfiles import worktree_heads

            self._heads = worktree_heads(self._top) if self._top is not None else {}
        return self._heads

    def elsewhere(self) -> dict[str, str]:
        here = os.path.realpath(self._top or "")
        return {branch: path for branch, path in self.all().items() if os.path.realpath(path) != here}


def _meant(open_sessions: list[tuple[Session, Journal | None]], where: tuple[str, str] | None,
           ref: str | None) -> tuple[Session | None, Journal | None, _Worktrees]:
    """The session status is about (SPEC Part 3's rule; never asks, never fails) and its
    unfinished end."""
    trees = _Worktrees(where[0] if where is not None else None)
    if not open_sessions or where is None:
        return None, None, trees
    from sess.errors import SessError
    from sess.workflows.common import Where, meant_session

    try:
        session = meant_session([s for s, _ in open_sessions], Where(where[0], where[1], None), ref,
                                trees.elsewhere)
    except SessError:
        session = None
    journal = next((j for s, j in open_sessions if session is not None and s.id == session.id), None)
    return session, journal, trees


def _session_document(session: Session, project: Project | None, now: datetime,
                      trees: _Worktrees) -> dict[str, Any]:
    document = render.session_json(session, project, now)
    path = trees.all().get(session.branch) or session.worktree
    document["worktree"] = path if project is None or path != project.path else None
    return document
