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


def parser_status(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = commands.add_parser("status", help="show the session in this repository",
                                 description="Show where you are and the session's state.")
    add_json(status)


QUICK_OPTIONS: dict[str, Option] = {"--json": ("json", False, None), "--no-hooks": ("no_hooks", False, None)}


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
    project, session, journal = store.status(where[0]) if store and where else (None, None, None)
    idle = None
    branch_exists = True
    if session is not None and where is not None:
        if where[1] != session.branch:  # on the branch, it exists; elsewhere, is it still there?
            branch_exists = gitfiles.branch_exists_quick(where[0], session.branch)
        if branch_exists and session.state == "active":
            from sess import rules

            idle_after = _idle_after(where[0])
            if rules.may_be_idle(session, now, idle_after):  # only then is git asked
                from sess.workflows.session import find_idle

                idle = find_idle(where[0], where[1], session, idle_after, now)
    if args.json:
        document = render.session_json(session, project, now) if session else None
        if document is not None:
            document["branch_exists"] = branch_exists
            document["idle"] = render.idle_json(idle)
        render.emit_json({
            "project": {"name": project.name, "path": project.path, "base_branch": project.base_branch}
            if project else None,
            "session": document,
            "end_in_progress": render.journal_json(journal),
        })
        return 0
    if project is None or where is None:
        render.print_lines(["Not a tracked project"])
        hint = "Run 'sess start' to begin a session here." if where else "Run sess inside a git repository."
        sys.stderr.write(f"\n{hint}\n")
        return 0
    render.print_lines(render.status_text(project, session, journal, where[1], now, idle, branch_exists))
    return 0
