"""`sess switch` (and the checkout half of `sess resume`): from one open session to another in
one step that fails closed (SPEC Part 3, "Several sessions at once").

The steps: park the current session's uncommitted changes (a stash entry whose commit id is
recorded with it at once, so an interruption never loses track of them), check out the other
session's branch, apply its parked changes, then move the clocks in one transaction (the running
one stops at the instant the other starts), and only then drop the applied entry. Any failure
before the clocks moved puts everything back as it was; a process killed in between leaves a
state that `status` explains and the next `switch` or `resume` completes.
"""

from __future__ import annotations

import os
from datetime import datetime

from sess import git, rules, timestamps
from sess.errors import CommandError, SessError
from sess.gitfiles import branch_exists_quick, current_branch_quick
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store, project_lock
from sess.workflows.common import Rollback, Where, checked_out_elsewhere, shielded


class Switched(NamedTuple):
    project: Project
    session: Session | None  # None: to the base, no session
    left: Session | None  # the session the clock or the work tree was taken from
    path: str  # the work tree the target lives in
    moved: bool  # whether this work tree changed branch
    notes: list[str]
    paused_elsewhere: list[tuple[Project, Session]] = []


def park_message(session: Session) -> str:
    return f"sess: parked {session.branch} (session {session.id})"


def lives_in(session: Session, project: Project, elsewhere: dict[str, str]) -> str:
    """The work tree a session lives in: where its branch is checked out, else the worktree sess
    made for it, else the main work tree."""
    return elsewhere.get(session.branch) or session.worktree or project.path


def running(store: Store, project: Project) -> Session | None:
    return next((s for s in store.open_sessions(project.id) if s.state == rules.ACTIVE), None)


def switch(store: Store, where: Where, project: Project, target: Session | None, base: str | None = None,
           at: datetime | None = None, keep_conflict: bool = False, exclusive: bool = False,
           resuming: bool = False) -> Switched:
    """Make `target` the session in its work tree with its clock running (None: `base` checked
    out here, no clock). `keep_conflict` (resume): a parked entry that does not apply cleanly
    leaves the branch checked out with the conflict to resolve, instead of putting all back."""
    top = where.top
    with project_lock(project.path):
        sessions = {s.id: s for s in store.open_sessions(project.id)}
        if target is not None:
            if target.id not in sessions:
                raise SessError(f"the session on {target.branch} is no longer open")
            target = sessions[target.id]
            if resuming and not (target.state == rules.ACTIVE and target.parked):
                rules.resume(target, at or timestamps.now())  # a racing resume got there first: "already active"
            if store.journal(target.id) is not None:
                raise SessError(f"an end of the session on {target.branch} is unfinished",
                                "Run 'sess end --continue' to finish it, or 'sess end --abort' to undo it.")
        here_branch = current_branch_quick(top) or git.current_branch(top)
        clock = next((s for s in sessions.values() if s.state == rules.ACTIVE), None)
        elsewhere = checked_out_elsewhere(top)
        now = timestamps.now()
        moment = at or now
        if target is not None and target.state == rules.PAUSED and at is not None:
            rules.check_resume(target, at, now)
        notes: list[str] = []

        # A session that lives in another work tree: only the clocks move.
        if target is not None and target.branch in elsewhere:
            path = elsewhere[target.branch]
            if not os.path.isdir(path):
                raise SessError(f"the worktree of {target.branch} ({path}) is gone",
                                "'git worktree prune' makes git forget it; then 'sess switch' checks the "
                                "branch out here, or 'sess cancel' gives the session up.")
            moved = _clocks(store, target, clock, moment)
            return Switched(project, moved, clock if clock and clock.id != target.id else None, path, False,
                            notes, _exclusive(store, project, moved, moment, exclusive))
        if target is None and base is not None and base in elsewhere:
            path = elsewhere[base]
            if clock is not None:
                with shielded():
                    store.apply(clock, rules.pause(clock, moment), moment, undo="pause")
            return Switched(project, None, clock, path, False, notes)

        goal = target.branch if target is not None else base
        assert goal is not None
        tree: git.WorkTree | None = None
        if here_branch != goal or (target is not None and target.parked):
            # The one look at the work tree (the slowest git call in a large repository, started
            # when sess started): its answer serves the park, and the check for parked changes
            # applied already.
            tree = git.work_tree_fresh(top)
            here_branch = tree.branch
        current = next((s for s in sessions.values() if s.branch == here_branch), None)
        if target is not None and not branch_exists_quick(top, target.branch):
            raise SessError(f"the session branch {target.branch} no longer exists",
                            f"Run 'sess cancel --session {target.id}' to give it up, or recreate the branch.")
        rollback = Rollback()
        with rollback.on_failure("interrupted; everything is back as it was"):
            parked = _park_here(store, top, here_branch, goal, current, target, rollback, tree)
            if here_branch != goal:
                try:
                    git.checkout(top, goal)
                except CommandError as exc:
                    raise SessError(f"cannot check out {goal}: {exc.detail}",
                                    "Nothing was changed.") from exc
                rollback.push(f"return to {here_branch}", lambda: _back_to(top, here_branch))
            applied, conflict = None, None
            if target is not None and target.parked:
                applied, conflict = _unpark(top, target, rollback, keep_conflict, notes,
                                            _dirty_now(top, tree, here_branch != goal))
            session: Session | None = None
            with shielded():
                if target is None:
                    if clock is not None:
                        store.apply(clock, rules.pause(clock, moment), moment, undo="pause")
                else:
                    session = _clocks(store, target, clock, moment,
                                      unparked=target.parked is not None)
                rollback.clear()
        if conflict is not None and target is not None:
            raise SessError(f"the parked changes of {target.branch} do not apply cleanly: {conflict.detail}",
                            f"You are on {target.branch} with the conflict to resolve and its clock running; "
                            f"the parked entry {str(target.parked)[:7]} is kept ('git stash list'): drop it "
                            "once resolved.")
        if applied is not None:
            notes.append(_drop_note(top, applied))
        if parked is not None and current is not None:
            notes.insert(0, f"Parked your changes with {current.branch} ({parked[:7]})")
        left = clock if clock is not None and (target is None or clock.id != target.id) else None
        paused = _exclusive(store, project, session, moment, exclusive) if session is not None else []
        return Switched(project, session, left, top, here_branch != goal, notes, paused)


