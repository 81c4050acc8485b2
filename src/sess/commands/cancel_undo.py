"""`sess cancel` (give a session up without a handoff) and `sess undo` (revert sess's last change)."""

from __future__ import annotations

import argparse
import os
import sys

from sess import render, rules, timestamps
from sess.commands import add_dirty, add_json, add_session, choose_dirty, session_ref
from sess.errors import SessError
from sess.store import Store, UndoEntry

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.workflows.undo import Undone


def parser_cancel(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cancel = commands.add_parser(
        "cancel", help="give up the session without a handoff",
        description="End the open session without pushing or opening a pull request: back on the base branch, "
                    "its time kept, shown as cancelled.")
    add_dirty(cancel, " on the session branch")
    cancel.add_argument("--delete-branch", action="store_true",
                        help="delete the session branch, only if none of its commits would be lost")
    add_session(cancel)


def parser_undo(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    undo = commands.add_parser(
        "undo", help="revert the last change sess made here",
        description="Revert the most recent start, pause, resume, amend or cancel in this project, one per call. "
                    "A finished end cannot be undone.")
    undo.add_argument("--list", action="store_true", help="show what would be undone, newest first")
    add_json(undo)


# --- cancel ---------------------------------------------------------------------------------------

def cmd_cancel(args: argparse.Namespace) -> int:
    from sess.workflows import cancel
    from sess.workflows.common import locate

    store = Store.open()
    ref = session_ref(store, locate(store, os.getcwd()), args.session)
    facts = cancel.inspect(store, os.getcwd(), ref)
    dirty, message = choose_dirty(args, facts.dirty, " on the session branch", "the session branch",
                                  "the base branch")
    plan = cancel.Plan(dirty, message, bool(args.delete_branch))
    done = cancel.run(store, facts, plan, timestamps.now())
    session = done.session
    lines = [render.finished_line("Cancelled", session, timestamps.now()), *done.notes]
    from sess import git

    here = git.current_branch(facts.where.top)
    lines.append("HEAD detached" if here == "HEAD" else f"On branch {here}")
    lines.append("No push, no pull request · 'sess undo' reopens it (paused)")
    from sess import config
    from sess.commands.switch import worktree_lines

    try:
        remove = config.load(facts.where.top).worktree_remove
    except SessError:  # a broken configuration does not stop a cancel (SPEC): the default
        remove = config.DEFAULTS.worktree_remove
    render.print_lines(lines + worktree_lines(done.project, session, remove))
    from sess import sync
    from sess.commands.team import warn

    sys.stdout.flush()
    sync.auto(done.project.path, None, warn)  # the worktree may be gone: the main work tree
    return 0


# --- undo -----------------------------------------------------------------------------------------

def cmd_undo(args: argparse.Namespace) -> int:
    from sess.workflows import undo

    store = Store.open_existing()
    if store is None:
        raise SessError("not a tracked project", "Run 'sess start' to begin a session here.")
    if args.list:
        project, entries = undo.pending(store, os.getcwd())
        now = timestamps.now()
        if args.json:
            render.emit_json({"project": {"name": project.name, "path": project.path},
                              "entries": [_entry_json(entry) for entry in entries]})
            return 0
        if not entries:
            render.print_lines([f"Nothing to undo in {project.name}"])
            return 0
        lines = [f"Undo in {project.name}, newest first"]
        for entry in entries:
            summary = entry.summary if entry.action == "amend" else f"{entry.action} of {entry.summary}"
            parts = [summary, render.relative(entry.created_at, now)]
            if entry.action not in undo.UNDOABLE:
                parts.append("cannot be undone (pushed)")
            lines.append("  " + render.DOT.join(parts))
        render.print_lines(lines)
        return 0
    if args.json:
        from sess.errors import UsageError

        raise UsageError("--json goes with --list", "'sess undo --list --json' shows what would be undone.")
    from sess import config, gitfiles

    where = gitfiles.locate_quick(os.getcwd())
    cfg = config.load_lenient(where[0] if where else None, render.warn)
    done = undo.undo(store, os.getcwd(), exclusive=cfg.time_exclusive)
    render.print_lines(_undone_lines(done))
    return 0


def _entry_json(entry: UndoEntry) -> dict[str, object]:
    from sess.workflows.undo import UNDOABLE

    return {"id": entry.id, "action": entry.action, "session_id": entry.session_id, "summary": entry.summary,
            "at": render.iso(entry.created_at), "undoable": entry.action in UNDOABLE}


def _undone_lines(done: Undone) -> list[str]:
    entry, session = done.entry, done.session
    now = timestamps.now()
    what = {"start": "the start", "pause": "the pause", "resume": "the resume", "cancel": "the cancel",
            "reopen": "the reopen"}
    head = f"Undid {what.get(entry.action, entry.action)} of {entry.summary}" if entry.action != "amend" \
        else f"Undid {entry.summary}"
    lines = [head]
    if session is not None:
        lines.append(render.session_line(session, now) if session.is_open else
                     render.DOT.join([f"Session {render.session_state_word(session)}",
                                      render.duration(rules.elapsed_seconds(session, now))]))
        if entry.action == "cancel":
            lines.append("'sess resume' continues it")
        if entry.action == "reopen":
            lines.append(f"Its PR stays open; {session.branch} stays checked out")
    else:
        lines.append("The session is gone")
    lines.extend(done.notes)
    return lines
