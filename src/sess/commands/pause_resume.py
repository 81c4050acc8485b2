"""`sess pause` and `sess resume`."""

from __future__ import annotations

import argparse
import os
import sys

from sess import render, timestamps
from sess.commands import add_session, session_ref
from sess.commands.clock import add_at, parse_at, paused_elsewhere_lines
from sess.store import Store

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.config import Config
    from sess.hooks import Hooks
    from sess.workflows.common import Where


def parser_pause(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pause = commands.add_parser("pause", help="pause the active session", description="Pause the active session.")
    add_at(pause, "stop the clock")
    add_session(pause)


def parser_resume(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    resume = commands.add_parser("resume", help="resume the paused session",
                                 description="Resume the paused session, checking out its branch if needed.")
    add_at(resume, "restart the clock")
    add_session(resume)


def _setup(args: argparse.Namespace) -> tuple[Store, Where, Hooks, Config]:
    """The store, where we are, the hooks and the configuration (read before anything changes)."""
    from sess import config, git
    from sess.hooks import Hooks
    from sess.workflows.common import locate_in

    top, branch = git.require_repo(os.getcwd())
    cfg = config.load_lenient(top, render.warn)  # a broken file must not keep the clock running
    store = Store.open()
    return store, locate_in(store, top, branch), Hooks(cfg, top, enabled=not args.no_hooks), cfg


def cmd_pause(args: argparse.Namespace) -> int:
    from sess.commands.clock import long_slice, stop_moment
    from sess.hooks import session_info
    from sess.workflows import session as workflow

    now = timestamps.now()
    at = parse_at(args, now)
    store, where, hooks, cfg = _setup(args)
    ref = session_ref(store, where, args.session, "active")
    long = None
    if where.project is not None and store.open_sessions(where.project.id):
        from sess.workflows.common import require_session

        session = require_session(store, where.project, where=where, ref=ref)
        if at is None:
            at = stop_moment(where.top, where.branch, session, now, "pause", cfg.time_idle_after_s)
        elif session.current_slice_start is not None and at > session.current_slice_start:
            long = long_slice((at - session.current_slice_start).total_seconds(), f"--at {args.at}")
    project, session = workflow.pause(store, where.top, where, at, ref)
    lines = [f"Paused session on {render.branch_label(session.branch, session.branch_type)}"]
    if session.issue_id:
        lines.append(render.DOT.join(filter(None, [f"Issue {render.issue_ref(session)}",
                                                   render.safe(session.issue_title or "")])))
    lines.append(f"Total elapsed: {render.duration(session.total_elapsed_ns // 1_000_000_000)}")
    lines += [long] if long else []
    render.print_lines(lines)
    sys.stdout.flush()
    hooks.run("post-pause", session_info(project, session))
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from sess.commands.clock import long_slice
    from sess.hooks import session_info
    from sess.workflows import session as workflow

    at = parse_at(args, timestamps.now())
    long = long_slice((timestamps.now() - at).total_seconds(), f"--at {args.at}") if at is not None else None
    store, where, hooks, cfg = _setup(args)
    ref = session_ref(store, where, args.session, "paused")
    resumed = workflow.resume(store, where.top, where, at, cfg.time_exclusive, ref)
    session = resumed.session
    now = timestamps.now()
    lines = []
    if resumed.handed_over is not None:
        lines.append(render.handover_line(resumed.handed_over))
    if resumed.switched:
        lines.append(f"Switched to branch '{session.branch}'")
    lines += [f"On branch {render.branch_label(session.branch, session.branch_type)}",
              render.session_line(session, now)]
    lines.extend(resumed.notes)
    lines.extend(paused_elsewhere_lines(resumed.paused_elsewhere))
    lines.extend(render.title_lines(session))
    lines += [long] if long else []
    if resumed.path and os.path.realpath(resumed.path) != os.path.realpath(where.top):
        # It lives in another work tree: stdout holds only that path (cd "$(sess resume ...)").
        render.print_lines(lines, sys.stderr)
        render.print_lines([resumed.path])
    else:
        render.print_lines(lines)
    sys.stdout.flush()
    hooks.run("post-resume", session_info(resumed.project, session))
    return 0