def _exclusive(store: Store, project: Project, session: Session, moment: datetime,
               exclusive: bool) -> list[tuple[Project, Session]]:
    if not exclusive or session.state != rules.ACTIVE:
        return []
    from sess.workflows.session import pause_others

    return pause_others(store, project, moment, (session.id, "resume"))


def _clocks(store: Store, target: Session, clock: Session | None, moment: datetime,
            unparked: bool = False) -> Session:
    """The target's clock starts at the instant the running one stops (one transaction)."""
    pausing = clock if clock is not None and clock.id != target.id else None
    if target.state == rules.ACTIVE:
        if unparked:
            store.set_parked(target.id, None)
        if pausing is not None:  # cannot be: one clock per project; but never two
            store.apply(pausing, rules.pause(pausing, moment), moment, undo="pause")
        return store.session(target.id)
    if pausing is not None and pausing.current_slice_start is not None and moment < pausing.current_slice_start:
        raise SessError(f"--at is before the running clock of {pausing.branch} started")
    return store.apply(target, rules.resume(target, moment), moment, undo="resume", pausing=pausing,
                       unparked=unparked)


def _park_here(store: Store, top: str, here_branch: str, goal: str, current: Session | None,
               target: Session | None, rollback: Rollback, tree: git.WorkTree | None = None) -> str | None:
    """The work tree's uncommitted changes parked with the session checked out here (`tree`: the
    work tree as read already, None to read it). On a branch that is no session's they are left to
    git's checkout (carried when harmless), except before parked changes go back. None when
    nothing was parked."""
    if here_branch == goal or not (tree or git.work_tree_now(top)).dirty:
        return None
    if current is None:
        if target is None or not target.parked:
            return None  # carried over by the checkout as git does, or refused by it
        where = "a detached HEAD" if here_branch == "HEAD" else here_branch
        raise SessError(f"{where} has uncommitted changes, and the parked changes of {target.branch} "
                        "go back on a clean tree",
                        f"Commit or stash them on {where} first; nothing was changed.")
    if current.parked and git.parked_exists(top, current.parked):
        raise SessError(f"the session on {current.branch} already has parked changes ({current.parked[:7]}) "
                        "and more are in the work tree",
                        f"Run 'sess resume --session {current.id}' to bring the parked ones back first.")
    stash = git.StashPush(top, park_message(current))
    # In place before the stash runs (an interruption may land just as git finishes).
    rollback.push("restore your parked changes", stash.restore)
    sha = stash.run()
    store.set_parked(current.id, sha)  # at once: from here on, the database knows where they are
    rollback.push("forget the park", lambda: store.set_parked(current.id, None))
    return sha


def _back_to(top: str, branch: str) -> None:
    if git.current_branch(top) != branch:
        if branch == "HEAD":
            return  # a detached HEAD is left where the failure left it; the error names it
        git.checkout(top, branch)


def _dirty_now(top: str, tree: git.WorkTree | None, moved: bool) -> bool:
    """Whether the work tree has uncommitted changes, after the park and the checkout, from the
    look taken before them: unchanged when the branch stayed; clean when it moved (the changes
    were parked, or there were none: on a branch that is no session's, dirty changes and parked
    ones refuse to meet). Only what git stash leaves behind, inside submodules, is looked at again."""
    if tree is None or (moved and tree.submodules):
        return git.is_dirty(top)
    return tree.dirty and not moved


def _unpark(top: str, target: Session, rollback: Rollback, keep_conflict: bool,
            notes: list[str], dirty: bool) -> tuple[str | None, CommandError | None]:
    """Apply the target's parked changes: (the entry to drop once the clocks moved, a conflict
    left in place for `keep_conflict`). `dirty`: whether the work tree has changes now."""
    sha = target.parked
    assert sha is not None
    if not git.parked_exists(top, sha):
        notes.append(f"The parked changes of {target.branch} ({sha[:7]}) are gone from the repository "
                     "(removed by git gc?); there was nothing to apply")
        return None, None
    if dirty and git.parked_is_applied(top, sha):
        return sha, None  # an interrupted switch had applied them already
    try:
        git.apply_parked(top, sha)
    except CommandError as exc:
        if keep_conflict:
            return None, exc
        git.take_back_applied(top, sha)
        raise SessError(f"the parked changes of {target.branch} do not apply cleanly: {exc.detail}",
                        f"Nothing was changed; the parked entry {sha[:7]} is kept ('git stash list').") from exc
    rollback.push("take the applied changes back off", lambda: git.take_back_applied(top, sha))
    return sha, None


def _drop_note(top: str, sha: str) -> str:
    try:
        git.stash_drop(top, sha)
    except CommandError as exc:
        return f"Your parked changes are back; the stash entry {sha[:7]} could not be dropped ({exc.detail})"
    return "Your parked changes are back"
