"""`sess cancel`: give the open session up without a handoff, or change nothing.

No push, no pull request: uncommitted work is dealt with as `--dirty` says, the base branch is
checked out, and the session ends with its time kept and outcome `cancelled`. It works when the
session branch is gone. The branch is deleted only when asked and only when no commit on it
would be lost.
"""

from __future__ import annotations

from datetime import datetime

from sess import git, rules
from sess.errors import CommandError, SessError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store, project_lock
from sess.workflows.common import Rollback, Where, check_dirty_choice, require_project, require_session, shielded


class Facts(NamedTuple):
    where: Where
    project: Project
    session: Session
    branch_exists: bool
    on_session_branch: bool
    dirty: bool  # uncommitted changes on the session branch (elsewhere they are not the session's)
    base: str


class Plan(NamedTuple):
    dirty: str | None
    message: str | None
    delete_branch: bool


class Cancelled(NamedTuple):
    project: Project
    session: Session
    base: str
    notes: list[str]


def inspect(store: Store, cwd: str, ref: str | None = None) -> Facts:
    where, project = require_project(store, cwd)
    session = require_session(store, project, where=where, ref=ref)
    if store.journal(session.id) is not None:
        raise SessError("an end of this session is unfinished",
                        "Run 'sess end --abort' first (or 'sess end --continue' to finish it).")
    top = where.top
    from sess.workflows.worktrees import prune_if_gone

    prune_if_gone(top, session.branch)  # its worktree was deleted by hand: git forgets it
    exists = git.branch_exists(top, session.branch)
    on_branch = exists and where.branch == session.branch
    merging = git.unconcluded(top) if on_branch else None  # stashed or left, MERGE_HEAD would be lost
    if merging is not None:
        raise SessError(*merging)
    return Facts(where, project, session, exists, on_branch, on_branch and git.is_dirty(top),
                 rules.session_base(session, project))


def run(store: Store, facts: Facts, plan: Plan, now: datetime) -> Cancelled:
    check_dirty_choice(facts.dirty, plan.dirty, plan.message)
    with project_lock(facts.project.path):
        session = store.session(facts.session.id)
        if not session.is_open:
            raise SessError("the session changed under us (another sess process?); try again")
        rollback = Rollback()
        with rollback.on_failure("interrupted; the repository and the session are as they were"):
            return _steps(store, facts, plan, session, now, rollback)


def _steps(store: Store, facts: Facts, plan: Plan, session: Session, now: datetime,
           rollback: Rollback) -> Cancelled:
    top, branch, base = facts.where.top, session.branch, facts.base
    notes: list[str] = []
    stash_sha: str | None = None
    if facts.dirty:
        # Each way back is in place before its step runs and looks at what the step did (an
        # interruption may land just as git finishes).
        if plan.dirty == "commit":
            parent, index_tree = git.head_sha(top), git.write_tree(top)
            rollback.push("uncommit your changes", lambda: git.uncommit_if_made(top, parent, index_tree))
            commit = git.commit_all(top, plan.message or "")
            notes.append(f"Committed your changes on {branch} as {commit[:7]}")
        elif plan.dirty in ("stash", "discard"):
            message = f"sess: cancel {branch}"
            stash = git.StashPush(top, message)
            rollback.push("restore your stashed changes", stash.restore)
            stash_sha = stash.run()
            if plan.dirty == "stash":
                notes.append(f"Your changes are stashed ({stash_sha[:7]}): 'git stash list' shows them")
            left = git.submodules_left(top)
            if left:
                notes.append(left[0].upper() + left[1:])
    here = git.current_branch(top)
    # A session not checked out here (a parked one) leaves this work tree as it is.
    if (facts.on_session_branch or (not facts.branch_exists and here == branch)) and here != base:
        if not git.branch_exists(top, base):
            notes.append(f"Stayed on {here}: the base branch {base} does not exist")
        elif not facts.on_session_branch and git.is_dirty(top):
            notes.append(f"Stayed on {here}: it has uncommitted changes of its own")
        elif _base_elsewhere(top, base):  # a linked worktree: the base is checked out in the main one
            rollback.push(f"return to {here}", lambda: _back_to(top, here))
            git.git(top, "checkout", "--quiet", "--detach")
        else:
            rollback.push(f"return to {here}", lambda: _back_to(top, here))
            try:
                git.checkout(top, base)
            except CommandError as exc:
                raise SessError(f"cannot check out {base}: {exc.detail}",
                                "Nothing was changed. Commit or stash what is in the way, or pass --dirty.") from exc
    with shielded():  # cancelled, and from then on finished: an interruption waits
        cancelled = store.cancel_session(session, now, stash_sha if plan.dirty == "stash" else None)
        rollback.clear()  # the session is cancelled: from here on nothing is put back
        if stash_sha is not None and plan.dirty == "discard":
            git.stash_drop(top, stash_sha)
            notes.append("Your uncommitted changes were discarded")
    if session.parked:
        notes.append(f"Its parked changes stay in the stash entry {session.parked[:7]} "
                     f"(git stash list: 'sess: parked {branch}')")
    if not facts.branch_exists:
        notes.append(f"The branch {branch} was already gone")
    elif plan.delete_branch:
        notes.append(_delete(top, branch, base))
    return Cancelled(facts.project, cancelled, base, notes)


def _back_to(top: str, branch: str) -> None:
    if git.current_branch(top) != branch:
        git.checkout(top, branch)


def _base_elsewhere(top: str, base: str) -> bool:
    from sess.workflows.worktrees import base_elsewhere

    return base_elsewhere(top, base) is not None


def _delete(top: str, branch: str, base: str) -> str:
    """Delete the branch when every commit on it is on origin (without origin: on the base)."""
    if git.current_branch(top) == branch:
        return f"Kept branch {branch}: it is checked out"
    try:
        if git.has_remote(top):
            missing = git.count_commits(top, f"refs/heads/{branch}", "--remotes=origin")
            where = "origin"
        else:
            missing = git.count_commits(top, f"refs/heads/{branch}", f"refs/heads/{base}")
            where = f"{base} (there is no origin)"
        if missing:
            counted = f"{missing} commit on it is" if missing == 1 else f"{missing} commits on it are"
            return f"Kept branch {branch}: {counted} not on {where}"
        git.delete_branch(top, branch, force=True)
    except CommandError as exc:
        return f"Kept branch {branch}: {exc.detail}"
    return f"Deleted branch {branch}"
