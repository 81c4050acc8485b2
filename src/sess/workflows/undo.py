"""`sess undo`: revert the newest change sess made in this project, one per call.

The undo log (store) holds, for each change, what it takes to put it back. A pause, resume,
amend or cancel is a database change and is reverted from the session's columns and slices as
they were (a cancel leaves the session paused). A start also moved the repository: undoing it
returns to the branch the user was on, re-applies the stash that start made, and deletes the
new branch only while it has no commits of its own. An `end` cannot be undone: its work is
pushed, so it stops the walk back. Nothing is dropped that sess did not create.
"""

from __future__ import annotations

from sess import git
from sess.errors import CommandError, SessError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store, UndoEntry, project_lock
from sess.workflows.common import require_project, shielded

UNDOABLE = ("start", "pause", "resume", "amend", "cancel", "reopen")


class Undone(NamedTuple):
    project: Project
    entry: UndoEntry
    session: Session | None  # None after undoing a start: the session is gone
    notes: list[str]


def pending(store: Store, cwd: str, limit: int = 50) -> tuple[Project, list[UndoEntry]]:
    """What `sess undo` would revert, newest first, up to and including an end (which it cannot)."""
    _, project = require_project(store, cwd)
    entries = []
    for entry in store.undo_entries(project.id, limit):
        entries.append(entry)
        if entry.action not in UNDOABLE:
            break
    return project, entries


def undo(store: Store, cwd: str, exclusive: bool = False) -> Undone:
    """`exclusive` (time.exclusive): an undo that sets this clock running again stops any other at
    the instant the undone pause had, so that one clock ran throughout."""
    where, project = require_project(store, cwd)
    with project_lock(project.path):
        entries = store.undo_entries(project.id, 1)
        if not entries:
            raise SessError("nothing to undo in this project")
        entry = entries[0]
        if entry.action == "end":
            raise SessError(f"the last change here was the end of {entry.summary}, which cannot be undone: "
                            "its work is pushed", "Start a new session to go on with it.")
        if entry.action not in UNDOABLE or entry.session_id is None:
            raise SessError(f"'{entry.action}' cannot be undone")
        if entry.action == "start":
            return _undo_start(store, where.top, project, entry)
        stash = str(entry.data.get("stash") or "") if entry.action == "cancel" else ""
        if stash and git.stash_index(where.top, stash) is not None and git.is_dirty(where.top):
            raise SessError("the working tree has uncommitted changes, and the stash cancel made goes back on it",
                            "Commit or stash them first, then run 'sess undo' again.")
        if exclusive and entry.action == "pause":
            _check_no_clock_since(store, project, entry)
        if entry.action == "amend":
            _check_amend_free(store, project, entry, exclusive)
        notes = _branch_back(where.top, store.session(entry.session_id)) if entry.action == "cancel" else []
        with shielded():
            session = store.undo_snapshot(entry)
            notes += _reapply_cancel_stash(where.top, session, stash) if stash else []
        notes += (_restart_stopped(store, entry.session_id, entry.action, project.id)
                  if entry.action in ("resume", "reopen") else [])
        if exclusive and entry.action == "pause" and session.state == "active":
            notes += _stop_others(store, project, session, entry)
        return Undone(project, entry, session, notes)


def _branch_back(top: str, session: Session) -> list[str]:
    """A cancel with --delete-branch removed the branch (only once origin had every commit of it):
    the session reopens only with its branch, made again from origin's."""
    branch = session.branch
    if git.branch_exists(top, branch):
        return []
    remote = f"refs/remotes/origin/{branch}"
    if git.rev(top, remote) is None:
        raise SessError(f"the branch {branch} of that session is gone, so undoing the cancel would reopen a "
                        "session without its branch; nothing was changed",
                        f"Recreate it (git branch {branch} <commit>), then run 'sess undo' again.")
    git.git(top, "branch", "--quiet", "--no-track", "--", branch, remote)
    return [f"Recreated branch {branch} from origin/{branch}"]


def _check_no_clock_since(store: Store, project: Project, entry: UndoEntry) -> None:
    """time.exclusive: undoing the pause sets this clock running since the pause's instant. A clock
    still running elsewhere is stopped there (_stop_others); one that ran elsewhere since and was
    stopped already would share that time, counted twice by every total: refused, nothing changed."""
    from sess import timestamps

    if entry.data.get("before", {}).get("columns", {}).get("state") != "active":
        return
    paused_at = timestamps.parse_db(str(entry.data.get("after", {}).get("pause_time") or ""))
    if paused_at is None:
        return
    found = store.stopped_elsewhere(project.id, paused_at, timestamps.now())
    if found is not None:
        other, piece = found
        end = f"{piece.end.astimezone():%H:%M}" if piece.end else "now"
        raise SessError(f"undoing the pause of {entry.summary} would run its clock from "
                        f"{paused_at.astimezone():%H:%M}, while the session on {other.branch} in another project "
                        f"ran {piece.start.astimezone():%H:%M} to {end} (time.exclusive: one clock at a time); "
                        "nothing was changed", "Run 'sess resume' to start the clock again now.")


