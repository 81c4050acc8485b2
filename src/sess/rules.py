"""Session rules: the model, the states and their transitions, time math, branch names.

Pure functions over values: no I/O, no SQL, no printing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from sess.errors import SessError

ACTIVE, PAUSED, ENDED = "active", "paused", "ended"
OPEN_STATES = (ACTIVE, PAUSED)

BRANCH_TYPES = ("feature", "bugfix", "refactor", "hotfix", "chore", "docs")
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

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def session_base(session: Session, project: Project) -> str:
    """The branch the session was cut from, which its end rebases onto."""
    return session.base_branch or project.base_branch


def elapsed_ns(session: Session, now: datetime) -> int:
    """Completed slices plus the running one, if any."""
    total = max(0, session.total_elapsed_ns)
    if session.state == ACTIVE and session.current_slice_start is not None:
        total += max(0, int((now - session.current_slice_start).total_seconds() * NS_PER_SECOND))
    return total


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


def end(session: Session, now: datetime, pr_number: int | None, pr_url: str | None) -> dict[str, object]:
    if not session.is_open:
        raise SessError("no open session to end")
    return {"state": ENDED, "end_time": now, "current_slice_start": None,
            "total_elapsed": elapsed_ns(session, now), "pr_number": pr_number, "pr_url": pr_url}


# --- branch names ------------------------------------------------------------------------------

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_length: int = SLUG_MAX) -> str:
    """Accents folded to base letters (NFKD: `é` -> `e`, `ﬁ` -> `fi`), lowercase; every run
    outside a-z0-9 becomes '-'; trimmed; at most max_length characters."""
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    slug = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def branch_name(branch_type: str, name: str) -> str:
    if branch_type not in BRANCH_TYPES:
        raise SessError(f"unknown branch type '{branch_type}'", f"Choose one of: {', '.join(BRANCH_TYPES)}.")
    slug = slugify(name)
    if not slug:
        raise SessError(f"'{name}' gives an empty branch name", "Pass a NAME with letters or digits.")
    return f"{branch_type}/{slug}"


def fill_template(template: str, fields: dict[str, str], joiners: str = "-_.") -> str:
    """`template` with its `{field}`s filled in; a field that comes out empty takes one adjacent
    joiner with it, the one after it if there is one, else the one before it
    (`{type}/{issue}-{slug}` without an issue gives `feature/add-login`)."""
    import string

    pieces: list[str] = []
    empty: list[int] = []  # indexes in pieces of fields that came out empty
    for literal, name, _, _ in string.Formatter().parse(template):
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


def normalise_issue_id(value: str | None) -> str | None:
    """The Go tool wrote '' for no issue; ids are stored without a leading '#'."""
    if value is None:
        return None
    value = str(value).strip().lstrip("#")
    return value or None
