"""`sess sync` (share your session records through refs on origin, read your teammates') and
`sess team` (who is on what, from the last sync)."""

from __future__ import annotations

import os
import sys

from sess import render, timestamps
from sess.commands import Option, add_json, quick_args
from sess.errors import SessError

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from datetime import datetime
    from typing import Any

    from sess.config import Config
    from sess.rules import Project
    from sess.store import Store
    from sess.store.team import TeamRecord

TEAM_RECENT_DAYS = 7  # `sess team --all`: ended sessions of the last week too


def parser_sync(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sync = commands.add_parser(
        "sync", help="share session records with the team through origin",
        description="Fetch the team's session records from origin (refs/sess/v1/*), read the ones that changed, "
                    "and push yours: your sessions of this repository from this device, without paths, commit "
                    "messages or PR bodies. Needs '[sync] enabled = true' in .sess.toml.")
    sync.add_argument("--dry-run", action="store_true", help="show what would be pushed; fetch and push nothing")


def parser_team(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    team = commands.add_parser(
        "team", help="who is on what, from the last sync",
        description="The open sessions of everyone in this project as of the last 'sess sync', yours on other "
                    "devices included.")
    team.add_argument("--all", action="store_true", help=f"also sessions ended in the last {TEAM_RECENT_DAYS} days")
    add_json(team)


def sync_enabled(top: str, cfg: Config, what: str) -> None:
    """SessError unless this repository shares its records and the user has not opted out."""
    from sess import config

    if cfg.sync_enabled:
        return
    user = config.read_layers(top).user
    if user is not None and user.values.get("sync.enabled") is False:
        raise SessError(f"{what}: you opted out of sync (sync.enabled = false in {config.shown(config.user_path())})")
    raise SessError(f"{what}: sync is not enabled in this repository",
                    "The team opts in with '[sync]' 'enabled = true' in .sess.toml.")


def _project(what: str) -> tuple[Store, Project, Config]:
    """The project here, tracked on first use, with sync enabled: read as `sess status` reads
    its own (git's files, one SQLite read), git asked only to track a new one."""
    from sess import config, gitfiles
    from sess.store import Store

    where = gitfiles.locate_quick(os.getcwd())
    if where is None:
        raise SessError("not a git repository", "Run sess inside a git repository.")
    top, branch = where
    cfg = config.load(top)
    sync_enabled(top, cfg, what)
    store = Store.open()
    project = store.project_by_path(top)
    if project is None:
        from sess.workflows.common import Where, project_name
        from sess.workflows.start import resolve_base

        try:
            base = resolve_base(store, Where(top, branch, None), None)
        except SessError:
            base = branch
        project = store.track_project(project_name(top), top, base)
    return store, project, cfg


def warn(text: str) -> None:
    """One warning line on stderr (sync's: its text may quote a teammate's ref)."""
    sys.stderr.write(render.safe(text) + "\n")


# --- sync -----------------------------------------------------------------------------------------

def cmd_sync(args: argparse.Namespace) -> int:
    from sess import sync

    store, project, _ = _project("cannot sync")
    done = sync.run(store, project.path, project.id, dry_run=args.dry_run, warn=warn)
    if args.dry_run:
        lines = [f"Would push {render.plural(done.written, 'session')} of yours to {done.ref} on origin",
                 f"{done.changed} new or changed since the last push · nothing fetched or pushed"]
    else:
        lines = [f"Synced {project.name} with origin"]
        if done.pushed:
            lines.append(f"Pushed {render.plural(done.written, 'session')} ({done.changed} changed) to {done.ref}")
        elif done.written:
            lines.append(f"{render.plural(done.written, 'session')} of yours, up to date on {done.ref}")
        else:
            lines.append("No session of yours to share yet: nothing pushed")
        read = (f"Read {render.plural(done.refs_read, 'changed ref')} ({render.plural(done.records_read, 'record')})"
                if done.refs_read else "No teammate's ref changed")
        lines.append(render.DOT.join([read, render.plural(done.people, "person") if done.people == 1
                                      else f"{done.people} people"]))
    render.print_lines(lines)
    return 0


# --- team -----------------------------------------------------------------------------------------

QUICK_TEAM: dict[str, Option] = {"--all": ("all", False, None), "--json": ("json", False, None),
                                  "--no-hooks": ("no_hooks", False, None)}


def quick_team(argv: Sequence[str]) -> argparse.Namespace | None:
    """`sess team [--all] [--json]` without argparse: it is held to `sess status`'s budget."""
    return quick_args("team", argv, QUICK_TEAM)  # type: ignore[return-value]


QUICK_SYNC: dict[str, Option] = {"--dry-run": ("dry_run", False, None), "--no-hooks": ("no_hooks", False, None)}


def quick_sync(argv: Sequence[str]) -> argparse.Namespace | None:
    """`sess sync [--dry-run]` without argparse: sync is held to the cost of its fetch."""
    return quick_args("sync", argv, QUICK_SYNC)  # type: ignore[return-value]


def _device() -> str:
    """This state dir's device id, without making one (sync makes it)."""
    from sess.state import state_dir

    try:
        with open(os.path.join(state_dir(), "device-id"), encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def cmd_team(args: argparse.Namespace) -> int:
    from sess.store import team

    store, project, _ = _project("cannot show the team")
    now = timestamps.now()
    since = now.timestamp() - TEAM_RECENT_DAYS * 86400 if args.all else None
    device = _device()
    # Who you are as the last sync wrote it (the records shown are that sync's), else git's.
    name, email = team.last_identity(project.path) or identity(project.path)
    mine = _own_entries(store, project, device, now, since, name or "you")
    theirs = [_entry(record, device, now, args.json) for record in team.records(store, project.id, since)
              if record.device != device]
    # A record's e-mail is the one its ref is named after (sync checked): no hashing here.
    me = email.lower()
    for entry in theirs:
        entry.pop("_actor")
        entry["you"] = bool(me) and (entry["person"]["email"] or "").lower() == me
    entries = sorted(mine + theirs, key=lambda entry: (entry["state"] == "ended", -entry["_start"]))
    if args.json:
        render.emit_json({"project": {"name": project.name, "path": project.path},
                          "sessions": [{k: v for k, v in entry.items() if not k.startswith("_")}
                                       for entry in entries]})
        return 0
    heading = "Sessions" if args.all else "Open sessions"
    lines = [f"{heading} in {project.name} ({len(entries)})"]
    if not entries:
        lines.append("")
        lines.append("Nobody is on anything here" + ("" if args.all else " right now")
                     + " · 'sess sync' fetches the latest")
    for entry in entries:
        lines.append("")
        lines.extend(_entry_lines(entry, now))
    render.print_lines(lines)
    return 0


def _email(top: str) -> str:
    from sess import git

    return git.git(top, "config", "--get", "user.email", check=False).stdout.strip()


def identity(top: str) -> tuple[str, str]:
    """git's user.name and user.email (either "" when not set), in one git call."""
    from sess import git, spawn

    found: dict[str, str] = {}
    for line in git.git(top, *spawn.IDENTITY, check=False).stdout.splitlines():
        key, _, value = line.partition(" ")
        found[key.lower()] = value.strip()  # the last one wins, as in `git config --get`
    return found.get("user.name", ""), found.get("user.email", "")


def _own_entries(store: Store, project: Project, device: str, now: datetime,
                 since: float | None, name: str) -> list[dict[str, Any]]:
    from sess import rules
    from sess.store import team

    entries = []
    for _, session, _ in team.own_sessions(store, [project.id], open_only=since is None):
        ended = session.end_time.timestamp() if session.end_time else session.start_time.timestamp()
        if not session.is_open and (since is None or ended < since):
            continue
        entries.append({
            "person": {"name": name, "email": None}, "you": True, "device": device, "this_device": True,
            "branch": session.branch, "branch_type": session.branch_type,
            "issue": {"id": session.issue_id, "title": session.issue_title} if session.issue_id else None,
            "state": rules.CANCELLED if session.cancelled else session.state,
            "started_at": render.iso(session.start_time), "ended_at": render.iso(session.end_time),
            "elapsed_seconds": rules.elapsed_seconds(session, now), "synced_at": None,
            "_start": session.start_time.timestamp()})
    return entries


def _entry(record: TeamRecord, device: str, now: datetime, times: bool = True) -> dict[str, Any]:
    """A teammate's record as `sess team` shows it; the ISO times only with `times` (--json: the
    text reads the epochs, and a hundred records' times cost `team` a tenth of status's budget)."""
    from datetime import UTC, datetime

    from sess.store.team import live_elapsed

    def moment(epoch: float | None) -> str | None:
        if epoch is None or not times:
            return None
        return datetime.fromtimestamp(epoch, UTC).astimezone().isoformat()

    return {
        "person": {"name": record.actor_name, "email": record.actor_email}, "you": False,
        "device": record.device, "this_device": record.device == device,
        "branch": record.branch, "branch_type": record.branch_type,
        "issue": {"id": record.issue_id, "title": record.issue_title} if record.issue_id else None,
        "state": "cancelled" if record.outcome == "cancelled" else record.state,
        "started_at": moment(record.start_epoch), "ended_at": moment(record.end_epoch),
        "elapsed_seconds": live_elapsed(record, now.timestamp()), "synced_at": moment(record.synced_epoch),
        "_start": record.start_epoch, "_synced": record.synced_epoch, "_actor": record.actor_hash}


def _entry_lines(entry: dict[str, Any], now: datetime) -> list[str]:
    from datetime import datetime

    from sess.durations import duration

    who = "You" if entry["you"] else render.safe(entry["person"]["name"])
    head = [who, render.safe(render.branch_label(entry["branch"], entry["branch_type"])),
            render.state_word(entry["state"]), duration(entry["elapsed_seconds"])]
    if entry["issue"]:
        head.append(f"#{render.safe(entry['issue']['id'])}")
    # From the epochs, not by parsing the ISO times made for --json back (a hundred entries on
    # `sess status`'s budget, issue 18).
    started = datetime.fromtimestamp(entry["_start"]).astimezone()
    detail = [f"since {since_text(started, now)}",
              "this device" if entry["this_device"] else f"device {entry['device'][:8]}"]
    if entry.get("_synced") is not None:
        detail.append(f"synced {render.relative(datetime.fromtimestamp(entry['_synced']).astimezone(), now)}")
    lines = [render.DOT.join(head), "  " + render.DOT.join(detail)]
    if entry["issue"] and entry["issue"]["title"]:
        lines.append(f"  {render.safe(entry['issue']['title'])}")
    return lines


def since_text(moment: datetime, now: datetime) -> str:
    """09:14 today, else the date and the time."""
    local = moment.astimezone()
    if local.date() == now.astimezone().date():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


# --- who is on it already -------------------------------------------------------------------------

def check_taken(store: Store, project: Project, issue_id: str, ask: bool) -> None:
    """`start --issue`: say who else has an open session on it (as of the last sync); on a
    terminal, ask whether to go on (Enter: no)."""
    from datetime import UTC, datetime

    from sess import prompts, sync
    from sess.store import team

    records = team.open_on_issue(store, project.id, issue_id)
    if not records:
        return
    me = sync.actor_hash(_email(project.path))
    others = [record for record in records if record.actor_hash != me]
    if not others:
        return
    now = timestamps.now()
    for record in others:
        started = datetime.fromtimestamp(record.start_epoch, UTC)
        synced = (f", synced {render.relative(datetime.fromtimestamp(record.synced_epoch, UTC), now)}"
                  if record.synced_epoch is not None else "")
        sys.stderr.write(render.safe(f"{record.actor_name} has been on #{issue_id} since "
                                     f"{since_text(started, now)} ({record.branch}{synced})") + "\n")
    if ask and not prompts.confirm(f"Start on #{issue_id} anyway?", default=False):
        raise SessError("cancelled; nothing was changed")
