"""What every workflow needs: the repository, its tracked project, and a way to roll back."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sess import git, rules
from sess.errors import Interrupted, SessError, UsageError
from sess.records import NamedTuple
from sess.rules import Project, Session
from sess.store import Store


class Where(NamedTuple):
    top: str
    branch: str
    project: Project | None


def locate_in(store: Store, top: str, branch: str) -> Where:
    """`locate` for a repository already found (`git.require_repo`). The project is the main work
    tree's; in a linked worktree that an earlier sess tracked on its own, that one is merged in."""
    from sess.gitfiles import main_work_tree

    main = main_work_tree(top)
    if main != top and store.project_by_path(top) is not None:
        store.merge_project(top, main, project_name(main))
    return Where(top, branch, store.project_by_path(main))


def locate(store: Store, cwd: str) -> Where:
    top, branch = git.require_repo(cwd)
    return locate_in(store, top, branch)


def require_project(store: Store, cwd: str, where: Where | None = None) -> tuple[Where, Project]:
    """`where`: already located by the caller (who needed the repository's top first)."""
    where = where or locate(store, cwd)
    if where.project is None:
        raise SessError("not a tracked project", "Run 'sess start' to begin a session here.")
    return where, where.project


class SessionChoice(UsageError):
    """Several open sessions, none of them meant by where the command runs: `--session` says which."""

    def __init__(self, sessions: list[Session]) -> None:
        listed = ", ".join(f"{s.id} {s.branch} ({s.state})" for s in sessions)
        super().__init__(f"several sessions are open: {listed}",
                         "Pass --session ID|BRANCH to say which one, or run this in its work tree.")
        self.sessions = sessions


def checked_out_elsewhere(top: str) -> dict[str, str]:
    """Branches checked out in the repository's other work trees: {branch: path}."""
    from sess.gitfiles import worktree_heads

    here = os.path.realpath(top)
    return {branch: path for branch, path in worktree_heads(top).items() if os.path.realpath(path) != here}


def session_named(sessions: list[Session], word: str) -> Session:
    """An open session by id, branch, `#ISSUE`, or the name given to `start` (`one` for
    feature/one) when only one session has it."""
    for session in sessions:
        if word.startswith("#") and session.issue_id == word[1:]:
            return session
        if (word.isdigit() and session.id == int(word)) or session.branch == word:
            return session
    named = [session for session in sessions if session.branch.rpartition("/")[2] == word]
    if len(named) == 1:
        return named[0]
    if named:
        raise SessError(f"{word} names several open sessions: {', '.join(s.branch for s in named)}",
                        "Pass the whole branch name or the session's id.")
    raise SessError(f"no open session {word} in this project", "Run 'sess status' to see the open sessions.")


def meant_session(sessions: list[Session], where: Where, ref: str | None,
                  elsewhere: Callable[[], dict[str, str]] | None = None) -> Session | None:
    """Which open session a command means (SPEC Part 3): `ref` (an id or a branch) when given;
    else the one checked out here; else the only one not checked out in another work tree; else
    None (`elsewhere` tells which branches other work trees hold, asked only when needed)."""
    if ref is not None:
        return session_named(sessions, ref)
    for session in sessions:
        if session.branch == where.branch:
            return session
    taken = (elsewhere or (lambda: checked_out_elsewhere(where.top)))() if sessions else {}
    free = [session for session in sessions if session.branch not in taken]
    return free[0] if len(free) == 1 else None


def require_session(store: Store, project: Project, *states: str, missing: str = "no active session",
                    where: Where | None = None, ref: str | None = None) -> Session:
    """The session the command means; SessionChoice (exit 2) when that cannot be told."""
    sessions = store.open_sessions(project.id)
    if not sessions:
        raise SessError(f"{missing} in this project", "Run 'sess start' to begin one.")
    if where is None and ref is None:
        session: Session | None = sessions[0]
    else:
        session = meant_session(sessions, where or Where(project.path, "", project), ref)
    if session is None:
        raise SessionChoice(sessions)
    if states and session.state not in states:
        wanted = " or ".join(states)
        raise SessError(f"the session on {session.branch} is {session.state}, not {wanted}",
                        "Run 'sess resume' first." if session.state == rules.PAUSED else None)
    return session


def check_dirty_choice(dirty: bool, mode: str | None, message: str | None) -> None:
    """A workflow that sets uncommitted changes aside (start, cancel) needs to be told how."""
    if dirty and mode is None:
        raise SessError("the working tree has uncommitted changes", "Pass --dirty stash|commit|discard|carry.")
    if dirty and mode == "commit" and not message:
        raise SessError("--dirty commit needs a commit message", "Pass --message MSG.")


def project_name(top: str) -> str:
    return os.path.basename(top.rstrip("/")) or top


@contextmanager
def shielded() -> Iterator[None]:
    """Ctrl-C (and SIGTERM, SIGHUP) wait until the block is done: a change of git and the
    database is made whole."""
    from sess.signals import shield

    with shield():
        yield


class Rollback:
    """Undo actions, run newest first when a workflow fails or is interrupted.

    Signals wait while undoing (sess.signals.shield): a second Ctrl-C must not leave things half
    put back.
    """

    def __init__(self) -> None:
        self._undo: list[tuple[str, Callable[[], None]]] = []

    def push(self, what: str, action: Callable[[], None]) -> None:
        self._undo.append((what, action))

    def clear(self) -> None:
        """The work is done and recorded: a later failure must not undo it."""
        self._undo.clear()

    def run(self) -> list[str]:
        """Undo everything; returns what could not be undone."""
        from sess.signals import shield

        failed: list[str] = []
        with shield():
            while self._undo:
                what, action = self._undo.pop()
                try:
                    action()
                except Exception as exc:  # keep undoing the rest; report what stuck
                    failed.append(f"{what}: {getattr(exc, 'message', exc)}")
        return failed

    @contextmanager
    def on_failure(self, interrupted: str) -> Iterator[None]:
        """Undo everything when the block fails; Ctrl-C becomes Interrupted(`interrupted`).

        What could not be undone is added to the error, so the user knows what to put back.
        """
        try:
            yield
        except KeyboardInterrupt as exc:
            failed = self.run()
            if isinstance(exc, Interrupted):  # a step inside with a rollback of its own said where it stood
                if failed:
                    raise Interrupted(f"{exc.message}; could not undo: {'; '.join(failed)}", exc.hint) from exc
                raise
            raise Interrupted(interrupted if not failed else
                              "interrupted; could not undo: " + "; ".join(failed)) from None
        except BaseException as exc:
            failed = self.run()
            if failed and isinstance(exc, SessError):
                raise SessError(f"{exc.message}; could not undo: {'; '.join(failed)}", exc.hint) from exc
            raise
