"""Command handlers: take parsed arguments, gather decisions, call a workflow, render the result.

Each handler returns the exit code. Imports of workflows and heavy modules happen inside the
handler that needs them.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from sess import render, timestamps
from sess.errors import SessError
from sess.store import Store

if TYPE_CHECKING:
    from sess import gh


# --- status ---------------------------------------------------------------------------------------

def cmd_status(args: argparse.Namespace) -> int:
    from sess import git

    now = timestamps.now()
    where = git.locate(os.getcwd())
    store = Store.open(create=False) if where is not None else None
    project, session, journal = store.status(where[0]) if store and where else (None, None, None)
    if args.json:
        render.emit_json({
            "project": {"name": project.name, "path": project.path, "base_branch": project.base_branch}
            if project else None,
            "session": render.session_json(session, project, now) if session else None,
            "end_in_progress": render.journal_json(journal),
        })
        return 0
    if project is None or where is None:
        render.print_lines(["Not a tracked project"])
        hint = "Run 'sess start' to begin a session here." if where else "Run sess inside a git repository."
        sys.stderr.write(f"\n{hint}\n")
        return 0
    render.print_lines(render.status_text(project, session, journal, where[1], now))
    return 0


# --- start ----------------------------------------------------------------------------------------

def cmd_start(args: argparse.Namespace) -> int:
    from sess import gh, prompts, rules
    from sess.errors import UsageError
    from sess.progress import for_terminal
    from sess.workflows import start

    store = Store.open()
    facts = start.inspect(store, os.getcwd(), args.base)
    top = facts.where.top
    ask = prompts.interactive()

    issue: gh.Issue | None = None
    if args.issue is not None:
        issue = gh.view_issue(top, args.issue)
        if issue.state != "OPEN":
            sys.stderr.write(f"Issue #{issue.id} is {issue.state.lower()}; starting on it anyway\n")
    elif not args.no_issue:
        # NAME names the branch; whether an issue is linked is a choice of its own.
        prompts.require("--issue ID or --no-issue", "no issue chosen")
        issue = _ask_issue(top)

    branch_type = args.branch_type
    if branch_type is None:
        branch_type = (prompts.select("Branch type", [(t, t) for t in rules.BRANCH_TYPES],
                                      default=rules.DEFAULT_BRANCH_TYPE) if ask else rules.DEFAULT_BRANCH_TYPE)
    if branch_type not in rules.BRANCH_TYPES:
        raise UsageError(f"unknown branch type '{branch_type}'", f"Choose one of: {', '.join(rules.BRANCH_TYPES)}.")

    name = args.name
    if name is None and ask:
        suggestion = rules.slugify(issue.title) if issue else ""
        name = prompts.text("Branch name", default=suggestion)
    elif name is None and issue is None:
        raise UsageError("a branch name is needed: pass NAME")

    dirty, message = args.dirty, args.message
    if facts.dirty and dirty is None:
        prompts.require("--dirty stash|commit|discard|carry", "the working tree has uncommitted changes")
        dirty = prompts.select("Uncommitted changes", [
            ("stash: put them in the stash and leave them there", "stash"),
            ("commit: commit them on the current branch first", "commit"),
            ("carry: bring them onto the new branch", "carry"),
            ("discard: throw them away", "discard"),
            ("quit", None),
        ])
        if dirty is None:
            raise SessError("cancelled; nothing was changed")
    if facts.dirty and dirty == "commit" and not message:
        prompts.require("--message MSG", "--dirty commit needs a commit message")
        message = prompts.text("Commit message")

    plan = start.Plan(branch_type, name, issue, dirty if facts.dirty else None, message)
    progress = for_terminal()
    try:
        started = start.run(store, facts, plan, progress)
    finally:
        progress.close()
    session = started.session
    lines = [f"On branch {render.branch_label(session.branch, session.branch_type)}"]
    detail = [f"Session {render.state_word(session.state)}", f"from {started.base}"]
    if started.pulled:
        detail.append(f"pulled {render.plural(started.pulled, 'commit')}")
    if session.issue_id:
        detail.append(render.issue_ref(session))
    lines.append(render.DOT.join(detail))
    if started.stash_note:
        lines.append(started.stash_note)
    lines.extend(render.title_lines(session))
    render.print_lines(lines)
    return 0


def _ask_issue(top: str) -> gh.Issue | None:
    from sess import gh, prompts
    from sess.errors import GhUnavailable

    try:
        issues = gh.list_open_issues(top)
    except GhUnavailable as exc:
        sys.stderr.write(f"{exc.message}: issues cannot be listed\n")
        if prompts.confirm("Start without an issue?", default=True):
            return None
        raise SessError("cancelled; nothing was changed", exc.hint) from None
    choices: list[tuple[str, gh.Issue | None]] = [("Start without an issue", None)]
    choices += [(render.safe(f"#{issue.id}  {issue.title}"), issue) for issue in issues]
    return prompts.select("Issue", choices, search=len(issues) > 0)


# --- pause / resume -------------------------------------------------------------------------------

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


# --- projects -------------------------------------------------------------------------------------

def cmd_projects(args: argparse.Namespace) -> int:
    from sess import git

    now = timestamps.now()
    where = git.locate(os.getcwd())
    store = Store.open(create=False)
    rows = store.projects_with_open_sessions() if store else []
    here = where[0] if where else None
    if args.json:
        render.emit_json({"projects": [
            {"name": p.name, "path": p.path, "base_branch": p.base_branch,
             "state": s.state if s else "idle", "current": p.path == here,
             "last_used_at": render.iso(p.last_used_at),
             "session": render.session_json(s, p, now) if s else None}
            for p, s, _ in rows]})
        return 0
    if not rows:
        render.print_lines(["No tracked projects"])
        sys.stderr.write("\nRun 'sess start' in a repository to track it.\n")
        return 0
    lines = [f"Tracked projects ({len(rows)})"]
    for project, session, _ in rows:
        lines.append("")
        lines.extend(render.project_block(project, session, project.path == here, now))
    render.print_lines(lines)
    return 0
