"""Session rules: the model, the states and their transitions, time math, branch names.

Pure functions over values: no I/O, no SQL, no printing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sess.errors import SessError, UsageError
from sess.records import NamedTuple

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from typing import Any

ACTIVE, PAUSED, ENDED = "active", "paused", "ended"
CANCELLED = "cancelled"
OPEN_STATES = (ACTIVE, PAUSED)

BRANCH_TYPES = ("feature", "bugfix", "refactor", "hotfix", "chore", "docs")
DIRTY_MODES = ("stash", "commit", "discard", "carry")  # what start and cancel may do with uncommitted work
DEFAULT_BRANCH_TYPE = "feature"
SLUG_MAX = 60

NS_PER_SECOND = 1_000_000_000


class Project(NamedTuple):
    id: int
    name: str
    path: str
    base_branch: str
    created_at: datetime | None
    last_used_at: datetime | None


class Session(NamedTuple):
    id: int
    project_id: int
    branch: str
    branch_type: str
    state: str
    issue_id: str | None
    issue_title: str | None
    start_time: datetime
    pause_time: datetime | None
    end_time: datetime | None
    current_slice_start: datetime | None
    total_elapsed_ns: int
    pr_number: int | None
    pr_url: str | None
    base_branch: str | None = None  # None: the project's base branch
    outcome: str | None = None  # CANCELLED for a session given up without a handoff
    issue_tracker: str | None = None  # github, gitlab, jira, linear; None: github (older rows)
    issue_url: str | None = None  # the issue's address, when the tracker gave one
    parked: str | None = None  # the stash commit holding the session's parked changes
    worktree: str | None = None  # the linked worktree sess made for it; None: the main work tree

    @property
    def cancelled(self) -> bool:
        return self.outcome == CANCELLED

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def session_base(session: Session, project: Project) -> str:
    """The branch the session was cut from, which its end rebases onto."""
    return session.base_branch or project.base_branch


_MICROSECOND = timedelta(microseconds=1)


def elapsed_ns(session: Session, now: datetime) -> int:
    """Completed slices plus the running one, if any."""
    total = max(0, session.total_elapsed_ns)
    if session.state == ACTIVE and session.current_slice_start is not None:
        # Whole microseconds (what the timestamps hold), exactly: through a float, a slice of 0.00026 s
        # came to 259999 ns, and one exact second of slices to 0 s in status against 1 s in export.
        total += max(0, (now - session.current_slice_start) // _MICROSECOND * 1000)
    return total


def cancel(session: Session, now: datetime) -> dict[str, object]:
    """Give the session up without a handoff: ended, its time kept, outcome cancelled."""
    return {**end(session, now, None, None), "outcome": CANCELLED}


def elapsed_seconds(session: Session, now: datetime) -> int:
    return elapsed_ns(session, now) // NS_PER_SECOND


# --- transitions: each returns the columns to write --------------------------------------------

def pause(session: Session, now: datetime) -> dict[str, object]:
    if session.state == PAUSED:
        raise SessError(f"session on {session.branch} is already paused", "Run 'sess resume' to continue it.")
    if session.state != ACTIVE:
        raise SessError("no active session to pause")
    return {"state": PAUSED, "pause_time": now, "current_slice_start": None,
            "total_elapsed": elapsed_ns(session, now)}


def resume(session: Session, now: datetime) -> dict[str, object]:
    if session.state == ACTIVE:
        raise SessError(f"session on {session.branch} is already active",
                        "Its clock is running: 'sess pause' pauses it, 'sess status' shows it.")
    if session.state != PAUSED:
        raise SessError("no paused session to resume")
    return {"state": ACTIVE, "pause_time": None, "current_slice_start": now}


def reopen(session: Session, now: datetime) -> dict[str, object]:
    """An ended session (a handoff, not a cancel) active again: a review round on its PR."""
    if session.state != ENDED:
        raise SessError(f"the session on {session.branch} is not ended")
    if session.cancelled:
        raise SessError(f"the session on {session.branch} was cancelled, not handed off")
    return {"state": ACTIVE, "end_time": None, "pause_time": None, "current_slice_start": now, "outcome": None}


def end(session: Session, now: datetime, pr_number: int | None, pr_url: str | None) -> dict[str, object]:
    if not session.is_open:
        raise SessError("no open session to end")
    return {"state": ENDED, "end_time": now, "current_slice_start": None,
            "total_elapsed": elapsed_ns(session, now), "pr_number": pr_number, "pr_url": pr_url}


# --- moments set by hand (--at, amend) ------------------------------------------------------------

class Slice(NamedTuple):
    """One active stretch of a session; `end` is None while it runs."""

    id: int
    session_id: int
    start: datetime
    end: datetime | None

    def seconds(self, now: datetime) -> float:
        return max(0.0, ((self.end or now) - self.start).total_seconds())


def _moment_text(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def check_not_future(flag: str, moment: datetime, now: datetime) -> None:
    if moment > now:
        raise UsageError(f"{flag} {_moment_text(moment)} is in the future", "Give a moment that has passed.")


def check_stop(session: Session, moment: datetime, now: datetime, flag: str = "--at") -> None:
    """A clock may stop (pause, end) at `moment`: not in the future, not before its slice began."""
    check_not_future(flag, moment, now)
    if session.state == ACTIVE and session.current_slice_start is not None and moment < session.current_slice_start:
        raise UsageError(f"{flag} {_moment_text(moment)} is before the running slice began "
                         f"({_moment_text(session.current_slice_start)})",
                         "'sess amend @1 --start WHEN' moves its start first.")
    if session.state == PAUSED and session.pause_time is not None and moment < session.pause_time:
        raise UsageError(f"{flag} {_moment_text(moment)} is before the session was paused "
                         f"({_moment_text(session.pause_time)})")


def check_resume(session: Session, moment: datetime, now: datetime, flag: str = "--at") -> None:
    check_not_future(flag, moment, now)
    if session.pause_time is not None and moment < session.pause_time:
        raise UsageError(f"{flag} {_moment_text(moment)} is before the pause "
                         f"({_moment_text(session.pause_time)})", "A clock cannot restart before it stopped.")


def _near(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and b is not None and abs((a - b).total_seconds()) < 1.0


def _ns(seconds: float) -> int:
    return int(round(seconds * NS_PER_SECOND))


def columns_for_slices(session: Session, old: list[Slice], new: list[Slice]) -> dict[str, object]:
    """The Go tool's columns rewritten to agree with `new` slices (which replace `old`).

    Time the old slices did not account for (written by the Go tool, which keeps no slices) is
    kept. The session's start, pause and end follow the slices where they coincided with them,
    and never lie inside the recorded time.
    """
    closed_old = sum(_ns((s.end - s.start).total_seconds()) for s in old if s.end is not None)
    remainder = session.total_elapsed_ns - closed_old
    if remainder < NS_PER_SECOND:
        remainder = 0
    total = remainder + sum(_ns((s.end - s.start).total_seconds()) for s in new if s.end is not None)
    running = next((s for s in new if s.end is None), None)
    changes: dict[str, object] = {
        "total_elapsed": max(0, total),
        "current_slice_start": running.start if running is not None and session.state == ACTIVE else None,
    }
    old_ends = [s.end for s in old if s.end is not None]
    new_ends = [s.end for s in new if s.end is not None]
    old_last, new_last = (max(old_ends) if old_ends else None), (max(new_ends) if new_ends else None)
    column = {PAUSED: "pause_time", ENDED: "end_time"}.get(session.state)
    if column is not None and new_last is not None:
        current = session.pause_time if session.state == PAUSED else session.end_time
        if current is None or _near(current, old_last) or new_last > current:
            changes[column] = new_last
    old_first = min((s.start for s in old), default=None)
    new_first = min((s.start for s in new), default=None)
    if new_first is not None and (_near(session.start_time, old_first) or new_first < session.start_time):
        changes["start_time"] = new_first
        changes["start_epoch"] = new_first.timestamp()
    return changes


class Idle(NamedTuple):
    """A forgotten clock: the running slice has gone on long past the last git activity."""

    running_s: float  # how long the running slice has run
    last_activity: datetime  # the newest git activity, or the slice's start if that is later
    stop_at: datetime  # the minute to suggest for `--at`: never before the slice began


def may_be_idle(session: Session, now: datetime, idle_after_s: int) -> bool:
    """Cheap check, before asking git: has the running slice gone on longer than idle_after?"""
    start = session.current_slice_start
    return session.state == ACTIVE and start is not None and (now - start).total_seconds() > idle_after_s


def idle(session: Session, activity: datetime | None, now: datetime, idle_after_s: int) -> Idle | None:
    """An `Idle` when the running slice and the time since the last activity both exceed idle_after."""
    start = session.current_slice_start
    if not may_be_idle(session, now, idle_after_s) or start is None:
        return None
    last = max(activity, start) if activity is not None else start
    if (now - last).total_seconds() <= idle_after_s:
        return None
    stop = last.astimezone().replace(second=0, microsecond=0)
    if stop < start:
        stop = min(stop + timedelta(minutes=1), now)
    return Idle((now - start).total_seconds(), last, stop)


# --- branch names ------------------------------------------------------------------------------

_NOT_SLUG = r"[^a-z0-9]+"  # compiled on first use (re caches it), not by every import


# Letters that NFKD does not take apart into a base letter and an accent: transliterated first.
_LETTERS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
                          "ħ": "h", "ı": "i", "ŀ": "l"})


# CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \\) and two-byte escapes.
_TERMINAL_ESCAPE = r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-~])"


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Letters transliterated (`ß` -> `ss`, `ø` -> `o`, `ł` -> `l`), accents folded to base
    letters (NFKD: `é` -> `e`, `ﬁ` -> `fi`), lowercase; every run outside a-z0-9 becomes '-';
    trimmed; at most max_length characters. A terminal escape in a title (`\\x1b[31m`) leaves
    nothing of itself in the slug."""
    import re
    import unicodedata

    text = re.sub(_TERMINAL_ESCAPE, "", text)
    lowered = text.lower().translate(_LETTERS)
    folded = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    slug = re.sub(_NOT_SLUG, "-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def branch_name(branch_type: str, name: str) -> str:
    if branch_type not in BRANCH_TYPES:
        raise SessError(f"unknown branch type '{branch_type}'", f"Choose one of: {', '.join(BRANCH_TYPES)}.")
    slug = slugify(name)
    if not slug:
        raise SessError(f"'{name}' gives an empty branch name", "Pass a NAME with letters or digits.")
    return f"{branch_type}/{slug}"


def template_fields(template: str) -> Any:
    """`string.Formatter().parse(template)`: (literal, field name, spec, conversion) for each
    piece; without importing `string` (and its regular expressions) for it."""
    try:
        from _string import formatter_parser  # type: ignore[import-not-found]
    except ImportError:
        import string

        return string.Formatter().parse(template)
    return formatter_parser(template)


def fill_template(template: str, fields: dict[str, str], joiners: str = "-_.") -> str:
    """`template` with its `{field}`s filled in; a field that comes out empty takes one adjacent
    joiner with it, the one after it if there is one, else the one before it
    (`{type}/{issue}-{slug}` without an issue gives `feature/add-login`)."""
    pieces: list[str] = []
    empty: list[int] = []  # indexes in pieces of fields that came out empty
    for literal, name, _, _ in template_fields(template):
        pieces.append(literal)
        if name is not None:
            value = fields.get(name, "")
            if not value:
                empty.append(len(pieces))
            pieces.append(value)
    for index in empty:
        after = next((i for i in range(index + 1, len(pieces)) if pieces[i]), None)
        before = next((i for i in range(index - 1, -1, -1) if pieces[i]), None)
        if after is not None and pieces[after][0] in joiners and (after - index) % 2 == 1:
            pieces[after] = pieces[after][1:]
        elif before is not None and pieces[before][-1] in joiners and (index - before) % 2 == 1:
            pieces[before] = pieces[before][:-1]
    return "".join(pieces)


def branch_from_template(template: str, fields: dict[str, str]) -> str:
    """The branch name `template` gives; empty path components (an empty `{user}/`) drop out."""
    name = fill_template(template, fields)
    return "/".join(part for part in name.split("/") if part)


def issue_ref(issue_id: str | None) -> str:
    """How an issue is written: `#42` for one of this repository's; as it stands another
    repository's (`other/lib#7`) and a tracker's key (`PROJ-123`, `ENG-7`)."""
    if not issue_id:
        return ""
    if "#" in issue_id or _tracker_key(issue_id):
        return issue_id
    return f"#{issue_id}"


_KEY_HEAD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_KEY_REST = _KEY_HEAD | frozenset("0123456789_")


def _tracker_key(text: str) -> bool:
    """Whether `text` is a tracker's key, `[A-Z][A-Z0-9_]*-\\d+` whole (on every history line: no
    regular expression, whose import costs `report` a tenth of its time)."""
    head, dash, number = text.rpartition("-")
    return bool(dash and head and number.isdecimal() and head[0] in _KEY_HEAD and set(head) <= _KEY_REST)


def issue_branch_field(issue_id: str | None) -> str:
    """`{issue}` in a branch template: the id with `/` and `#` made `-` (`other/lib#7`: `other-lib-7`)."""
    import re

    return re.sub(r"[/#]+", "-", issue_id or "")


def is_issue_key(value: str) -> bool:
    """`PROJ-123`, `ENG-7`: a Jira or Linear key (letters, digits and `_`, a dash, a number)."""
    project, dash, number = value.rpartition("-")
    return bool(dash and project[:1].isalpha() and project.replace("_", "").isalnum() and project.isascii()
                and number.isdigit() and number.isascii())


def normalise_issue_id(value: str | None) -> str | None:
    """The Go tool wrote '' for no issue; ids are stored without a leading '#'."""
    if value is None:
        return None
    value = str(value).strip().lstrip("#")
    return value or None
