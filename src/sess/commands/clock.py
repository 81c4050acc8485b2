"""What pause, resume, end and start share about the clock: `--at`, and the forgotten clock."""

from __future__ import annotations

import sys
from datetime import datetime

from sess import render

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    import argparse

    from sess.rules import Project, Session


def add_at(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--at", metavar="WHEN",
                        help=f"{what} at WHEN instead of now: HH:MM (its latest past moment), 'yesterday HH:MM', "
                             "'monday HH:MM', 'YYYY-MM-DD HH:MM', ISO 8601 with offset, or how long ago "
                             "(20m, 1h30m, 1d)")


def parse_at(args: argparse.Namespace, now: datetime) -> datetime | None:
    if args.at is None:
        return None
    from sess import periods

    return periods.parse_at_flag("--at", args.at, now)


def stop_moment(top: str, branch: str, session: Session, now: datetime, verb: str,
                idle_after_s: int) -> datetime | None:
    """Where a pause or end without `--at` stops a forgotten clock: on a terminal the user picks
    the last activity or now; otherwise now, and the `status` line goes to stderr."""
    from sess import periods, prompts
    from sess.workflows.session import find_idle

    if session.state != "active" or session.current_slice_start is None:
        return None
    idle = find_idle(top, branch, session, idle_after_s, now)
    if idle is None:
        return None
    last = periods.show_moment(idle.stop_at, now)
    if prompts.interactive():
        choice: datetime | None = prompts.select(
            f"The clock has run {render.duration(idle.running_s)}; the last git activity was at {last}. "
            "Stop it at", [(f"the last activity ({last})", idle.stop_at),
                           (f"now ({periods.show_moment(now, now)})", None)])
        return choice
    sys.stderr.write(render.idle_line(idle, now) + "\n")
    which = f" --session {session.id}" if verb == "end" else ""
    sys.stderr.write(f"  Stopped now; 'sess amend @1{which} --end {periods.at_argument(idle.stop_at, now)}' "
                     "moves the end there\n")
    return None


LONG_SLICE_S = 12 * 3600  # a slice longer than this is more often a mistyped moment than a day's work


def long_slice(seconds: float, what: str) -> str | None:
    """The line that states a slice over 12 hours, else None; on a terminal the user is asked
    first, and a no changes nothing."""
    if seconds <= LONG_SLICE_S:
        return None
    from sess import prompts
    from sess.errors import SessError

    line = f"{what} makes a slice of {render.duration(seconds)}, over 12 hours"
    if prompts.interactive() and not prompts.confirm(f"{line}. Go on?", default=False):
        raise SessError("cancelled; nothing was changed")
    return line


def paused_elsewhere_lines(paused: list[tuple[Project, Session]]) -> list[str]:
    """time.exclusive: which clocks starting this one stopped."""
    return [f"Paused {session.branch} in {project.name} (time.exclusive)" for project, session in paused]
