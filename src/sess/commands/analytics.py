"""`sess history`, `sess stats`, `sess report`: what was worked on, and where the time went.

Without `--all` they cover the project you stand in; with `--since`/`--until` only the time
inside that period counts (see sess.periods for the forms and sess.store.reports for how time
is clipped). History in a period lists the sessions with time inside it, newest start first.
"""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta

from sess import periods, render, render_reports, rules, timesplit, timestamps
from sess.commands import Option, add_json, add_period, quick_args
from sess.errors import SessError, UsageError
from sess.records import NamedTuple
from sess.rules import Project
from sess.store import Store
from sess.store.reports import Entry, Reports, Scope, Totals

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import Any

    from sess import render_html

BY_PROJECT_IN_STATS = 10
BY_PROJECT_IN_REPORT = 5
RECENT_IN_REPORT = 5
VIEW_DAYS = 14  # the period of --chart and --html when no --since/--until is given
HTML_SESSIONS_MOST = 1000


def parser_history(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    history = commands.add_parser("history", help="list recent sessions", description="Recent sessions, newest first.")
    history.add_argument("--limit", type=int, default=10, metavar="N", help="how many (default 10)")
    history.add_argument("--all", action="store_true", help="across every tracked project")
    add_team(history)
    add_period(history)
    add_json(history)


def parser_stats(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    stats = commands.add_parser("stats", help="totals and averages", description="Session statistics.")
    stats.add_argument("--all", action="store_true", help="across every tracked project")
    add_team(stats)
    add_period(stats)
    add_json(stats)


def parser_report(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = commands.add_parser("report", help="stats plus recent sessions",
                                 description="Statistics and the most recent sessions on one screen; "
                                             "--chart draws time per day, --html FILE writes a page with charts "
                                             f"(both cover the last {VIEW_DAYS} days unless --since/--until say).")
    report.add_argument("--limit", type=int, metavar="N",
                        help="how many recent sessions (default 5; with --html, every session)")
    report.add_argument("--all", action="store_true", help="across every tracked project")
    add_team(report)
    add_period(report)
    add_json(report)
    report.add_argument("--chart", action="store_true", help="time per day as a bar chart in the terminal")
    report.add_argument("--html", metavar="FILE",
                        help="write one self-contained HTML page with charts and the sessions (- for stdout)")


# `stats` and `report` on a plain command line are read without argparse (as `status` is): they
# are held to a bare interpreter's time (benchmarks/bench_analytics.py). --limit, which argparse
# turns into a number, and anything unusual go to argparse (tests/test_sync.py holds these to it).
_PERIOD_AND_SCOPE: dict[str, Option] = {
    "--all": ("all", False, None), "--team": ("team", False, None), "--since": ("since", True, None),
    "--until": ("until", True, None), "--json": ("json", False, None), "--no-hooks": ("no_hooks", False, None)}
QUICK_STATS: dict[str, Option] = dict(_PERIOD_AND_SCOPE)
QUICK_REPORT: dict[str, Option] = {**_PERIOD_AND_SCOPE, "--chart": ("chart", False, None),
                                   "--html": ("html", True, None)}


def quick_stats(argv: Sequence[str]) -> argparse.Namespace | None:
    return quick_args("stats", argv, QUICK_STATS)  # type: ignore[return-value]


def quick_report(argv: Sequence[str]) -> argparse.Namespace | None:
    args = quick_args("report", argv, QUICK_REPORT)
    if args is not None:
        args.limit = None
    return args  # type: ignore[return-value]


def add_team(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", action="store_true",
                        help="everyone's sessions of this project, as of the last 'sess sync'")


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
    store = Store.open_existing()
    project = None if args.all else tracked_project(store)
    if store is None:
        return Context(now, period, None, None)
    scope = Scope(project.id if project is not None else None,
                  period.since_epoch if period else None, period.until_epoch if period else None)
    return Context(now, period, project, Reports(store, scope, now))


def tracked_project(store: Store | None) -> Project:
    """The tracked project at the current directory, or an error that suggests --all."""
    from sess import gitfiles

    where = gitfiles.locate_quick(os.getcwd())
    project = store.project_by_path(where[0]) if store is not None and where is not None else None
    if project is None:
        hint = ("Run 'sess start' in this repository to track it" if where is not None
                else "Run it inside a tracked repository")
        raise SessError("not a tracked project", f"{hint}, or pass --all for every project.")
    return project


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
    if args.team:
        from sess.commands import team_reports

        return team_reports.history(args)
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
    if args.team:
        from sess.commands import team_reports

        return team_reports.stats(args)
    context = _context(args)
    totals = _totals(context)
    if args.json:
        render.emit_json(render_reports.stats_json(totals, args.all, context.now, context.period))
        return 0
    render.print_lines(_summary_lines("Stats", context, totals, args.all, BY_PROJECT_IN_STATS))
    return 0


# --- report ---------------------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    views = [flag for flag, given in (("--json", args.json), ("--chart", args.chart), ("--html", args.html))
             if given]
    if len(views) > 1:
        raise UsageError(f"{views[0]} and {views[1]} cannot be combined", "Choose one way to show the report.")
    if args.team:
        from sess.commands import team_reports

        return team_reports.report(args)
    if args.chart or args.html is not None:
        return _report_view(args)
    context = _context(args)
    totals = _totals(context)
    limit = RECENT_IN_REPORT if args.limit is None else args.limit
    entries = context.reports.recent(limit) if context.reports and limit and totals.sessions else []
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


# --- report --chart / --html ----------------------------------------------------------------------

def _view_period(args: argparse.Namespace, now: datetime) -> None:
    """Without --since, the last VIEW_DAYS days (up to --until, when given)."""
    if args.since is not None:
        return
    if args.until is None:
        args.since = f"{VIEW_DAYS}d"
        return
    until = periods.parse_period(None, args.until, now)
    assert until is not None and until.until is not None
    last = (until.until - timedelta(microseconds=1)).date()
    args.since = periods.midnight(last - timedelta(days=VIEW_DAYS - 1)).isoformat()


def _days(context: Context) -> list[date]:
    """The local days the period covers (up to today when it has no end)."""
    period = context.period
    assert period is not None and period.since is not None
    first = period.since.astimezone().date()
    last = ((period.until - timedelta(microseconds=1)).astimezone().date() if period.until is not None
            else context.now.astimezone().date())
    return timesplit.days_between(first, max(first, last))


def _report_view(args: argparse.Namespace) -> int:
    _view_period(args, timestamps.now())
    context = _context(args)
    days = _days(context)
    reports = context.reports
    totals = _totals(context)
    stretches = reports.stretches() if reports is not None else []
    per_day = list(zip(days, timesplit.by_day(stretches, days), strict=True))
    period_text = f"{days[0].isoformat()} to {days[-1].isoformat()}" if len(days) > 1 else f"on {days[0].isoformat()}"
    if args.chart:
        import shutil

        from sess import colour

        title = render_reports.heading(f"Time per day for {context.scope_name}", period_text)
        lines = [title, ""]
        lines += render_reports.day_chart_lines(per_day, shutil.get_terminal_size().columns, colour.terminal(),
                                                context.now.astimezone().date())
        worked = sum(1 for _, seconds in per_day if seconds > 0)
        # The report's total (each session's whole seconds), as the text, JSON and HTML reports say.
        lines += ["", render.DOT.join([f"Total {render.duration(totals.elapsed_s)}",
                                       f"{worked} of {render.plural(len(per_day), 'day')} worked"])]
        render.print_lines(lines)
        return 0
    return _write_html(args, context, totals, per_day, stretches, period_text)


def _write_html(args: argparse.Namespace, context: Context, totals: Totals, per_day: list[tuple[date, float]],
                stretches: list[tuple[float, float]], period_text: str) -> int:
    from sess import render_html

    reports = context.reports
    limit = HTML_SESSIONS_MOST if args.limit is None else args.limit
    entries = reports.recent(limit) if reports is not None and limit and totals.sessions else []
    count = reports.count() if reports is not None and len(entries) >= limit else len(entries)
    everything = reports.recent(count) if reports is not None and count > len(entries) else entries
    page = render_html.Page(
        scope=context.project.name if context.project is not None else "All projects",
        period=period_text, generated=context.now, totals=totals, days=per_day,
        projects=[render_html.Bar(row.project.name, "", row.elapsed_s) for row in totals.by_project],
        issues=_by_issue(everything, show_project=args.all),
        heat=timesplit.week_by_hour(stretches), entries=entries, entries_total=count, show_project=args.all,
    )
    document = render_html.page(page)
    if args.html == "-":
        sys.stdout.write(document)
        return 0
    from sess.state import is_database_file

    if is_database_file(args.html):
        raise UsageError(f"{args.html} is sess's database or a file SQLite keeps beside it; a report never "
                         "replaces it", "Pass another file for --html.")
    _write_file(args.html, document)
    render.print_lines([render.DOT.join([f"Wrote {args.html}", context.scope_name, period_text,
                                         f"{render.duration(totals.elapsed_s)} in "
                                         f"{render.plural(totals.sessions, 'session')}"])])
    return 0


def _by_issue(entries: list[Entry], show_project: bool) -> list[render_html.Bar]:
    """Time per issue (sessions without one together, per project), most first."""
    from sess import render_html

    sums: dict[tuple[str, str], list[Any]] = {}
    for entry in entries:
        session = entry.session
        key = (entry.project.name if show_project else "", session.issue_id or "")
        label = f"{rules.issue_ref(session.issue_id)} {session.issue_title or ''}".strip() if session.issue_id \
            else "no issue"
        sums.setdefault(key, [label, 0.0])[1] += entry.elapsed_s
    bars = [render_html.Bar(label, project, seconds) for (project, _), (label, seconds) in sums.items()]
    return sorted(bars, key=lambda bar: (-bar.seconds, bar.label))


def _write_file(path: str, document: str) -> None:
    """Write the whole page or nothing: a temporary file beside it, then renamed over it."""
    import tempfile

    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(prefix=".sess-report-", suffix=".html", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(document)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            import contextlib

            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as exc:
        raise SessError(f"cannot write {path}: {exc.strerror or exc}") from exc
