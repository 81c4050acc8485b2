"""`sess worklog`: push worked time to the tracker of each session's issue, and say what was sent."""

from __future__ import annotations

import sys

from sess import render, rules
from sess.commands import add_json, add_period

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from sess.store import Store
    from sess.trackers import Tracker
    from sess.workflows.worklog import Outcome


def parser_worklog(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    worklog = commands.add_parser(
        "worklog", help="push worked time to the issues' trackers",
        description="Log the time of each session with an issue on its tracker (Jira worklogs, GitLab /spend), "
                    "one entry per session and local day, only what was not pushed before.")
    worklog.add_argument("--all", action="store_true", help="every tracked project's sessions")
    add_period(worklog)
    worklog.add_argument("--dry-run", action="store_true", help="show what would be sent; send nothing")
    worklog.add_argument("--retry", action="store_true",
                         help="send again the entries whose sending was never confirmed")
    add_json(worklog)


def cmd_worklog(args: argparse.Namespace) -> int:
    from sess import periods, timestamps
    from sess.commands.analytics import tracked_project
    from sess.store import Store

    now = timestamps.now()
    period = periods.parse_period(args.since, args.until, now)
    store = Store.open_existing()
    project = None if args.all else tracked_project(store)
    outcomes = run(store, project.id if project else None, period.since_epoch if period else None,
                   period.until_epoch if period else None, dry_run=args.dry_run, retry=args.retry)
    scope = "all projects" if project is None else project.name
    if args.json:
        import json

        print(json.dumps({"scope": "all" if project is None else "project", "dry_run": args.dry_run,
                          "entries": [_json(o) for o in outcomes]}, indent=2))
    else:
        render.print_lines(lines(scope, outcomes, args.dry_run))
    _warn(outcomes)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        from sess.errors import SessError

        raise SessError(f"{_entries(len(failed))} could not be sent: {failed[0].error}",
                        "What was sent is recorded; run 'sess worklog' again to send the rest.")
    return 0


def run(store: Store | None, project_id: int | None, since: float | None, until: float | None, *,
        dry_run: bool = False, retry: bool = False, session_id: int | None = None) -> list[Outcome]:
    from sess import config, trackers
    from sess.store import worklog as record
    from sess.workflows import worklog

    if store is None:
        return []
    slices = record.worked_slices(store, project_id, since, until, session_id)
    planned = worklog.entries(slices, since, until)
    recorded = record.pushed(store, {e.session_id for e in planned})
    cache: dict[str, Tracker | None] = {}

    def tracker_of(path: str) -> Tracker | None:
        if path not in cache:  # each project with its own .sess.toml
            cache[path] = trackers.for_config(config.load(path), path)
        return cache[path]

    return worklog.push(store, planned, recorded, tracker_of, dry_run=dry_run, retry=retry)


def lines(scope: str, outcomes: list[Outcome], dry_run: bool) -> list[str]:
    from sess.workflows import worklog as w

    shown = [o for o in outcomes if o.status in (w.SENT, w.WOULD_SEND, w.UNCONFIRMED, w.FAILED)]
    moving = [o for o in shown if o.status in (w.SENT, w.WOULD_SEND)]
    total = sum(o.send for o in moving)
    head = f"{'would send' if dry_run else 'sent'} {_entries(len(moving))}"
    if not shown:
        first = f"Worklog for {scope}{render.DOT}nothing to send"
    else:
        first = f"Worklog for {scope}{render.DOT}{head}{render.DOT}{render.duration(total)}"
        if dry_run:
            first += " (dry run: nothing was sent)"
    result = [first]
    if shown:
        width = max(len(rules.issue_ref(o.entry.issue_id)) for o in shown)
        result.append("")
        for o in shown:
            note = {w.SENT: "", w.WOULD_SEND: "", w.UNCONFIRMED: "unconfirmed: 'sess worklog --retry' sends it",
                    w.FAILED: "not sent"}[o.status]
            before = f"{render.duration(o.pushed)} sent before" if o.pushed else ""
            extra = render.DOT.join(part for part in (before, note) if part)
            ref = render.safe(rules.issue_ref(o.entry.issue_id)).ljust(width)
            result.append(f"  {ref}  {o.entry.day.isoformat()}  {render.duration(o.send)}"
                          + (f"  ({extra})" if extra else ""))
    return result


def _warn(outcomes: list[Outcome]) -> None:
    """What was not sent and why, on stderr: time that went down, trackers without time tracking
    (once each), issues of another tracker than the project's."""
    from sess import trackers
    from sess.workflows import worklog as w

    for o in outcomes:
        if o.status == w.DECREASED:
            ref = render.safe(rules.issue_ref(o.entry.issue_id))
            sys.stderr.write(f"{ref} {o.entry.day.isoformat()}: {render.duration(o.pushed)} was sent, "
                             f"{render.duration(o.entry.seconds)} is recorded now; nothing sent "
                             "(a tracker entry is never negative)\n")
    untracked = sorted({o.entry.tracker for o in outcomes if o.status == w.UNTRACKED})
    for name in untracked:
        sys.stderr.write(f"{trackers.TRACKER_NAMES.get(name, name)} has no time tracking: nothing was sent there\n")
    skipped = [o for o in outcomes if o.status == w.SKIPPED]
    if skipped:
        sys.stderr.write(f"Skipped {_entries(len(skipped))} of issues from another tracker "
                         f"({skipped[0].error})\n")


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"


def _json(o: Outcome) -> dict[str, Any]:
    e = o.entry
    return {"session_id": e.session_id, "session_uuid": e.session_uuid,
            "issue": {"id": e.issue_id, "tracker": e.tracker}, "day": e.day.isoformat(),
            "started_at": e.started.isoformat(), "seconds": e.seconds, "pushed_seconds": o.pushed,
            "send_seconds": o.send, "status": o.status, "remote_id": o.remote_id, "error": o.error}
