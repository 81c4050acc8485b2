"""`sess projects`: every tracked project, `*` on the one you stand in."""

from __future__ import annotations

import argparse
import os
import sys

from sess import render, timestamps
from sess.commands import add_json
from sess.store import Store


def parser_projects(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    projects = commands.add_parser("projects", help="list tracked projects", description="List tracked projects.")
    add_json(projects)


def cmd_projects(args: argparse.Namespace) -> int:
    from sess import git

    now = timestamps.now()
    where = git.locate(os.getcwd())
    store = Store.open_existing()
    rows = store.projects_with_open_sessions() if store else []
    from sess.gitfiles import main_work_tree

    here = main_work_tree(where[0]) if where else None
    if args.json:
        render.emit_json({"projects": [
            {"name": p.name, "path": p.path, "base_branch": p.base_branch,
             "state": s.state if s else "idle", "current": p.path == here,
             "last_used_at": render.iso(p.last_used_at),
             "session": render.session_json(s, p, now) if s else None, "open_count": count}
            for p, s, _, count in rows]})
        return 0
    if not rows:
        render.print_lines(["No tracked projects"])
        sys.stderr.write("\nRun 'sess start' in a repository to track it.\n")
        return 0
    lines = [f"Tracked projects ({len(rows)})"]
    for project, session, _, count in rows:
        lines.append("")
        lines.extend(render.project_block(project, session, project.path == here, now, count))
    render.print_lines(lines)
    return 0
