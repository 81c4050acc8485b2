"""`sess pause` and `sess resume`."""

from __future__ import annotations

import argparse
import os

from sess import render, timestamps
from sess.store import Store


def parser_pause(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("pause", help="pause the active session", description="Pause the active session.")


def parser_resume(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    commands.add_parser("resume", help="resume the paused session",
                        description="Resume the paused session, checking out its branch if needed.")


def cmd_pause(args: argparse.Namespace) -> int:
    from sess.workflows import session as workflow

    _, session = workflow.pause(Store.open(), os.getcwd())
    lines = [f"Paused session on {render.branch_label(session.branch, session.branch_type)}"]
    if session.issue_id:
        lines.append(render.DOT.join(filter(None, [f"Issue {render.issue_ref(session)}",
                                                   render.safe(session.issue_title or "")])))
    lines.append(f"Total elapsed: {render.duration(session.total_elapsed_ns // 1_000_000_000)}")
    render.print_lines(lines)
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from sess.workflows import session as workflow

    resumed = workflow.resume(Store.open(), os.getcwd())
    session = resumed.session
    now = timestamps.now()
    lines = []
    if resumed.switched:
        lines.append(f"Switched to branch '{session.branch}'")
    lines += [f"On branch {render.branch_label(session.branch, session.branch_type)}",
              render.session_line(session, now)]
    lines.extend(render.title_lines(session))
    render.print_lines(lines)
    return 0
