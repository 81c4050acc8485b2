"""Turning results into what the user reads: compact text (STYLE.md) or JSON (SPEC.md)."""

from __future__ import annotations

import sys
from datetime import datetime

from sess import colour, rules
from sess.durations import duration as duration  # re-exported: the name every renderer uses
from sess.rules import Project, Session

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

    from sess.store import Journal

DOT = " · "


_CONTROL = r"[\x00-\x1f\x7f-\x9f]"  # compiled on first use (re caches it), not by every import


def safe(text: str) -> str:
    """Text from outside (issue titles, ids) with control characters made visible, so a title
    cannot move the cursor or recolour the user's terminal."""
    if text.isprintable():
        return text
    import re

    return re.sub(_CONTROL, lambda match: f"\\x{ord(match.group()):02x}", text)


# sess's own colours (sess.colour.paint): the only escape sequences a printed line may keep.
_OWN_COLOURS = r"\x1b\[(?:0|1|2|32|33|36)m"


def safe_line(text: str) -> str:
    """A line as it may reach the terminal: every control character made visible (a remote's OSC 52
    clipboard write, a window title, a cursor move in a project name or path), but tabs, line
    breaks and sess's own colours."""
    if text.isprintable():
        return text
    import re

    parts = re.split(f"({_OWN_COLOURS})", text)
    return "".join(part if index % 2 else "\n".join("\t".join(safe(piece) for piece in chunk.split("\t"))
                                                      for chunk in part.split("\n"))
                   for index, part in enumerate(parts))


def title_lines(session: Session) -> list[str]:
    """The issue title on a line of its own, after a blank line; nothing without one."""
    return ["", f"  {safe(session.issue_title)}"] if session.issue_title else []


def state_word(state: str) -> str:
    return colour.paint(state, {"active": colour.GREEN, "paused": colour.YELLOW}.get(state, colour.DIM))


def session_state_word(session: Session) -> str:
    """`active`, `paused`, `ended`, or `cancelled` for a session given up without a handoff."""
    return state_word(rules.CANCELLED if session.cancelled else session.state)


