"""`sess reopen`: another round on your own open PR, timed in the same session (SPEC Part 3)."""

from __future__ import annotations

import argparse
import os
import sys

from sess import render, timestamps
from sess.store import Store


def parser_reopen(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    reopen = commands.add_parser(
        "reopen", help="reopen an ended session whose PR is still open",
        description="Make the most recent ended session of the branch active again (review fixes on its open "
                    "pull request): its branch checked out, a new slice, the same PR at its next end.")
    reopen.add_argument("target", nargs="?", metavar="ID|BRANCH", help="the session (default: this branch's)")
    from sess.commands.clock import add_at

    add_at(reopen, "start the clock")


def cmd_reopen(args: argparse.Namespace) -> int:
    from sess import config, forges, git
    from sess.commands.clock import parse_at
    from sess.workflows import reopen
    from sess.workflows.common import locate_in, require_project

    at = parse_at(args, timestamps.now())
    top, branch = git.require_repo(os.getcwd())
    cfg = config.load(top)
    store = Store.open()
    where, project = require_project(store, top, locate_in(store, top, branch))
    session = reopen.find(store, project, where, args.target)
    reopen.check_pr(forges.open_forge(top, forges.Settings.of(cfg)), session)
    done = reopen.reopen(store, where, project, session, at)
    now = timestamps.now()
    lines = list(done.notes)
    if done.left is not None:
        lines.append(render.handover_line(done.left))
    lines += [f"Reopened session on {render.branch_label(session.branch, session.branch_type)}",
              render.session_line(done.session, now)]
    if done.session.pr_url:
        lines.append(f"PR #{done.session.pr_number} · {done.session.pr_url}")
    lines.extend(render.title_lines(done.session))
    render.print_lines(lines)
    sys.stdout.flush()
    return 0
