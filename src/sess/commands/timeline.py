"""`sess log`, `sess amend` and `sess export`: the slices of a session, correcting one of them,
and every slice of a period for a timesheet."""

from __future__ import annotations

import argparse
import os
import re
from datetime import datetime

from sess import render, rules, timestamps
from sess.commands import add_json, add_period
from sess.errors import UsageError
from sess.rules import Project, Session, Slice
from sess.store import Store

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

    from sess.workflows.timeline import Amended


def parser_log(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    log = commands.add_parser("log", help="list the slices of a session",
                              description="The slices (active stretches) of the open session, or of session ID, "
                                          "newest first, numbered @1, @2, ...")
    log.add_argument("--session", metavar="ID|BRANCH",
                     help="another session: an id ('sess history --json' lists them) or an open session's branch")
    add_json(log)


def parser_amend(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    amend = commands.add_parser("amend", help="change or drop one slice",
                                description="Move the start or end of one slice (@N as 'sess log' numbers them), "
                                            "or drop it.")
    amend.add_argument("slice", metavar="@N", help="the slice, as 'sess log' numbers it (@1 is the newest)")
    amend.add_argument("--session", metavar="ID|BRANCH",
                       help="a session other than the open one here: an id, or an open session's branch")
    amend.add_argument("--start", metavar="WHEN", help="new start: HH:MM, 'YYYY-MM-DD HH:MM', ISO 8601, or 20m ago")
    amend.add_argument("--end", metavar="WHEN", help="new end (same forms)")
    amend.add_argument("--drop", action="store_true", help="remove the slice and its time")


def parser_export(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    export = commands.add_parser("export", help="every slice of a period, for timesheets",
                                 description="One row per slice (clipped to the period), oldest first, as CSV "
                                             "with a header line or as JSON.")
    export.add_argument("--all", action="store_true", help="across every tracked project")
    export.add_argument("--team", action="store_true",
                        help="everyone's slices of this project, as of the last 'sess sync', with a person column")
    add_period(export)
    export.add_argument("--format", choices=("csv", "json"), default=None, help="csv (default) or json")
    add_json(export)


# --- log ----------------------------------------------------------------------------------------

def cmd_log(args: argparse.Namespace) -> int:
    from sess.workflows.timeline import unaccounted_s

    store = Store.open_existing()
    project, session = _target(store, args.session)
    assert store is not None
    now = timestamps.now()
    slices = store.slices(session)
    if args.json:
        render.emit_json({
            "session": render.session_json(session, project, now),
            "slices": [{"n": number, "start": render.iso(piece.start), "end": render.iso(piece.end),
                        "seconds": round(piece.seconds(now), 3)} for number, piece in enumerate(slices, start=1)],
            "unaccounted_seconds": round(unaccounted_s(session, slices), 3),
        })
        return 0
    state = render.session_state_word(session)
    lines = [render.DOT.join([render.branch_label(session.branch, session.branch_type), state,
                              render.duration(rules.elapsed_seconds(session, now)), f"session {session.id}"])]
    if project.path != _top():
        lines[0] += f"{render.DOT}{project.name}"
    lines.extend(_slice_lines(slices, now))
    rest = unaccounted_s(session, slices)
    if rest:
        lines.append(f"  and {render.duration(rest)} recorded without slices")
    if not slices and not rest:
        lines.append("  no slices recorded")
    render.print_lines(lines)
    return 0


def _top() -> str | None:
    from sess.promptline import repository_top

    return repository_top(os.getcwd())


def _slice_lines(slices: list[Slice], now: datetime) -> list[str]:
    rows = []
    for number, piece in enumerate(slices, start=1):
        start = piece.start.astimezone()
        if piece.end is None:
            end = "running"
        else:
            local_end = piece.end.astimezone()
            end = local_end.strftime("%H:%M" if local_end.date() == start.date() else "%Y-%m-%d %H:%M")
        rows.append((f"@{number}", start.strftime("%Y-%m-%d %H:%M"), end, render.duration(piece.seconds(now))))
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(4)]
    return ["  " + "  ".join(cell.ljust(widths[column]) if column < 3 else cell.rjust(widths[column])
                             for column, cell in enumerate(row)).rstrip() for row in rows]


# --- amend --------------------------------------------------------------------------------------

_SLICE = re.compile(r"^@?(\d+)$")


def cmd_amend(args: argparse.Namespace) -> int:
    from sess import periods
    from sess.workflows import timeline

    match = _SLICE.match(args.slice.strip())
    if match is None:
        raise UsageError(f"'{args.slice}' is not a slice: write @N (as 'sess log' numbers them)")
    if args.drop and (args.start is not None or args.end is not None):
        raise UsageError("--drop cannot be combined with --start or --end")
    if not args.drop and args.start is None and args.end is None:
        raise UsageError("nothing to change: pass --start WHEN, --end WHEN or --drop")
    now = timestamps.now()
    start = periods.parse_at_flag("--start", args.start, now) if args.start is not None else None
    end = periods.parse_at_flag("--end", args.end, now) if args.end is not None else None
    store = Store.open_existing()
    project, session = _target(store, args.session)
    assert store is not None
    from sess import config

    cfg = config.load_lenient(project.path, render.warn)
    number = int(match.group(1))
    long = None
    if not args.drop:
        from sess.commands.clock import long_slice

        slices = store.slices(session)
        if 1 <= number <= len(slices):
            old = slices[number - 1]
            seconds = ((end or old.end or now) - (start or old.start)).total_seconds()
            long = long_slice(seconds, f"amend @{number}")
    amended = timeline.amend(store, project, session.id, number, start, end, args.drop, now,
                             exclusive=cfg.time_exclusive)
    lines = _amended_lines(amended, timestamps.now())
    if long:
        lines.insert(1, long)
    if args.drop:  # the slices after it moved up: a following 'amend @N' must not hit another one
        remaining = store.slices(amended.session)
        lines += ["Numbered now:", *_slice_lines(remaining, timestamps.now())] if remaining else ["No slices left"]
    render.print_lines(lines)
    return 0


def _span(piece: Slice, now: datetime) -> str:
    start = piece.start.astimezone()
    end = piece.end.astimezone() if piece.end else None
    end_text = "running" if end is None else end.strftime("%H:%M" if end.date() == start.date() else "%Y-%m-%d %H:%M")
    return f"{start:%Y-%m-%d %H:%M} to {end_text} ({render.duration(piece.seconds(now))})"


def _amended_lines(amended: Amended, now: datetime) -> list[str]:
    session = amended.session
    where = render.branch_label(session.branch, session.branch_type)
    if amended.after is None:
        first = f"Dropped @{amended.number} of {where}: {_span(amended.before, now)}"
    else:
        first = f"Amended @{amended.number} of {where}: {_span(amended.after, now)}, was {_span(amended.before, now)}"
    return [first, f"Total elapsed: {render.duration(rules.elapsed_seconds(session, now))}",
            "'sess undo' puts it back"]


# --- export -------------------------------------------------------------------------------------

EXPORT_COLUMNS = ("project", "path", "session_id", "branch", "type", "issue_id", "issue_title", "pr_number",
                  "start", "end", "seconds")


def cmd_export(args: argparse.Namespace) -> int:
    import sys

    from sess import periods
    from sess.commands.analytics import tracked_project
    from sess.store.reports import Reports, Scope

    if args.json and args.format == "csv":
        raise UsageError("--json and --format csv contradict each other")
    if args.team:
        from sess.commands import team_reports

        return team_reports.export(args)
    form = "json" if args.json else (args.format or "csv")
    now = timestamps.now()
    period = periods.parse_period(args.since, args.until, now)
    store = Store.open_existing()
    project = None if args.all else tracked_project(store)
    times: list[tuple[int, str, str, int]] = []
    sessions: dict[int, Any] = {}
    if store is not None:
        scope = Scope(project.id if project is not None else None,
                      period.since_epoch if period else None, period.until_epoch if period else None)
        reports = Reports(store, scope, now)
        times = reports.export_times()
        sessions = reports.export_sessions({row[0] for row in times}, csv_lines=form == "csv")
    out = sys.stdout
    if form == "csv":
        out.write(",".join(EXPORT_COLUMNS) + "\n")
        # Each session's columns are quoted once, then every slice is a plain join: a timesheet of a
        # few years is hundreds of thousands of lines (csv.writer would redo the session per line).
        heads: dict[int, str | None] = dict(sessions)
        awkward = {sid for sid, line in heads.items() if line is None}
        if awkward:  # fields that need quoting: the rare session quoted here, field by field
            assert store is not None
            for sid, columns in reports.export_sessions(awkward).items():
                heads[sid] = ",".join(map(_csv_field, columns))
        for first in range(0, len(times), 50_000):  # in chunks: a few MB at a time, not the whole file
            out.write("".join([f"{heads[sid]},{start},{end},{seconds}\n"
                               for sid, start, end, seconds in times[first:first + 50_000] if sid in heads]))
        return 0
    import json

    from sess.render_reports import period_json

    head = {"scope": "all" if project is None else "project", "period": period_json(period)}
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "slices": [')
    separator = "\n  "
    for sid, start, end, seconds in times:
        if sid in sessions:
            row = dict(zip(EXPORT_COLUMNS, (*sessions[sid], start, end, seconds), strict=True))
            out.write(separator + json.dumps(row, ensure_ascii=False))
            separator = ",\n  "
    out.write("\n]}\n")
    return 0


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_field(value: object) -> str:
    """A CSV field as the csv module writes it (RFC 4180): quoted when it holds , " or a line break;
    one that begins as a formula would gets a leading '."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text[:1] in FORMULA_STARTS:
        text = "'" + text  # a spreadsheet shows it as text instead of running it (OWASP's CSV injection)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _target(store: Store | None, ref: str | None) -> tuple[Project, Session]:
    """The session log and amend mean; on a terminal, the user's pick when several are open."""
    from sess.workflows.common import SessionChoice
    from sess.workflows.timeline import target

    try:
        return target(store, os.getcwd(), ref)
    except SessionChoice as exc:
        from sess import prompts

        if not prompts.interactive():
            raise
        chosen: int = prompts.select("Which session?", [
            (render.safe(f"{s.branch} ({s.state})"), s.id) for s in exc.sessions])
        return target(store, os.getcwd(), str(chosen))