def relative(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _ago(int(seconds // 60), "minute")
    local_day = moment.astimezone().date()
    days = (now.astimezone().date() - local_day).days
    if seconds < 86400 and days == 0:
        return _ago(int(seconds // 3600), "hour")
    if days <= 1:
        return "yesterday" if days == 1 else _ago(int(seconds // 3600), "hour")
    if days <= 7:
        return f"{days} days ago"
    return local_day.isoformat()


def _ago(count: int, unit: str) -> str:
    return f"{plural(count, unit)} ago"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def branch_label(branch: str, branch_type: str | None) -> str:
    return f"{branch} ({branch_type})" if branch_type else branch


def issue_ref(session: Session) -> str:
    return safe(rules.issue_ref(session.issue_id))


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# --- JSON ---------------------------------------------------------------------------------------

def session_json(session: Session, project: Project | None, now: datetime) -> dict[str, Any]:
    return {
        "id": session.id,
        "project": {"name": project.name, "path": project.path} if project else None,
        "branch": session.branch,
        "branch_type": session.branch_type or None,
        "state": session.state,
        "issue": {"id": session.issue_id, "title": session.issue_title or "",
                  "tracker": session.issue_tracker or "github", "url": session.issue_url} if session.issue_id else None,
        "started_at": iso(session.start_time),
        "paused_at": iso(session.pause_time) if session.state == rules.PAUSED else None,
        "ended_at": iso(session.end_time),
        "elapsed_seconds": rules.elapsed_seconds(session, now),
        "pr": {"number": session.pr_number, "url": session.pr_url} if session.pr_url or session.pr_number else None,
        # How it ended: "ended" (a handoff) or "cancelled"; null while open.
        "outcome": session.outcome or (rules.ENDED if session.state == rules.ENDED else None),
        # SPEC Part 3: the linked worktree it lives in (null: the main work tree), parked changes.
        "worktree": session.worktree,
        "parked": bool(session.parked),
    }


def idle_json(idle: rules.Idle | None) -> dict[str, Any] | None:
    if idle is None:
        return None
    return {"running_seconds": int(idle.running_s), "last_activity": iso(idle.last_activity),
            "stop_at": iso(idle.stop_at)}


def journal_json(journal: Journal | None) -> dict[str, Any] | None:
    if journal is None:
        return None
    return {"step": journal.step, "status": journal.status, "error": journal.error,
            "updated_at": iso(journal.updated_at)}


def warn(line: str) -> None:
    """One warning line on stderr (a configuration file left out, say)."""
    sys.stderr.write(line + "\n")


def print_lines(lines: list[str], stream: Any = None) -> None:
    (stream or sys.stdout).write("\n".join(safe_line(line) for line in lines) + "\n")


def handover_line(session: Session) -> str:
    """One clock per project: the one that stopped when another started."""
    return f"Stopped the clock of {branch_label(session.branch, session.branch_type)} (one clock per project)"


def open_session_word(session: Session, now: datetime, parked: bool | None = None, painted: bool = True) -> str:
    """`bugfix/login-loop (paused · 12m)`, `feature/api (paused · parked changes)`; not `painted`
    for a picker's choices, which the picker draws itself."""
    parts = [state_word(session.state) if painted else session.state, duration(rules.elapsed_seconds(session, now))]
    if parked if parked is not None else session.parked:
        parts.append("parked changes")
    return f"{session.branch} ({DOT.join(parts)})"


def also_open_line(sessions: list[Session], now: datetime) -> str:
    return "Also open: " + DOT.join(open_session_word(s, now) for s in sessions)


def emit_json(document: dict[str, Any]) -> None:
    import json

    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# --- text ---------------------------------------------------------------------------------------

def session_line(session: Session, now: datetime) -> str:
    """`Session active · 2h34m · #123`"""
    return _timed(f"Session {state_word(session.state)}", session, now)


def finished_line(verb: str, session: Session, now: datetime) -> str:
    """`Ended session on feature/x (feature) · 2h34m · #123`, with verb "Ended" or "Cancelled"."""
    return _timed(f"{verb} session on {branch_label(session.branch, session.branch_type)}", session, now)


def _timed(head: str, session: Session, now: datetime) -> str:
    """`head · its time · #issue`"""
    parts = [head, duration(rules.elapsed_seconds(session, now))]
    if session.issue_id:
        parts.append(issue_ref(session))
    if session.branch_type == "review" and session.pr_number is not None:  # start --pr
        parts.append(f"reviewing #{session.pr_number}")
    return DOT.join(parts)


def started_line(session: Session, now: datetime) -> str:
    line = f"Started {relative(session.start_time, now)}"
    if session.state == rules.PAUSED and session.pause_time is not None:
        line += f", paused {relative(session.pause_time, now)}"
    return line


def idle_line(idle: rules.Idle, now: datetime) -> str:
    """`Running 9h12m · last activity 14:02 · 'sess pause --at 14:02' stops the clock there`"""
    from sess.periods import at_argument, show_moment

    return DOT.join([f"Running {duration(idle.running_s)}", f"last activity {show_moment(idle.stop_at, now)}",
                     f"'sess pause --at {at_argument(idle.stop_at, now)}' stops the clock there"])


def branch_gone_lines(session: Session) -> list[str]:
    return [f"Session branch {session.branch} no longer exists",
            "  sess cancel   to end the session without a handoff"]


def unfinished_end_lines(journal: Journal) -> list[str]:
    where = "after" if journal.status == "done" else "at"  # "done": killed before the next step began
    lines = [f"End stopped {where} step '{journal.step}'" + (f": {journal.error}" if journal.error else "")]
    lines.append("  sess end --continue   to pick up from there")
    lines.append("  sess end --abort      to undo it and keep working")
    return lines


def status_text(project: Project, session: Session | None, journal: Journal | None,
                branch: str, now: datetime, idle: rules.Idle | None = None,
                branch_exists: bool = True, others: list[Session] | None = None,
                worktree_gone: str | None = None) -> list[str]:
    """`others`: the project's other open sessions, on one `Also open:` line; with no session
    meant here, they are the whole story."""
    here = "HEAD detached" if branch == "HEAD" else f"On branch {branch}"  # as git says it
    also = [also_open_line(others, now)] if others else []
    if session is None:
        return [here, "No active session" if not others else "No session here", *also]
    on_session_branch = branch == session.branch
    # A rebase detaches HEAD; git status says which branch it is rebasing, and so do we.
    rebasing = branch == "HEAD" and journal is not None and journal.step == "rebase"
    if on_session_branch or rebasing:
        label = branch_label(session.branch, session.branch_type)
        here = f"Rebasing {label}" if rebasing else f"On branch {label}"
    head = session_line(session, now) + (DOT + "parked changes" if session.parked else "")
    lines = [here, head, started_line(session, now)]
    if idle is not None:
        lines.append(idle_line(idle, now))
    if worktree_gone is not None:
        lines.append(f"Its worktree {worktree_gone} is gone (deleted by hand): 'sess cancel' or 'sess end' "
                     "handles it ('git worktree prune')")
    elif not branch_exists:
        lines.extend(branch_gone_lines(session))
    elif not (on_session_branch or rebasing):
        lines.append(f"Session branch {branch_label(session.branch, session.branch_type)} is not checked out")
    elif session.parked:
        # Checked out here with its changes still parked: a switch stopped half way.
        lines.append("Its parked changes are not back (an interrupted switch?): 'sess resume' brings them back")
    if journal is not None:
        lines.extend(unfinished_end_lines(journal))
    lines.extend(also)
    lines.extend(title_lines(session))
    return lines


def project_block(project: Project, session: Session | None, current: bool, now: datetime,
                  open_count: int = 0) -> list[str]:
    lines = [project.name + (" *" if current else ""), f"  {project.path}"]
    if session is None:
        lines.append(f"  {state_word('idle')}{DOT}base {project.base_branch}")
    else:
        parts = [state_word(session.state), session.branch, duration(rules.elapsed_seconds(session, now))]
        if session.issue_id:
            parts.append(issue_ref(session))
        if open_count > 1:
            parts.append(f"{open_count} open")
        lines.append("  " + DOT.join(parts))
    lines.append(f"  {relative(project.last_used_at, now)}")
    return lines
