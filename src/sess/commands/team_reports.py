"""`history`, `stats` and `report` with `--team`: everyone's sessions of this project as of the
last `sess sync` (yours from every device, each once), with a `By person` section and `person`
in JSON."""

from __future__ import annotations

from sess import periods, render, render_reports, timestamps
from sess.commands.analytics import BY_PROJECT_IN_REPORT, BY_PROJECT_IN_STATS, RECENT_IN_REPORT, tracked_project
from sess.errors import UsageError
from sess.records import NamedTuple
from sess.render import DOT, duration, plural

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from datetime import datetime
    from typing import Any

    from sess.rules import Project
    from sess.store.reports import Totals
    from sess.store.team_reports import Person, TeamEntry, TeamReports


class TeamContext(NamedTuple):
    now: datetime
    period: periods.Period | None
    project: Project
    reports: TeamReports

    @property
    def scope_name(self) -> str:
        return f"{self.project.name}, everyone"

    @property
    def period_text(self) -> str | None:
        return periods.describe(self.period) if self.period is not None else None


def _context(args: argparse.Namespace) -> TeamContext:
    from sess import sync
    from sess.commands.team import identity
    from sess.store import Store, team
    from sess.store.team_reports import TeamReports

    if args.all:
        raise UsageError("--team and --all cannot be combined", "--team covers everyone's sessions of this project.")
    now = timestamps.now()
    period = periods.parse_period(args.since, args.until, now)
    limit = getattr(args, "limit", None)
    if limit is not None and limit < (1 if args.command == "history" else 0):
        raise UsageError(f"--limit must be at least {1 if args.command == 'history' else 0}")
    store = Store.open_existing()
    project = tracked_project(store)
    assert store is not None
    # Who you are as the last sync wrote it (the records are that sync's), else git's: as `sess
    # team` asks, no git process once synced (issue 18: report --team within 2x report --all).
    name, email = team.last_identity(project.path) or identity(project.path)
    me = (sync.actor_hash(email) if email else "", name or "you", email)
    reports = TeamReports(store, project, period.since_epoch if period else None,
                          period.until_epoch if period else None, now, me)
    return TeamContext(now, period, project, reports)


# --- JSON -----------------------------------------------------------------------------------------

def entry_json(entry: TeamEntry, context: TeamContext) -> dict[str, Any]:
    document = render_reports.entry_json(entry.entry, context.now, context.period)
    if not entry.entry.session.id:
        document["id"] = None  # a teammate's: it has no row here
    document["uuid"] = entry.uuid
    document["person"] = {"name": entry.person, "email": entry.email, "you": entry.you}
    return document


def stats_json(totals: Totals, people: list[Person], context: TeamContext) -> dict[str, Any]:
    document = render_reports.stats_json(totals, False, context.now, context.period)
    document["scope"] = "team"
    longest = context.reports.longest() if totals.longest is not None else None
    document["longest"] = entry_json(longest, context) if longest is not None else None
    document["by_person"] = [{"name": person.name, "email": person.email, "you": person.you,
                              "sessions": person.sessions, "elapsed_seconds": int(person.elapsed_s)}
                             for person in people]
    return document


# --- text -----------------------------------------------------------------------------------------

def entry_lines(entry: TeamEntry, context: TeamContext) -> list[str]:
    """As history shows a session, with who it is in front of its second line."""
    first, second = render_reports.entry_lines(entry.entry, context.now, False, context.period)
    who = "you" if entry.you else render.safe(entry.person)
    return [first, f"  {who}{DOT}{second.strip()}"]


def by_person_lines(totals: Totals, people: list[Person], top: int) -> list[str]:
    rows = [person for person in people if person.sessions][:top]
    if not rows:
        return []
    names = [render.safe(person.name) + (" (you)" if person.you else "") for person in rows]
    width = max(len(name) for name in names)
    times = [duration(person.elapsed_s) for person in rows]
    time_width = max(len(text) for text in times)
    lines = ["By person"]
    for person, name, text in zip(rows, names, times, strict=True):
        parts = [text.rjust(time_width)]
        if totals.elapsed_s > 0:
            parts.append(f"{round(100 * person.elapsed_s / totals.elapsed_s):>3d}%")
        parts.append(plural(person.sessions, "session"))
        lines.append(f"  {name.ljust(width)}  {DOT.join(parts)}")
    rest = len(people) - len(rows)
    if rest > 0:
        lines.append(f"  and {plural(rest, 'more person') if rest == 1 else f'{rest} more people'}")
    return lines


def _summary(kind: str, context: TeamContext, totals: Totals, people: list[Person], top: int) -> list[str]:
    lines = [render_reports.heading(f"{kind} for {context.scope_name}", context.period_text)]
    lines += render_reports.totals_lines(totals, context.now, False)
    if totals.sessions:
        lines += ["", *by_person_lines(totals, people, top)]
    return lines


# --- the commands -------------------------------------------------------------------------------

def history(args: argparse.Namespace) -> int:
    context = _context(args)
    entries = context.reports.recent(args.limit)
    if args.json:
        render.emit_json({"sessions": [entry_json(entry, context) for entry in entries],
                          "period": render_reports.period_json(context.period)})
        return 0
    if not entries:
        render.print_lines([render_reports.heading(f"No sessions in {context.scope_name}", context.period_text)])
        return 0
    total = len(entries) if len(entries) < args.limit else context.reports.count()
    title = f"Sessions in {context.scope_name} {render_reports.count_note(len(entries), total)}"
    lines = [render_reports.heading(title, context.period_text), ""]
    for entry in entries:
        lines += entry_lines(entry, context)
    render.print_lines(lines)
    return 0


