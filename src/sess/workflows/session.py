"""`sess pause` and `sess resume`: time tracking transitions, failing closed."""

from __future__ import annotations

from datetime import datetime

from sess import git, rules, timestamps
from sess.errors import SessError, UsageError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store, project_lock
from sess.workflows.common import Where, require_project, require_session


class Resumed(NamedTuple):
    project: Project
    session: Session
    switched: bool
    paused_elsewhere: list[tuple[Project, Session]]
    path: str = ""  # the work tree the session lives in
    handed_over: Session | None = None  # the session whose clock stopped for this one
    notes: list[str] = []


def pause(store: Store, cwd: str, where: Where | None = None, at: datetime | None = None,
          ref: str | None = None) -> tuple[Project, Session]:
    """Stop the clock now, or at `at` (checked: not in the future, not before the slice began)."""
    where, project = require_project(store, cwd, where)
    with project_lock(project.path):
        session = require_session(store, project, where=where, ref=ref)
        now = timestamps.now()
        changes = rules.pause(session, at or now)  # the state first: "already paused" beats a bad --at
        if at is not None:
            rules.check_stop(session, at, now)
        return project, store.apply(session, changes, at or now, undo="pause")


def resume(store: Store, cwd: str, where: Where | None = None, at: datetime | None = None,
           exclusive: bool = False, ref: str | None = None) -> Resumed:
    """Start the session's clock again (the project's running one stops at that instant),
    checking out its branch and bringing its parked changes back; or, for a session that lives
    in another work tree, only the clocks. Fails closed: the session stays paused."""
    from sess.workflows.switch import switch

    where, project = require_project(store, cwd, where)
    with project_lock(project.path):
        session = require_session(store, project, missing="no paused session", where=where, ref=ref)
        if store.journal(session.id) is not None:
            raise SessError("an end of this session is unfinished",
                            "Run 'sess end --continue' to finish it, or 'sess end --abort' to undo it.")
        now = timestamps.now()
        if not (session.state == rules.ACTIVE and session.parked):  # completing an interrupted switch
            rules.resume(session, at or now)  # validates the state before touching git
        if at is not None:
            rules.check_resume(session, at, now)
            check_free(store, project, session, at, now, exclusive)
        if where.branch != session.branch and not git.branch_exists(where.top, session.branch):
            raise branch_gone(session)
    try:
        done = switch(store, where, project, session, at=at, keep_conflict=True, exclusive=exclusive,
                      resuming=True)
    except SessError as exc:
        if "cannot check out" in exc.message:
            raise SessError(exc.message, "The session stays paused. Commit or stash your changes, "
                                         "then run 'sess resume'.") from exc
        raise
    assert done.session is not None
    return Resumed(project, done.session, done.moved, done.paused_elsewhere, done.path, done.left, done.notes)


def branch_gone(session: Session) -> SessError:
    return SessError(f"the session branch {session.branch} no longer exists",
                     "Run 'sess cancel' to end the session without a handoff, or recreate the branch "
                     f"(git branch {session.branch} <commit>) and try again.")


def check_free(store: Store, project: Project, session: Session | None, start: datetime, now: datetime,
               exclusive: bool = False) -> None:
    """A clock starting at `start` must not share time with another session of the project, nor,
    with time.exclusive, with a stopped clock of another project (a running one is stopped at
    `start` instead, see pause_others): one clock at a time, so that every total is the same."""
    found = store.overlap(project.id, session.id if session else 0, start, now, now, closed_elsewhere=exclusive)
    if found is not None:
        other, piece = found
        elsewhere = " (time.exclusive: one clock at a time)" if other.project_id != project.id else ""
        raise UsageError(f"--at {_clock(start)} overlaps the time of the session on {other.branch} "
                         f"({_clock(piece.start)} to {_clock(piece.end) if piece.end else 'now'}){elsewhere}",
                         "Pick a later moment, or 'sess amend' that session's slice first.")
    if exclusive:
        # A clock running elsewhere since after `start` could only be stopped where it began: the
        # time it ran would be dropped without a word.
        for other_project, other in store.running_elsewhere(project.id):
            if other.current_slice_start is not None and other.current_slice_start > start:
                raise UsageError(f"--at {_clock(start)} is before the clock of {other.branch} in {other_project.name} "
                                 f"started ({_clock(other.current_slice_start)}), and it still runs "
                                 "(time.exclusive: one clock at a time)",
                                 f"Pick {_clock(other.current_slice_start)} or later (that clock stops there), or "
                                 "'sess amend' its slice first.")


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def pause_others(store: Store, project: Project, at: datetime,
                 stopped_by: tuple[int, str]) -> list[tuple[Project, Session]]:
    """time.exclusive: stop the clock running in any other project (at `at`, or where it began if later).

    The other project's lock is only tried briefly: two sess commands resuming in each other's
    projects at once must not wait on each other; a clock that could not be stopped is left as it is.
    `stopped_by`: (session id, "start" or "resume"), for undo to start these clocks again.
    """
    from sess.workflows.common import shielded

    paused = []
    for other_project, other in store.running_elsewhere(project.id):
        moment = max(at, other.current_slice_start or at)
        try:
            with project_lock(other_project.path, wait_s=2.0), shielded():
                paused.append((other_project, store.apply(other, rules.pause(other, moment), moment, undo="pause",
                                                          stopped_by=stopped_by)))
        except SessError:
            continue  # busy, or it changed meanwhile (paused by its own sess): nothing to stop here
    return paused


def find_idle(top: str, branch: str, session: Session, idle_after_s: int, now: datetime) -> rules.Idle | None:
    """A forgotten clock in this session, asking git only when the slice has run long enough.

    Changed files count only while the session's branch is checked out: otherwise they are
    another branch's work.
    """
    if not rules.may_be_idle(session, now, idle_after_s):
        return None
    epoch = git.last_activity(top, session.branch, with_worktree=branch == session.branch)
    activity = datetime.fromtimestamp(epoch).astimezone() if epoch is not None else None
    return rules.idle(session, activity, now, idle_after_s)
