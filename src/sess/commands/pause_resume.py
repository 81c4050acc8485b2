"""`sess pause` and `sess resume`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from sess import render, timestamps
from sess.store import Store

if TYPE_CHECKING:
    from sess.hooks import Hooks
    from sess.workflows.common import Where


def parser_pause(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("pause", help="pause the active session", description="Pause the active session.")


def parser_resume(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("resume", help="resume the paused session",
                        description="Resume the paused session, checking out its branch if needed.")


def _setup(args: argparse.Namespace) -> tuple[Store, Where, Hooks]:
    """The store, where we are, and the hooks (the configuration read before anything changes)."""
    from sess import config, git
    from sess.hooks import Hooks
    from sess.workflows.common import locate_in

    top, branch = git.require_repo(os.getcwd())
    cfg = config.load(top)
    store = Store.open()
    return store, locate_in(store, top, branch), Hooks(cfg, top, enabled=not args.no_hooks)


def cmd_pause(args: argparse.Namespace) -> int:
    from sess.hooks import session_info
    from sess.workflows import session as workflow

    store, where, hooks = _setup(args)
    project, session = workflow.pause(store, where.top, where)
    lines = [f"Paused session on {render.branch_label(session.branch, session.branch_type)}"]
    if session.issue_id:
        lines.append(render.DOT.join(filter(None, [f"Issue {render.issue_ref(session)}",
                                                   render.safe(session.issue_title or "")])))
    lines.append(f"Total elapsed: {render.duration(session.total_elapsed_ns // 1_000_000_000)}")
    render.print_lines(lines)
    sys.stdout.flush()
    hooks.run("post-pause", session_info(project, session))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from sess.hooks import session_info
    from sess.workflows import session as workflow

    store, where, hooks = _setup(args)
    resumed = workflow.resume(store, where.top, where)
    session = resumed.session
    now = timestamps.now()
    lines = []
    if resumed.switched:
        lines.append(f"Switched to branch '{session.branch}'")
    lines += [f"On branch {render.branch_label(session.branch, session.branch_type)}",
              render.session_line(session, now)]
    lines.extend(render.title_lines(session))
    render.print_lines(lines)
    sys.stdout.flush()
    hooks.run("post-resume", session_info(resumed.project, session))
    return 0