def stats(args: argparse.Namespace) -> int:
    context = _context(args)
    totals, people = context.reports.totals(), context.reports.by_person()
    if args.json:
        render.emit_json(stats_json(totals, people, context))
        return 0
    render.print_lines(_summary("Stats", context, totals, people, BY_PROJECT_IN_STATS))
    return 0


def report(args: argparse.Namespace) -> int:
    views = [flag for flag, given in (("--json", args.json), ("--chart", args.chart), ("--html", args.html))
             if given]
    if len(views) > 1:
        raise UsageError(f"{views[0]} and {views[1]} cannot be combined", "Choose one way to show the report.")
    if args.chart or args.html is not None:
        return _view(args)
    context = _context(args)
    totals, people = context.reports.totals(), context.reports.by_person()
    limit = RECENT_IN_REPORT if args.limit is None else args.limit
    entries = context.reports.recent(limit) if limit and totals.sessions else []
    if args.json:
        render.emit_json({"stats": stats_json(totals, people, context),
                          "recent": [entry_json(entry, context) for entry in entries]})
        return 0
    lines = _summary("Report", context, totals, people, BY_PROJECT_IN_REPORT)
    if entries:
        lines += ["", f"Recent sessions {render_reports.count_note(len(entries), totals.sessions)}"]
        for entry in entries:
            lines += entry_lines(entry, context)
    render.print_lines(lines)
    return 0


TEAM_EXPORT_COLUMNS = ("person", "email", "uuid", "branch", "type", "issue_id", "issue_title", "pr_number",
                       "start", "end", "seconds")


def export(args: argparse.Namespace) -> int:
    """`export --team`: one row per slice of everyone's, with who it was; no local paths."""
    import json
    import sys

    form = "json" if args.json else (args.format or "csv")
    context = _context(args)
    rows = context.reports.export_rows()
    out = sys.stdout
    if form == "csv":
        out.write(",".join(TEAM_EXPORT_COLUMNS) + "\n")
        out.write("".join(",".join(_csv_cell(value) for value in row) + "\n" for row in rows))
        return 0
    head = {"scope": "team", "project": context.project.name, "period": render_reports.period_json(context.period)}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "slices": [')
    out.write(",".join("\n  " + json.dumps(dict(zip(TEAM_EXPORT_COLUMNS, row, strict=True)), ensure_ascii=False)
                       for row in rows))
    out.write("\n]}\n")
    return 0


def _csv_cell(value: object) -> str:
    """RFC 4180, and a teammate's text that a spreadsheet would run as a formula (=, +, -, @)
    is kept as text by a leading apostrophe."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _view(args: argparse.Namespace) -> int:
    """`report --team --chart` / `--html`: the views of `report`, over everyone's time."""
    from sess import timesplit
    from sess.commands import analytics

    analytics._view_period(args, timestamps.now())
    context = _context(args)
    # _days reads only `now` and `period`, which a TeamContext has too.
    days = analytics._days(context)  # type: ignore[arg-type]
    reports = context.reports
    totals = reports.totals()
    stretches = reports.stretches()
    per_day = list(zip(days, timesplit.by_day(stretches, days), strict=True))
    period_text = f"{days[0].isoformat()} to {days[-1].isoformat()}" if len(days) > 1 else f"on {days[0].isoformat()}"
    if args.chart:
        import shutil

        from sess import colour

        lines = [render_reports.heading(f"Time per day for {context.scope_name}", period_text), ""]
        lines += render_reports.day_chart_lines(per_day, shutil.get_terminal_size().columns, colour.terminal(),
                                                context.now.astimezone().date())
        worked = sum(1 for _, seconds in per_day if seconds > 0)
        lines += ["", DOT.join([f"Total {duration(sum(s for _, s in per_day))}",
                                f"{worked} of {plural(len(per_day), 'day')} worked"])]
        render.print_lines(lines)
        return 0
    return _html(args, context, totals, per_day, stretches, period_text)


def _html(args: argparse.Namespace, context: TeamContext, totals: Totals, per_day: list[Any],
          stretches: list[tuple[float, float]], period_text: str) -> int:
    from sess import render_html, timesplit
    from sess.commands import analytics

    reports = context.reports
    limit = analytics.HTML_SESSIONS_MOST if args.limit is None else args.limit
    entries = reports.recent(limit) if limit and totals.sessions else []
    count = reports.count() if len(entries) >= limit else len(entries)
    everything = reports.recent(count) if count > len(entries) else entries
    # The table's second column names the person, where --all names the project.
    shown = [team_entry.entry._replace(project=team_entry.entry.project._replace(
        name="you" if team_entry.you else team_entry.person)) for team_entry in entries]
    page = render_html.Page(
        scope=context.scope_name, period=period_text, generated=context.now, totals=totals, days=per_day,
        projects=[render_html.Bar(person.name + (" (you)" if person.you else ""), "", person.elapsed_s)
                  for person in reports.by_person()],
        issues=analytics._by_issue([entry.entry for entry in everything], show_project=False),
        heat=timesplit.week_by_hour(stretches), entries=shown, entries_total=count, show_project=True,
        grouped_by="person",
    )
    document = render_html.page(page)
    if args.html == "-":
        import sys

        sys.stdout.write(document)
        return 0
    analytics._write_file(args.html, document)
    render.print_lines([DOT.join([f"Wrote {args.html}", context.scope_name, period_text,
                                  f"{duration(totals.elapsed_s)} in {plural(totals.sessions, 'session')}"])])
    return 0