def _check_amend_free(store: Store, project: Project, entry: UndoEntry, exclusive: bool) -> None:
    """Undoing an amend gives the session its slices back; time that another session has taken
    since (of this project, or with time.exclusive of any) would be counted twice: refused, as the
    amend itself would have been."""
    from sess import timestamps

    now = timestamps.now()
    for piece in entry.data.get("before", {}).get("slices", []):
        start = timestamps.parse_db(str(piece[1] or ""))
        if start is None:
            continue
        end = timestamps.parse_db(str(piece[2] or "")) or now
        found = store.overlap(project.id, entry.session_id or 0, start, end, now, anywhere=exclusive)
        if found is not None:
            other, taken = found
            elsewhere = " in another project (time.exclusive: one clock at a time)" \
                if other.project_id != project.id else ""
            until = f"{taken.end.astimezone():%H:%M}" if taken.end else "now"
            raise SessError(f"undoing '{entry.summary}' would give that session back "
                            f"{start.astimezone():%H:%M} to {end.astimezone():%H:%M}, while the session on "
                            f"{other.branch}{elsewhere} has had {taken.start.astimezone():%H:%M} to {until} since; "
                            "nothing was changed", "Amend that session's time first, or leave this one as it is.")


def _stop_others(store: Store, project: Project, session: Session, entry: UndoEntry) -> list[str]:
    """time.exclusive after undoing a pause: the clocks that ran elsewhere since that pause stop
    at its instant (what they ran since is dropped), as if the pause had never been."""
    from sess import timestamps
    from sess.workflows.session import pause_others

    paused_at = timestamps.parse_db(str(entry.data.get("after", {}).get("pause_time") or ""))
    if paused_at is None:
        return []
    return [f"Stopped the clock of {other.branch} in {other_project.name} at "
            f"{paused_at.astimezone():%H:%M} (time.exclusive: one clock ran throughout)"
            for other_project, other in pause_others(store, project, paused_at, (session.id, "undo"))]


def _reapply_cancel_stash(top: str, session: Session, stash: str) -> list[str]:
    """The changes cancel stashed go back where they came from: onto the session branch."""
    if git.stash_index(top, stash) is None:
        return [f"The stash cancel made ({stash[:7]}) is no longer there; nothing to re-apply"]
    here = git.current_branch(top)
    try:
        if here != session.branch and git.branch_exists(top, session.branch):
            git.checkout(top, session.branch)
            here = session.branch
        git.stash_pop(top, stash)
    except (CommandError, SessError) as exc:
        detail = exc.detail if isinstance(exc, CommandError) else exc.message
        return [f"On branch {here}",
                f"Your stash {stash[:7]} could not be re-applied ({detail}); it is kept: 'git stash list'"]
    return [f"On branch {here}", "Re-applied your stashed changes"]


def _restart_stopped(store: Store, session_id: int, action: str, held: int) -> list[str]:
    """The clocks that time.exclusive stopped in other projects when that start or resume ran,
    running again as if never stopped (each while that pause is still its project's last change)."""
    notes = []
    from contextlib import nullcontext

    for other, pause in store.stopped_for(session_id, action):
        # The same project (one clock per project): its lock is the one this undo holds already.
        try:
            with (nullcontext() if other.id == held else project_lock(other.path, wait_s=2.0)), shielded():
                store.undo_snapshot(pause)
            notes.append(f"The clock of {pause.summary} in {other.name} runs again (stopped by that {action})")
        except SessError as exc:
            notes.append(f"The clock of {pause.summary} in {other.name} stays stopped: {exc.message}")
    return notes


