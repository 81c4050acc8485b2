"""`sess reopen`: a review round on your own open PR (SPEC Part 3). The most recent ended (not
cancelled) session of the branch whose PR is still open becomes active again with a new slice,
its branch checked out (re-created from origin's when deleted locally); the running clock stops
at that instant, and the current session's changes are parked as `switch` parks them."""

from __future__ import annotations

from datetime import datetime

from sess import git, rules, timestamps
from sess.errors import CommandError, SessError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store, project_lock
from sess.workflows.common import Rollback, Where, shielded

TYPE_CHECKING = False  # not typing's: importing typing costs every command ~2 ms (sess.records)
if TYPE_CHECKING:
    from sess.forges import Forge


class Reopened(NamedTuple):
    project: Project
    session: Session
    left: Session | None  # the session whose clock stopped for it
    notes: list[str]


def find(store: Store, project: Project, where: Where, ref: str | None) -> Session:
    """The most recent ended, not cancelled session: by id, by branch, else of the branch here."""
    if ref is not None and ref.isdigit():
        session = store.session(int(ref))
        if session.project_id != project.id:
            raise SessError(f"session {ref} is not one of this project's")
        candidates = [session]
    else:
        branch = ref or where.branch
        candidates = store.ended_sessions(project.id, branch)
        if not candidates:
            raise SessError(f"no ended session on {branch} to reopen",
                            "Pass ID|BRANCH ('sess history' lists the sessions).")
    session = candidates[0]
    if session.is_open:
        raise SessError(f"the session on {session.branch} is still open", "'sess switch' goes to it.")
    if session.cancelled:
        raise SessError(f"the session on {session.branch} was cancelled, not handed off",
                        "Start a new session for it.")
    if session.pr_number is None:
        raise SessError(f"the session on {session.branch} has no pull request to review",
                        "Start a new session for more work on it.")
    return session


def check_pr(forge: Forge, session: Session) -> None:
    """Only an open PR gets review rounds: a merged or closed one is refused, naming its state."""
    state = forge.view_pr(str(session.pr_number)).state
    if state != "OPEN":
        raise SessError(f"PR #{session.pr_number} of {session.branch} is {state.lower()}",
                        "Start a new session for more work.")


def reopen(store: Store, where: Where, project: Project, session: Session,
           at: datetime | None = None) -> Reopened:
    from sess.workflows.switch import _back_to, _park_here

    top = where.top
    with project_lock(project.path):
        sessions = store.open_sessions(project.id)
        if any(s.branch == session.branch for s in sessions):
            raise SessError(f"another session is open on {session.branch}", "'sess switch' goes to it.")
        here = git.current_branch(top)
        current = next((s for s in sessions if s.branch == here), None)
        clock = next((s for s in sessions if s.state == rules.ACTIVE), None)
        moment = at or timestamps.now()
        notes: list[str] = []
        rollback = Rollback()
        with rollback.on_failure("interrupted; everything is back as it was"):
            parked = _park_here(store, top, here, session.branch, current, None, rollback)
            if parked is not None and current is not None:
                notes.append(f"Parked your changes with {current.branch} ({parked[:7]})")
            if not git.branch_exists(top, session.branch):
                _recreate(top, session.branch, rollback)
                notes.append(f"Re-created {session.branch} from origin/{session.branch}")
            if here != session.branch:
                try:
                    git.checkout(top, session.branch)
                except CommandError as exc:
                    raise SessError(f"cannot check out {session.branch}: {exc.detail}", "Nothing was changed.") from exc
                rollback.push(f"return to {here}", lambda: _back_to(top, here))
            with shielded():
                reopened = store.reopen_session(session, moment, pausing=clock)
                rollback.clear()
        return Reopened(project, reopened, clock, notes)


def _recreate(top: str, branch: str, rollback: Rollback) -> None:
    """The branch deleted locally: back from origin's, tracking it."""
    try:
        git.git(top, "fetch", "--quiet", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}")
        git.git(top, "branch", "--quiet", "--track", "--", branch, f"refs/remotes/origin/{branch}")
    except CommandError as exc:
        raise SessError(f"{branch} is gone here and cannot be brought back from origin: {exc.detail}",
                        "Nothing was changed.") from exc
    rollback.push(f"remove the re-created {branch}", lambda: git.delete_branch(top, branch, force=True))
