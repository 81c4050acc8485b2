"""`sess pause` and `sess resume`: time tracking transitions, failing closed."""

from __future__ import annotations

from typing import NamedTuple

from sess import git, rules, timestamps
from sess.errors import CommandError, SessError
from sess.rules import Project, Session
from sess.store import Store, project_lock
from sess.workflows.common import Where, require_project, require_session


class Resumed(NamedTuple):
    project: Project
    session: Session
    switched: bool


def pause(store: Store, cwd: str, where: Where | None = None) -> tuple[Project, Session]:
    where, project = require_project(store, cwd, where)
    with project_lock(where.top):
        session = require_session(store, project)
        now = timestamps.now()
        return project, store.apply(session, rules.pause(session, now), now)


def resume(store: Store, cwd: str, where: Where | None = None) -> Resumed:
    where, project = require_project(store, cwd, where)
    with project_lock(where.top):
        session = require_session(store, project, missing="no paused session")
        if store.journal(session.id) is not None:
            raise SessError("an end of this session is unfinished",
                            "Run 'sess end --continue' to finish it, or 'sess end --abort' to undo it.")
        now = timestamps.now()
        changes = rules.resume(session, now)  # validates the state before touching git
        switched = False
        if git.current_branch(where.top) != session.branch:
            try:
                git.checkout(where.top, session.branch)
            except CommandError as exc:
                raise SessError(
                    f"cannot check out {session.branch}: {exc.detail}",
                    "The session stays paused. Commit or stash your changes, then run 'sess resume'.",
                ) from exc
            switched = True
        return Resumed(project, store.apply(session, changes, now), switched)