def _undo_start(store: Store, top: str, project: Project, entry: UndoEntry) -> Undone:
    data = entry.data
    session_id = entry.session_id
    assert session_id is not None
    session = store.session(session_id)
    if not session.is_open:
        raise SessError(f"the session on {session.branch} has ended; its start cannot be undone")
    if store.journal(session.id) is not None:
        raise SessError("an end of this session is unfinished", "Run 'sess end --abort' first.")
    branch = str(data.get("branch") or session.branch)
    if data.get("worktree"):
        return _undo_worktree_start(store, project, entry, session, str(data["worktree"]), branch)
    original, original_ref = str(data.get("original") or ""), str(data.get("original_ref") or "")
    stash = data.get("stash")
    tip = data.get("tip")
    if ((stash and git.stash_index(top, str(stash)) is not None) or data.get("parked")) and git.is_dirty(top):
        raise SessError("the working tree has uncommitted changes, and the stash start made goes back on it",
                        "Commit or stash them first, then run 'sess undo' again.")
    notes: list[str] = []
    with shielded():
        here = git.current_branch(top)
        try:
            if original == "HEAD" and original_ref:
                git.git(top, "checkout", "--quiet", "--detach", original_ref)
            elif original and original != here and git.branch_exists(top, original):
                git.checkout(top, original)
            elif original and not git.branch_exists(top, original):
                notes.append(f"Stayed on {here}: the branch {original} no longer exists")
        except CommandError as exc:
            raise SessError(f"cannot check out {original}: {exc.detail}",
                            "Nothing was undone. Commit or stash what is in the way, then run 'sess undo'.") from exc
        if stash:
            if git.stash_index(top, str(stash)) is None:
                notes.append(f"The stash start made ({str(stash)[:7]}) is no longer there; nothing to re-apply")
            else:
                try:
                    git.stash_pop(top, str(stash))
                    notes.append("Re-applied your stashed changes")
                except SessError as exc:
                    notes.append(f"Your stash {str(stash)[:7]} could not be re-applied ({exc.message}); "
                                 "it is kept: 'git stash list'")
        parked = data.get("parked")
        if isinstance(parked, dict) and parked.get("stash"):
            notes.append(_unpark(store, top, int(parked["session_id"]), str(parked["stash"])))
        if data.get("dirty") == "commit":
            notes.append(f"Your changes stay committed on {data.get('committed_on') or original}")
        elif data.get("dirty") == "discard":
            notes.append("The changes start discarded cannot come back")
        notes.append(_remove_branch(top, branch, str(tip) if tip else None))
        store.delete_started_session(entry)
    notes.extend(_restart_stopped(store, session_id, "start", project.id))
    here = git.current_branch(top)
    notes.insert(0, "HEAD detached" if here == "HEAD" else f"On branch {here}")
    return Undone(project, entry, None, notes)


def _undo_worktree_start(store: Store, project: Project, entry: UndoEntry, session: Session, path: str,
                         branch: str) -> Undone:
    """Undoing a `start --worktree`: the worktree goes when nothing uncommitted is in it, then
    the branch while it has no commits of its own; the session goes either way."""
    import os

    notes: list[str] = []
    main = project.path
    tip = entry.data.get("tip")
    with shielded():
        if os.path.isdir(path):
            try:
                if git.changed_paths(path):
                    raise SessError(f"the worktree {path} has uncommitted changes",
                                    "Commit, stash or remove them first, then run 'sess undo' again.")
                git.git(main, "worktree", "remove", "--", path)
                notes.append(f"Removed the worktree {path}")
            except CommandError as exc:
                raise SessError(f"cannot remove the worktree {path}: {exc.detail}", "Nothing was undone.") from exc
        else:
            git.ok(main, "worktree", "prune")
        notes.append(_remove_branch(main, branch, str(tip) if tip else None))
        store.delete_started_session(entry)
    assert entry.session_id is not None
    notes.extend(_restart_stopped(store, entry.session_id, "start", project.id))
    notes.append(main)  # the last line: where to cd, the worktree being gone
    return Undone(project, entry, None, notes)


def _unpark(store: Store, top: str, session_id: int, sha: str) -> str:
    """Undoing a `start --park`: the changes parked then go back on the parked session's branch."""
    try:
        parked_with = store.session(session_id)
    except SessError:
        return f"Your parked changes are kept in the stash entry {sha[:7]}"
    if parked_with.parked != sha:
        return f"The changes parked with {parked_with.branch} are no longer its parked ones; nothing to re-apply"
    if git.current_branch(top) != parked_with.branch:
        return f"Your changes stay parked with {parked_with.branch} ({sha[:7]}): it is not checked out here"
    try:
        git.apply_parked(top, sha)
    except CommandError as exc:
        git.take_back_applied(top, sha)
        return f"Your parked changes ({sha[:7]}) could not be re-applied ({exc.detail}); they stay parked"
    store.set_parked(session_id, None)
    git.stash_drop(top, sha)
    return "Re-applied your parked changes"


def _remove_branch(top: str, branch: str, tip: str | None) -> str:
    """Delete the session branch only while it still points where start created it."""
    now_at = git.rev(top, f"refs/heads/{branch}")
    if now_at is None:
        return f"The branch {branch} was already gone"
    if tip is None or now_at != tip:
        new = git.count_commits(top, now_at, tip) if tip else 0
        what = f"it has {new} new commit{'s' if new != 1 else ''}" if new else "it moved since the start"
        return f"Kept branch {branch}: {what}"
    if git.current_branch(top) == branch:
        return f"Kept branch {branch}: it is checked out"
    try:
        git.delete_branch(top, branch, force=True)
    except CommandError as exc:
        return f"Kept branch {branch}: {exc.detail}"
    return f"Deleted branch {branch}"
