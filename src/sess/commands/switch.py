"""`sess switch` and `sess path`: between the open sessions of a project (SPEC Part 3)."""

from __future__ import annotations

import os
import sys

from sess import render, timestamps
from sess.commands import Option, quick_args
from sess.errors import SessError, UsageError
from sess.store import Store

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

    from sess.rules import Project, Session
    from sess.workflows.common import Where

QUICK_OPTIONS: dict[str, Option] = {"--base": ("base", False, None), "--at": ("at", True, None),
                                    "--no-hooks": ("no_hooks", False, None)}


def quick_switch(argv: Sequence[str]) -> argparse.Namespace | None:
    """`sess switch ARGS`, read without argparse when plain (issue 16: switch on the budget of the
    git commands it stands for): see commands.quick_args."""
    return quick_args("switch", argv, QUICK_OPTIONS, "target")  # type: ignore[return-value]


def parser_switch(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    switch = commands.add_parser(
        "switch", help="switch to another open session",
        description="Park the current session (its clock stops, its changes are kept with it), check out the "
                    "other session's branch, bring its parked changes back and start its clock; on any failure "
                    "everything is as it was. For a session in another worktree only the clocks move, and "
                    "stdout holds its path: cd \"$(sess switch BRANCH)\".")
    switch.add_argument("target", nargs="?", metavar="ID|BRANCH|#ISSUE", help="the session to switch to")
    switch.add_argument("--base", action="store_true", help="park the current session and return to the base")
    from sess.commands.clock import add_at

    add_at(switch, "hand the clock over")


def parser_path(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    path = commands.add_parser("path", help="print the work tree of a session",
                               description="Print the work tree a session lives in: cd \"$(sess path BRANCH)\".")
    path.add_argument("target", nargs="?", metavar="ID|BRANCH|#ISSUE",
                      help="the session (default: the one meant here)")


def find_target(sessions: list[Session], word: str) -> Session:
    """An open session by id, branch, `#ISSUE` or the name given to start."""
    from sess.workflows.common import session_named

    return session_named(sessions, word)


def _setup() -> tuple[Store, Where, Project]:
    from sess import git
    from sess.workflows.common import locate_in, require_project

    top, branch = git.require_repo(os.getcwd())
    store = Store.open()
    where, project = require_project(store, os.getcwd(), locate_in(store, top, branch))
    return store, where, project


def _choices(store: Store, project: Project, base: bool) -> list[tuple[str, Session | None]]:
    choices: list[tuple[str, Session | None]] = [
        (render.safe(render.open_session_word(s, timestamps.now(), painted=False)), s)
        for s in store.open_sessions(project.id)]
    if base:
        choices.append((f"the base branch ({project.base_branch}), no session", None))
    return choices


def cmd_switch(args: argparse.Namespace) -> int:
    from sess import config, prompts
    from sess.commands.clock import parse_at, paused_elsewhere_lines
    from sess.workflows.switch import switch

    at = parse_at(args, timestamps.now())
    store, where, project = _setup()
    sessions = store.open_sessions(project.id)
    if args.base and args.target:
        raise UsageError("pass a session or --base, not both")
    target: Session | None = None
    if args.target:
        target = find_target(sessions, args.target)
    elif not args.base:
        if not sessions:
            raise SessError("no open session in this project", "Run 'sess start' to begin one.")
        if not prompts.interactive():
            listed = ", ".join(f"{s.id} {s.branch} ({s.state})" for s in sessions)
            raise UsageError(f"which session? open: {listed}", "Pass ID|BRANCH|#ISSUE, or --base.")
        target = prompts.select("Switch to", _choices(store, project, base=True))
    try:
        exclusive = config.load(where.top).time_exclusive
    except SessError:
        exclusive = False
    done = switch(store, where, project, target, base=project.base_branch if target is None else None,
                  at=at, exclusive=exclusive)
    now = timestamps.now()
    lines = list(done.notes[:1] if done.notes and done.notes[0].startswith("Parked") else [])
    rest = done.notes[len(lines):]
    if done.left is not None:
        lines.append(render.handover_line(done.left))
    if done.session is None:
        lines.append(f"On branch {project.base_branch}")
        lines.append("No session running")
    else:
        session = done.session
        if done.moved:
            lines.append(f"Switched to branch '{session.branch}'")
        lines += [f"On branch {render.branch_label(session.branch, session.branch_type)}",
                  render.session_line(session, now)]
    lines.extend(rest)
    lines.extend(paused_elsewhere_lines(done.paused_elsewhere))
    if done.session is not None:
        lines.extend(render.title_lines(done.session))
    if os.path.realpath(done.path) != os.path.realpath(where.top):
        # It lives in another work tree: stdout holds only that path, for cd "$(sess switch X)".
        render.print_lines([*lines, f"It lives in {done.path}"], sys.stderr)
        render.print_lines([done.path])
    else:
        render.print_lines(lines)
    from sess import sync
    from sess.commands.team import warn

    sys.stdout.flush()
    sync.auto(project.path, None, warn)  # warnings go to stderr: stdout may be only the path
    return 0


def cmd_path(args: argparse.Namespace) -> int:
    from sess.workflows.common import checked_out_elsewhere, require_session
    from sess.workflows.switch import lives_in

    store, where, project = _setup()
    sessions = store.open_sessions(project.id)
    if args.target:
        session = find_target(sessions, args.target)
    else:
        from sess.commands import session_ref

        ref = session_ref(store, where, None)
        session = require_session(store, project, missing="no open session", where=where, ref=ref)
    elsewhere = checked_out_elsewhere(where.top)
    path = where.top if session.branch == where.branch else lives_in(session, project, elsewhere)
    render.print_lines([path])
    return 0


def worktree_lines(project: Project, session: Session, remove: bool) -> list[str]:
    """After end or cancel: the worktree sess made for the session removed when clean, and then
    the main work tree's path as the last line of stdout, to cd to."""
    from sess.workflows.worktrees import remove_if_clean

    removed, why = remove_if_clean(project.path, session, remove)
    if removed:
        return [f"Removed the worktree {session.worktree}", project.path]
    return [why] if why else []
