"""`sess history`, `sess stats`, `sess report`: what was worked on, and where the time went.

Without `--all` they cover the project you stand in; with `--since`/`--until` only the time
inside that period counts (see sess.periods for the forms and sess.store_reports for how time
is clipped). History in a period lists the sessions with time inside it, newest start first.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime
from typing import NamedTuple

from sess import periods, render, render_reports, timestamps
from sess.commands import add_json, add_period
from sess.errors import SessError, UsageError
from sess.rules import Project
from sess.store import Store
from sess.store_reports import Reports, Scope, Totals

BY_PROJECT_IN_STATS = 10
BY_PROJECT_IN_REPORT = 5


def parser_history(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    history = commands.add_parser("history", help="list recent sessions", description="Recent sessions, newest first.")
    history.add_argument("--limit", type=int, default=10, metavar="N", help="how many (default 10)")
    history.add_argument("--all", action="store_true", help="across every tracked project")
    add_period(history)
    add_json(history)


def parser_stats(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stats = commands.add_parser("stats", help="totals and averages", description="Session statistics.")
    stats.add_argument("--all", action="store_true", help="across every tracked project")
    add_period(stats)
    add_json(stats)


def parser_report(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = commands.add_parser("report", help="stats plus recent sessions",
                                 description="Statistics and the most recent sessions on one screen.")
    report.add_argument("--limit", type=int, default=5, metavar="N", help="how many recent sessions (default 5)")
    report.add_argument("--all", action="store_true", help="across every tracked project")
    add_period(report)
    add_json(report)


class Context(NamedTuple):
    now: datetime
    period: periods.Period | None
    project: Project | None  # None with --all
    reports: Reports | None  # None when there is no database yet

    @property
    def scope_name(self) -> str:
        return self.project.name if self.project is not None else "all projects"

    @property
    def period_text(self) -> str | None:
        return periods.describe(self.period) if self.period is not None else None


def _context(args: argparse.Namespace) -> Context:
    now = timestamps.now()
    period = periods.parse_period(args.since, args.until, now)
    limit, minimum = getattr(args, "limit", None), (1 if args.command == "history" else 0)
    if limit is not None and limit < minimum:
        raise UsageError(f"--limit must be at least {minimum}")
    store = Store.open(create=False)
    project = None
    if not args.all:
        from sess import git

        where = git.locate(os.getcwd())
        project = store.project_by_path(where[0]) if store is not None and where is not None else None
        if project is None:
            hint = ("Run 'sess start' in this repository to track it" if where is not None
                    else "Run it inside a tracked repository")
            raise SessError("not a tracked project", f"{hint}, or pass --all for every project.")
    if store is None:
        return Context(now, period, None, None)
    scope = Scope(project.id if project is not None else None,
                  period.since_epoch if period else None, period.until_epoch if period else None)
    return Context(now, period, project, Reports(store, scope, now))


def _totals(context: Context) -> Totals:
    if context.reports is None:
        return Totals(0, 0.0, 0, 0, 0, 0, None, None, None, [])
    return context.reports.totals()


def _summary_lines(kind: str, context: Context, totals: Totals, scope_all: bool, top_projects: int) -> list[str]:
    """The heading, the totals and, across all projects, the ones that took most time."""
    lines = [render_reports.heading(f"{kind} for {context.scope_name}", context.period_text)]
    lines += render_reports.totals_lines(totals, context.now, scope_all)
    if scope_all and totals.sessions:
        lines += ["", *render_reports.by_project_lines(totals, top_projects)]
    return lines


# --- history --------------------------------------------------------------------------------------

def cmd_history(args: argparse.Namespace) -> int:
    context = _context(args)
    entries = context.reports.recent(args.limit) if context.reports else []
    if args.json:
        render.emit_json({"sessions": [render_reports.entry_json(entry, context.now, context.period)
                                       for entry in entries],
                          "period": render_reports.period_json(context.period)})
        return 0
    if not entries or context.reports is None:
        render.print_lines([render_reports.heading(f"No sessions in {context.scope_name}", context.period_text)])
        return 0
    total = len(entries) if len(entries) < args.limit else context.reports.count()
    title = f"Sessions in {context.scope_name} {render_reports.count_note(len(entries), total)}"
    lines = [render_reports.heading(title, context.period_text), ""]
    lines += render_reports.entries_lines(entries, context.now, args.all, context.period)
    render.print_lines(lines)
    return 0


# --- stats ----------------------------------------------------------------------------------------

def cmd_stats(args: argparse.Namespace) -> int:
    context = _context(args)
    totals = _totals(context)
    if args.json:
        render.emit_json(render_reports.stats_json(totals, args.all, context.now, context.period))
        return 0
    render.print_lines(_summary_lines("Stats", context, totals, args.all, BY_PROJECT_IN_STATS))
    return 0


# --- report ---------------------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    context = _context(args)
    totals = _totals(context)
    entries = context.reports.recent(args.limit) if context.reports and args.limit and totals.sessions else []
    if args.json:
        render.emit_json({
            "stats": render_reports.stats_json(totals, args.all, context.now, context.period),
            "recent": [render_reports.entry_json(entry, context.now, context.period) for entry in entries],
        })
        return 0
    lines = _summary_lines("Report", context, totals, args.all, BY_PROJECT_IN_REPORT)
    if entries:
        lines += ["", f"Recent sessions {render_reports.count_note(len(entries), totals.sessions)}"]
        lines += render_reports.entries_lines(entries, context.now, args.all, context.period)
    render.print_lines(lines)
    return 0
