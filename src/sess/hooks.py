"""Hooks: commands from the configuration run around start, end, pause and resume.

The session reaches a hook only through `SESS_*` environment variables, never through its
command line, so an issue title such as `$(rm -rf ~)` stays text. A hook runs in the
repository root, its output shown as it comes (stderr), once. A failing `pre-*` hook stops the
command before it changes anything (`HookFailed`); a failing `post-*` hook is a warning.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from sess.config import REPO, Config
from sess.errors import SessError
from sess.records import NamedTuple
from sess.rules import Project, Session


class HookFailed(SessError):
    """A `pre-*` hook failed: the command did nothing (exit 1)."""


class SessionInfo(NamedTuple):
    """What a hook learns about the session (SESS_* variables)."""

    project: str
    project_path: str
    branch: str
    branch_type: str
    base: str
    session_id: int | None = None
    issue_id: str | None = None
    issue_title: str | None = None
    elapsed_seconds: int = 0
    pr_number: int | None = None
    pr_url: str | None = None

    def environment(self, event: str) -> dict[str, str]:
        env = {
            "SESS_EVENT": event,
            "SESS_PROJECT": self.project,
            "SESS_PROJECT_PATH": self.project_path,
            "SESS_BRANCH": self.branch,
            "SESS_BRANCH_TYPE": self.branch_type,
            "SESS_BASE": self.base,
            "SESS_SESSION_ID": str(self.session_id) if self.session_id is not None else "",
            "SESS_ISSUE_ID": self.issue_id or "",
            "SESS_ISSUE_TITLE": self.issue_title or "",
            "SESS_ELAPSED_SECONDS": str(self.elapsed_seconds),
        }
        if event == "post-end":
            env["SESS_PR_NUMBER"] = str(self.pr_number) if self.pr_number else ""
            env["SESS_PR_URL"] = self.pr_url or ""
        return env


def _stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


class Hooks:
    """The hooks that may run for one command: none with --no-hooks; the repository's only when trusted."""

    def __init__(self, config: Config, top: str, enabled: bool = True,
                 show: Callable[[str], None] = _stderr) -> None:
        self.config = config
        self.top = top
        self.enabled = enabled
        self.show = show
        self._warned = False

    def has(self, event: str) -> bool:
        return self.enabled and event in self.config.hooks

    def run(self, event: str, session: SessionInfo, before: Callable[[], None] | None = None) -> str | None:
        """Run the hooks for `event`, if any (the repository's first, then the user's; one that
        fails stops the ones after it). A failing `pre-*` hook raises HookFailed; a failing
        `post-*` hook is shown as a warning, which is also returned. `before` runs first when
        there is a hook to run (to stop a live progress line, say)."""
        if not self.enabled:
            return None
        if event in self.config.untrusted_hooks and not self._warned:
            self._warned = True
            self.show(f"Warning: hooks in {self.config.repo_file or '.sess.toml'} are not trusted and were skipped; "
                      "run 'sess config trust' to allow them")
        commands = self.config.hooks.get(event, ())
        if not commands:
            return None
        if before is not None:
            before()
        failure = None
        from_repo = self.config.source(f"hooks.{event}") == REPO  # then it is the first
        for index, command in enumerate(commands):  # the repository's, then yours; a failure stops the rest
            failure = self._execute(event, command, session, from_repo and index == 0)
            if failure is not None:
                break
        if failure is None:
            return None
        if event.startswith("pre-"):
            raise HookFailed(failure, "Nothing was changed. Fix what the hook says, or pass --no-hooks to skip hooks.")
        warning = f"Warning: {failure}"
        self.show(warning)
        return warning

    def _execute(self, event: str, command: str | tuple[str, ...], session: SessionInfo,
                 from_repo: bool = False) -> str | None:
        """None when the hook succeeded, else what went wrong."""
        from sess import proc
        from sess.errors import ProgramMissing, Timeout
        from sess.trackers.tokens import token_variables

        argv = ["sh", "-c", command] if isinstance(command, str) else list(command)
        timeout = self.config.hook_timeout_s(event, from_repo)
        try:
            # A tracker's token never reaches a hook, even when the user's shell exports it.
            result = proc.run_user_command(argv, self.top, session.environment(event), timeout, self.show,
                                           drop=token_variables(self.config))
        except Timeout:
            from sess.render import duration

            return f"{event} hook timed out after {duration(timeout)} and was stopped"
        except ProgramMissing as exc:
            return f"{event} hook cannot run: {exc.message}"
        if result.ok:
            return None
        # Its output was shown as it came, just above: the error names the hook and its exit
        # status and does not say the output again.
        return f"{event} hook failed (exit status {_status(result.returncode)})"


def _status(code: int) -> str:
    return str(code) if code >= 0 else f"{128 - code}, killed by signal {-code}"



def session_info(project: Project, session: Session, base: str | None = None) -> SessionInfo:
    """The hook's view of a recorded session, its elapsed time as of now."""
    from sess import rules, timestamps

    return SessionInfo(project.name, project.path, session.branch, session.branch_type,
                       base or rules.session_base(session, project), session.id, session.issue_id,
                       session.issue_title, rules.elapsed_seconds(session, timestamps.now()),
                       session.pr_number, session.pr_url)
